"""P1 benchmark: the engine against the solvers a developer would reach for, side by side.

    .venv/bin/python bench/p1.py --sizes 1000 10000 50000 --timeout 300

Each solver runs in its own process (``bench/p1_peers.py``) with a time limit and a memory cap;
peak memory is the process's maximum resident set size. Instances come from the seeded
generator in ``bench/p1_generate.py`` (half as many mentors as mentees). Prints a Markdown table
per size; ``--json`` also saves the raw figures. With ``--repeat N`` the solvers take turns N
times and the table shows each one's median run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from p1_generate import generate  # noqa: E402

PEERS = [
    "greedy",
    "scipy_lsa",
    "lap_lapjv",
    "ortools_mcf",
    "ortools_every",
    "matching_hr",
    "mentor_match",
]
LABELS = {
    "engine": "matchengine (proven optimum)",
    "greedy": "greedy best-pair-first",
    "scipy_lsa": "SciPy linear_sum_assignment, places duplicated",
    "lap_lapjv": "lap.lapjv (LAPJV), places duplicated",
    "ortools_mcf": "OR-Tools SimpleMinCostFlow, allowed pairs",
    "ortools_every": "OR-Tools SimpleMinCostFlow, every pair (disallowed weigh 0)",
    "matching_hr": "matching HospitalResident (top-50 lists)",
    "mentor_match": "mentor-match (Munkres per round)",
}
EXACT = {"scipy_lsa", "lap_lapjv", "ortools_mcf", "ortools_every"}


def run(name: str, path: Path, timeout: float, memory_gb: float) -> dict[str, Any]:
    limit = int(memory_gb * 2**30)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    start = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(HERE / "p1_peers.py"), name, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=cap,  # noqa: PLW1509 - only sets a memory limit
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    status, usage = 0, None
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return {
                "error": f"timed out after {timeout:.0f} s",
                "peak_mb": usage.ru_maxrss / 1024,
                "cpu": usage.ru_utime + usage.ru_stime,
            }
        time.sleep(0.05)
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    peak = usage.ru_maxrss / 1024 if usage else 0.0
    if status != 0 or not out.strip():
        last = err.strip().splitlines()[-1] if err.strip() else f"exit status {status}"
        if "MemoryError" in err or "bad_alloc" in err or "Unable to allocate" in err:
            last = f"out of memory (cap {memory_gb:g} GB)"
        return {"error": last[:120], "peak_mb": peak, "cpu": usage.ru_utime + usage.ru_stime}
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    result["peak_mb"] = peak
    # CPU seconds of the whole process (interpreter start and JSON loading included): steadier
    # than wall time when other work shares the machine.
    result["cpu"] = usage.ru_utime + usage.ru_stime if usage else 0.0
    return result


def median_run(done: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median time (the first error if any run failed)."""
    failed = [r for r in done if "error" in r]
    if failed:
        return failed[0]
    ordered = sorted(done, key=lambda r: r["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["all_seconds"] = [round(r["seconds"], 2) for r in done]
    return chosen


def table(size: int, results: dict[str, dict[str, Any]]) -> str:
    ours = results["engine"]
    lines = [
        f"### {size:,} mentees, {size // 2:,} mentors",
        "",
        "| solver | time (s) | load (s) | CPU (s) | peak memory (MB) | matched | total fit "
        "| fit % of optimum | our speed-up (time, CPU) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name in ["engine", *PEERS]:
        r = results.get(name)
        if r is None:
            continue
        if "error" in r:
            lines.append(
                f"| {LABELS[name]} | - | - | {r.get('cpu', 0):.1f} | {r['peak_mb']:.0f} "
                f"| - | - | - | {r['error']} |"
            )
            continue
        fit = r["fit_points"] / 1000
        share = 100 * r["fit_points"] / ours["fit_points"] if ours.get("fit_points") else 0
        speed = (
            "-"
            if name == "engine"
            else f"{r['seconds'] / ours['seconds']:.1f}x, {r['cpu'] / ours['cpu']:.1f}x"
        )
        lines.append(
            f"| {LABELS[name]} | {r['seconds']:.2f} | {r.get('load_seconds', 0):.2f} "
            f"| {r['cpu']:.1f} | {r['peak_mb']:.0f} "
            f"| {r['matched']:,} | {fit:,.1f} | {share:.2f} | {speed} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 50000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=300.0)
    parser.add_argument("--memory-gb", type=float, default=12.0)
    parser.add_argument("--peers", nargs="*", default=PEERS)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="runs per solver, alternating solvers; the table shows each solver's median run",
    )
    args = parser.parse_args()
    out_dir = HERE / "out"
    out_dir.mkdir(exist_ok=True)
    everything: dict[str, Any] = {}
    for size in args.sizes:
        path = out_dir / f"p1-{size}-seed{args.seed}.json"
        if not path.exists():
            path.write_text(json.dumps(generate(size, seed=args.seed)))
        # Solvers take turns, so that a machine whose speed drifts slows them all alike.
        runs: dict[str, list[dict[str, Any]]] = {}
        for _ in range(max(1, args.repeat)):
            for name in ["engine", *args.peers]:
                if runs.get(name) and "error" in runs[name][-1]:
                    continue  # out of time or memory once is enough
                runs.setdefault(name, []).append(run(name, path, args.timeout, args.memory_gb))
                print(f"{name} {size}: {runs[name][-1]}", file=sys.stderr)
        results = {name: median_run(done) for name, done in runs.items()}
        everything[str(size)] = runs
        print(table(size, results), flush=True)
        if args.repeat > 1:
            print(flush=True)
            for name, r in results.items():
                if "all_seconds" in r:
                    seconds = ", ".join(f"{x:.2f}" for x in r["all_seconds"])
                    print(f"* {LABELS[name]}: {seconds} s", flush=True)
        print(flush=True)
    if args.json is not None:
        args.json.write_text(json.dumps(everything, indent=1))


if __name__ == "__main__":
    main()
