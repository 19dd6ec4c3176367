"""P2 benchmark: matchengine's rotation against the peers a developer would reach for.

Usage:  .venv/bin/python bench/bench_rotation.py [--sizes 500 5000 20000] [--timeout 300]

Each peer runs in its own subprocess (fresh memory, own timeout); peak memory is the child's
ru_maxrss, and both wall time and the child's CPU time (time.process_time) are reported: on a
shared, loaded machine the CPU time is the fair figure. Every peer pairs the same members (those
not on probation) on the same allowed pairs (no pair from the 12 earlier rounds) and is scored
with the engine's own fit, so "fit" compares like with like; "% of bound" is against
matchengine's certified upper bound for the pairs.
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEMPLATES = [  # share, working days, start, end: office, shifts, part-time, compressed, evenings
    (0.38, [0, 1, 2, 3, 4], 9, 17),
    (0.10, [0, 1, 2, 3, 4], 7, 15),
    (0.10, [0, 1, 2, 3, 4], 12, 20),
    (0.09, [0, 1, 2], 9, 17),
    (0.08, [2, 3, 4], 9, 17),
    (0.08, [0, 1, 2, 3], 8, 18),
    (0.07, [0, 1, 2, 3, 4], 10, 14),
    (0.05, [5, 6, 0], 10, 18),
    (0.05, [0, 1, 2, 3, 4], 16, 22),
]
TEAMS = ["editorial", "tech", "operations", "membership", "events", "finance", "community"]
LANGUAGES = ["Polish", "Somali", "Urdu", "Spanish", "Arabic", "French", "Punjabi"]
WEIGHTS = {"hours": 1.0, "work_types": 0.3, "languages": 0.1, "personality": 0.1}


def make_problem(n: int, seed: int = 2024) -> dict:
    rng = np.random.default_rng(seed)
    shares = np.array([t[0] for t in TEMPLATES])
    shares /= shares.sum()
    members = []
    for i in range(n):
        _, days, start, end = TEMPLATES[int(rng.choice(len(TEMPLATES), p=shares))]
        days = list(days)
        if rng.random() < 0.5:
            shift = int(rng.integers(-1, 2))
            start, end = start + shift, end + shift
        if rng.random() < 0.3:
            end += int(rng.integers(-1, 2))
        if rng.random() < 0.2 and len(days) > 2:
            days.pop(int(rng.integers(len(days))))
        if rng.random() < 0.1 and 5 not in days:
            days.append(5)
        teams = {TEAMS[int(rng.integers(len(TEAMS)))]}
        if rng.random() < 0.25:
            teams.add(TEAMS[int(rng.integers(len(TEAMS)))])
        languages = ["English"]
        if rng.random() < 0.18:
            languages.append(LANGUAGES[int(rng.integers(len(LANGUAGES)))])
        members.append(
            {
                "id": f"staff-{i:05d}",
                "hours": [[d, start, end] for d in sorted(days)],
                "work_types": sorted(teams),
                "languages": languages,
                "personality": ["reflector", "activist", "theorist", "pragmatist"][
                    int(rng.integers(4))
                ],
                "probation": bool(rng.random() < 0.08),
            }
        )
    ids = [m["id"] for m in members]
    history = []
    for r in range(12):
        # Staff who joined recently were in fewer rounds.
        present = [k for k in range(n) if rng.random() < 0.6 + 0.4 * r / 11]
        order = rng.permutation(present)
        pairs = [[ids[order[k]], ids[order[k + 1]]] for k in range(0, len(order) - 1, 2)]
        history.append({"round": f"2020-{r + 1:02d}", "pairs": pairs})
    return {
        "problem": "rotation",
        "members": members,
        "history": history,
        "weights": WEIGHTS,
        "options": {"odd_member": "trio"},
    }


def allowed_edges(data: dict) -> tuple[list[str], list[tuple[int, int, int]]]:
    from matchengine._rotation_fit import PairScorer
    from matchengine._rotation_people import parse_members

    people = [p for p in parse_members(data["members"]) if not p.probation]
    ids = [p.id for p in people]
    index = {x: k for k, x in enumerate(ids)}
    banned = set()
    for rnd in data["history"]:
        for a, b in rnd["pairs"]:
            if a in index and b in index:
                banned.add((min(index[a], index[b]), max(index[a], index[b])))
    scorer = PairScorer(people, data["weights"])
    edges = []
    for start in range(0, len(ids), 256):
        a, b = np.meshgrid(np.arange(start, min(start + 256, len(ids))), np.arange(len(ids)))
        a, b = a.ravel(), b.ravel()
        keep = a < b
        a, b = a[keep].astype(np.int64), b[keep].astype(np.int64)
        w = scorer.exact(a, b)
        edges.extend(
            (x, y, int(v))
            for x, y, v in zip(a.tolist(), b.tolist(), w.tolist(), strict=True)
            if (x, y) not in banned
        )
    return ids, edges


def peer_pairs(peer: str, data: dict) -> list[tuple[str, str]]:
    if peer == "matchengine":
        from matchengine.rotation import parse_rotation_problem, solve_rotation

        out = solve_rotation(parse_rotation_problem(data)).to_json()
        return [(p["a"], p["b"]) for p in out["pairs"]]
    ids, edges = allowed_edges(data)
    if peer == "greedy":
        used: set[int] = set()
        pairs = []
        for a, b, _ in sorted(edges, key=lambda e: (-e[2], e[0], e[1])):
            if a not in used and b not in used:
                used.update((a, b))
                pairs.append((ids[a], ids[b]))
        return pairs
    if peer == "rustworkx":
        import rustworkx as rx

        graph = rx.PyGraph()
        graph.add_nodes_from(range(len(ids)))
        graph.add_edges_from(edges)
        found = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=int)
        return [(ids[a], ids[b]) for a, b in found]
    if peer == "networkx":
        import networkx as nx

        g = nx.Graph()
        g.add_weighted_edges_from(edges)
        return [(ids[a], ids[b]) for a, b in nx.max_weight_matching(g, maxcardinality=True)]
    if peer == "stable-roommates":
        from matching.games import StableRoommates

        sys.setrecursionlimit(1_000_000)
        prefs: dict[str, list[tuple[int, str]]] = {x: [] for x in ids}
        allowed = set()
        for a, b, w in edges:
            prefs[ids[a]].append((-w, ids[b]))
            prefs[ids[b]].append((-w, ids[a]))
            allowed.add((ids[a], ids[b]))
        ranked = {}
        for x in ids:
            good = [y for _, y in sorted(prefs[x])]
            # The library needs complete lists: forbidden partners can only go last.
            rest = sorted(set(ids) - set(good) - {x})
            ranked[x] = good + rest
        game = StableRoommates.create_from_dictionary(ranked)
        solution = game.solve()
        out = set()
        for a, b in solution.items():
            if b is not None:
                out.add(tuple(sorted((a.name, b.name))))
        return sorted(out)  # type: ignore[arg-type]
    raise SystemExit(f"unknown peer {peer}")


def child(peer: str, n: int) -> None:
    data = make_problem(n)
    # Imports happen before the clock starts, for every peer alike.
    import rustworkx  # noqa: F401

    import matchengine.rotation  # noqa: F401

    if peer == "networkx":
        import networkx  # noqa: F401
    start = time.perf_counter()
    cpu = time.process_time()
    pairs = peer_pairs(peer, data)
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak, "pairs": pairs}))


def score(data: dict, pairs: list[tuple[str, str]]) -> tuple[float, int]:
    from matchengine._rotation_fit import SCALE, PairScorer
    from matchengine._rotation_people import parse_members

    people = parse_members(data["members"])
    index = {p.id: k for k, p in enumerate(people)}
    scorer = PairScorer(people, data["weights"])
    banned = {frozenset(p) for rnd in data["history"] for p in rnd["pairs"]}
    a = np.array([index[x] for x, _ in pairs], np.int64)
    b = np.array([index[y] for _, y in pairs], np.int64)
    total = float(scorer.exact(a, b).sum()) / SCALE if len(pairs) else 0.0
    return total, sum(1 for p in pairs if frozenset(p) in banned)


def ours_pairs(out: dict) -> float:
    """Fit of the mutual pairs and trio links (what ``pairs_upper_bound`` bounds)."""
    return float(sum(p["fit"] for p in out["pairs"]) + sum(p["fit"] for p in out["trio_links"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[500, 5000, 20000])
    parser.add_argument("--timeout", type=float, default=300)
    parser.add_argument(
        "--peers",
        nargs="*",
        default=["matchengine", "rustworkx", "networkx", "stable-roommates", "greedy"],
    )
    parser.add_argument("--child", nargs=2, metavar=("PEER", "N"))
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]))
        return
    header = (
        "| people | peer | wall (s) | CPU (s) | peak MB | paired | total fit | % of bound | "
        "repeats | our speed-up (wall / CPU) |"
    )
    load = os.getloadavg()[0]
    print(f"load average before: {load:.1f} (CPU time is the fair figure when loaded)")
    print(header)
    print("|" + "---|" * 10)
    for n in args.sizes:
        data = make_problem(n)
        from matchengine.rotation import parse_rotation_problem, solve_rotation

        ours = solve_rotation(parse_rotation_problem(data)).to_json()
        bound = ours["score"]["pairs_upper_bound"]
        trio = sum(p["fit"] for p in ours["trio_links"])
        rows = []
        our_time = our_cpu = None
        for peer in args.peers:
            try:
                done = subprocess.run(  # noqa: S603 - our own interpreter and script
                    [sys.executable, __file__, "--child", peer, str(n)],
                    capture_output=True,
                    text=True,
                    timeout=args.timeout,
                    check=True,
                )
            except subprocess.TimeoutExpired:
                rows.append((peer, None, None, None, None, None, None))
                continue
            except subprocess.CalledProcessError as failed:
                reason = failed.stderr.strip().splitlines()[-1][:60]
                print(f"| {n} | {peer} | failed: {reason} | | | | | | | |")
                continue
            result = json.loads(done.stdout)
            pairs = [tuple(p) for p in result["pairs"]]
            total, repeats = score(data, pairs)
            if peer == "matchengine":
                total += trio
                our_time, our_cpu = result["seconds"], result["cpu"]
            rows.append(
                (
                    peer,
                    result["seconds"],
                    result["cpu"],
                    result["peak_mb"],
                    2 * len(pairs),
                    total,
                    repeats,
                )
            )
        for peer, seconds, cpu, peak, paired, total, repeats in rows:
            if seconds is None:
                faster = f"> {args.timeout / our_time:.0f}x" if our_time else ""
                print(f"| {n} | {peer} | > {args.timeout:g} | | | | | | | {faster} |")
                continue
            ratio = ""
            if our_time and our_cpu and peer != "matchengine":
                ratio = f"{seconds / our_time:.1f}x / {cpu / our_cpu:.1f}x"
            print(
                f"| {n} | {peer} | {seconds:.2f} | {cpu:.2f} | {peak:.0f} | {paired} | "
                f"{total:.3f} | {100 * total / bound:.3f}% | {repeats} | {ratio} |"
            )
        certificate = ours["score"]
        print(
            f"| {n} | bound | | | | | {bound:.3f} | 100% | | pairs gap "
            f"{100 * (bound - ours_pairs(ours)) / bound:.4f}%, whole problem gap "
            f"{certificate['gap_percent']:.4f}%, proven optimal: "
            f"{certificate['proven_optimal']} |"
        )


if __name__ == "__main__":
    main()
