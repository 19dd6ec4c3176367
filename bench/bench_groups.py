"""P3 benchmark: matchengine's groups against a random and a greedy partition, and the bound.

Usage:  .venv/bin/python bench/bench_groups.py [--sizes 1000 5000 10000]

Groups of 6-8, balanced on region, role, gender and years of experience, with two earlier rounds
of groups to keep apart and 40 must-not-group pairs. All three partitions are scored with the
engine's own balance measure.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from matchengine._groups_search import group_sizes, imbalance  # noqa: E402
from matchengine.groups import _attributes, parse_groups_problem, solve_groups  # noqa: E402


def make_problem(n: int, seed: int = 7) -> dict:
    rng = np.random.default_rng(seed)
    regions = ["North", "South", "East", "West", "Central"]
    roles = ["practitioner", "senior", "manager", "support"]
    members = [
        {
            "id": f"p{i:05d}",
            "gender": ["female", "male", "nonbinary"][int(rng.choice(3, p=[0.6, 0.37, 0.03]))],
            "attributes": {
                "region": regions[int(rng.choice(5, p=[0.3, 0.25, 0.2, 0.15, 0.1]))],
                "role": roles[int(rng.choice(4, p=[0.5, 0.25, 0.15, 0.1]))],
                "years_experience": int(rng.gamma(2.0, 3.0)),
            },
        }
        for i in range(n)
    ]
    ids = [m["id"] for m in members]
    history = []
    for r in range(2):
        order = rng.permutation(n)
        history.append(
            {"round": r + 1, "groups": [[ids[x] for x in order[k : k + 7]] for k in range(0, n, 7)]}
        )
    must_not = [[ids[2 * k], ids[2 * k + 1]] for k in range(40)]
    return {
        "problem": "groups",
        "members": members,
        "sizes": {"min": 6, "max": 8},
        "balance": {"region": 1, "role": 1, "gender": 1, "years_experience": 1},
        "history": history,
        "must_not_group": must_not,
    }


def measure(problem: object, groups: list[list[int]]) -> tuple[float, int, int]:
    attrs = [a for a in _attributes(problem) if a.weight > 0]  # type: ignore[arg-type]
    n = sum(len(g) for g in groups)
    weight = sum(a.weight for a in attrs)
    total = sum(a.weight * imbalance(a, np.array(g), n) for g in groups for a in attrs)
    together = {
        frozenset(p)
        for _, rnd in problem.history  # type: ignore[attr-defined]
        for grp in rnd
        for p in [(x, y) for x in grp for y in grp if x < y]
    }
    must = {frozenset(p) for p in problem.must_not}  # type: ignore[attr-defined]
    inside = [frozenset((x, y)) for g in groups for x in g for y in g if x < y]
    return (
        1 - total / (n * weight),
        sum(p in together for p in inside),
        sum(p in must for p in inside),
    )


def random_split(n: int, sizes: list[int], seed: int = 1) -> list[list[int]]:
    order = np.random.default_rng(seed).permutation(n).tolist()
    out, at = [], 0
    for s in sizes:
        out.append(order[at : at + s])
        at += s
    return out


def greedy_split(problem: object, sizes: list[int]) -> list[list[int]]:
    """Each person in turn joins the open group where they are rarest on the first attribute."""
    attrs = _attributes(problem)  # type: ignore[arg-type]
    first = next(a for a in attrs if not a.numeric)
    groups: list[list[int]] = [[] for _ in sizes]
    counts = np.zeros((len(sizes), len(first.categories)))
    for person in range(len(first.codes)):
        open_ = [g for g in range(len(sizes)) if len(groups[g]) < sizes[g]]
        best = min(open_, key=lambda g: (counts[g, first.codes[person]], len(groups[g]), g))
        groups[best].append(person)
        counts[best, first.codes[person]] += 1
    return groups


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 5000, 10000])
    args = parser.parse_args()
    print("| people | partition | time (s) | balance | % of bound | together before | must-not |")
    print("|---|---|---|---|---|---|---|")
    for n in args.sizes:
        data = make_problem(n)
        start = time.perf_counter()
        problem = parse_groups_problem(data)
        out = solve_groups(problem).to_json()
        ours_time = time.perf_counter() - start
        bound = out["score"]["upper_bound"]
        index = {p.id: k for k, p in enumerate(problem.members)}
        ours = [[index[x] for x in g["members"]] for g in out["groups"]]
        sizes = group_sizes(n, problem.group_count)
        for name, groups, seconds in (
            ("matchengine", ours, ours_time),
            ("random", random_split(n, sizes), None),
            ("greedy (rarest first)", greedy_split(problem, sizes), None),
        ):
            t0 = time.perf_counter()
            balance, repeats, must = measure(problem, groups)
            took = seconds if seconds is not None else time.perf_counter() - t0
            print(
                f"| {n} | {name} | {took:.2f} | {balance:.4f} | {100 * balance / bound:.2f}% | "
                f"{repeats} | {must} |"
            )
        print(f"| {n} | bound | | {bound:.4f} | 100% | | |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the whole run: {peak:.0f} MB")


if __name__ == "__main__":
    main()
