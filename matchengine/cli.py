"""``python -m matchengine solve problem.json``: the result as JSON on stdout.

A progress bar goes to stderr when a run takes more than a moment. Any problem with the input is
printed as one line naming the item and the problem, with exit status 2; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from matchengine.errors import ProblemError


class _Bar:
    """A tqdm bar per stage, on stderr, shown only if the run lasts over half a second."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None
        self.stage = ""

    def __call__(self, stage: str, fraction: float) -> None:
        if not self.enabled:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            self.bar = tqdm(
                total=1000, desc=stage, file=sys.stderr, delay=0.5, leave=False, unit="‰"
            )
        target = int(round(min(max(fraction, 0.0), 1.0) * 1000))
        if self.bar is not None and target > self.bar.n:
            self.bar.update(target - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def _load(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError as exc:
        raise ProblemError(path, "file not found") from exc
    except UnicodeDecodeError as exc:
        raise ProblemError(path, "is not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise ProblemError(
            path, f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
    except OSError as exc:
        raise ProblemError(path, f"cannot be read: {exc.strerror}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m matchengine")
    sub = parser.add_subparsers(dest="command", required=True)
    solve_cmd = sub.add_parser("solve", help="solve a problem file and print the result as JSON")
    solve_cmd.add_argument("problem", help="path to the problem JSON ('-' for stdin)")
    solve_cmd.add_argument(
        "--no-progress", action="store_true", help="never show a progress bar on stderr"
    )
    args = parser.parse_args(argv)
    from matchengine.solve import solve_json

    bar = _Bar(enabled=not args.no_progress)
    try:
        data = _load(args.problem) if args.problem != "-" else _stdin()
        result = solve_json(data, progress=bar)
    except ProblemError as exc:
        bar.close()
        print(f"error: {exc.item}: {exc.problem}", file=sys.stderr)
        return 2
    bar.close()
    sys.stdout.write(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    return 0


def _stdin() -> Any:
    try:
        return json.load(sys.stdin)
    except json.JSONDecodeError as exc:
        raise ProblemError(
            "stdin", f"is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from exc
