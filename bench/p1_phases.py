"""Where a P1 solve spends its time: wall seconds per phase, fastest of several runs.

    OPENBLAS_NUM_THREADS=1 .venv/bin/python bench/p1_phases.py 10000 --runs 5

Reads ``bench/out/p1-SIZE-seed1.json`` (written by ``bench/p1.py``), loads the compiled code
once (``warm_up``), then times each run from the parsed JSON to the answer, with the engine's
steps wrapped by timers. Prints the phases of the fastest run, as in ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from matchengine import candidates, jsonio, mentoring, warm_up  # noqa: E402

#: (module, function, phase label) for every step timed, in the table's order.
PHASES = [
    (mentoring, "_instance", "model: encoding people, locks, exclusions, map order"),
    (mentoring, "_first_pool", "first candidate scan"),
    (mentoring, "auction_prices", "pricing round (auction and maximum matching)"),
    (mentoring, "solve", "exact solves"),
    (candidates.Scanner, "violations", "dual-check scans of left-out pairs"),
    (mentoring, "high_prices", "mentor high prices"),
    (mentoring, "explain_unmatched", "unmatched mentees' reasons and checked changes"),
    (mentoring, "describe_pairs", "pair descriptions"),
]
PARSE = "parsing the problem"
TIMES: Counter[str] = Counter()


def _timed(func: Callable[..., Any], label: str) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return func(*args, **kwargs)
        finally:
            TIMES[label] += time.perf_counter() - start

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("size", type=int)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    data = json.loads((ROOT / "bench" / "out" / f"p1-{args.size}-seed1.json").read_text())
    for owner, name, label in PHASES:
        setattr(owner, name, _timed(getattr(owner, name), label))
    warm_up()
    best: tuple[float, dict[str, float]] | None = None
    for _ in range(args.runs):
        TIMES.clear()
        start = time.perf_counter()
        problem = jsonio.parse_mentoring_problem(data)
        TIMES[PARSE] = time.perf_counter() - start
        mentoring.solve_mentoring(problem)
        total = time.perf_counter() - start
        if best is None or total < best[0]:
            best = (total, dict(TIMES))
    if best is None:
        return
    total, phases = best
    print(f"| phase | {args.size:,} |\n|---|---:|")
    for label in [PARSE, *(label for _, _, label in PHASES)]:
        print(f"| {label} | {phases.get(label, 0.0):.2f} |")
    print(f"| the rest | {total - sum(phases.values()):.2f} |")
    print(f"| **total** | **{total:.2f}** |")


if __name__ == "__main__":
    main()
