"""One P1 solver per run, in its own process: ``python bench/p1_peers.py NAME problem.json``.

Prints one JSON line: seconds (from the loaded problem dict to the answer), load_seconds (the
solver's one-off loading before that: imports, or the engine's ``warm_up``), matched mentees,
matched priority and total fit points. Peers that need weights get them the way a developer
would: every mentee-mentor pair checked and scored (block-wise numpy, with the engine's own
scoring so every solver optimises the same numbers).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchengine import parse_mentoring_problem, solve_mentoring, warm_up  # noqa: E402
from matchengine.mentoring import MAX_PRIORITY  # noqa: E402
from matchengine.model import MentoringProblem  # noqa: E402
from matchengine.scoring import encode, fit_ceiling, score_block  # noqa: E402

Pairs = tuple[np.ndarray, np.ndarray, np.ndarray]


def _exclusions(problem: MentoringProblem) -> dict[int, np.ndarray]:
    at_e = {p.id: k for k, p in enumerate(problem.mentees)}
    at_m = {p.id: k for k, p in enumerate(problem.mentors)}
    out: dict[int, list[int]] = {}
    for ref in problem.must_not_pair + problem.history:
        out.setdefault(at_e[ref.mentee], []).append(at_m[ref.mentor])
    return {k: np.array(sorted(set(v))) for k, v in out.items()}


def all_pairs(problem: MentoringProblem) -> Pairs:
    """Every allowed pair with its fit, by checking all n x m pairs in blocks."""
    enc = encode(problem, problem.mentees)
    excluded = _exclusions(problem)
    n, m = len(problem.mentees), len(problem.mentors)
    cols = np.arange(m)
    rows_out, cols_out, fits_out = [], [], []
    step = max(1, (1 << 22) // max(1, m))
    for lo in range(0, n, step):
        rows = np.arange(lo, min(n, lo + step))
        fit = score_block(enc, rows, cols, excluded)
        r, c = np.nonzero(fit >= 0)
        rows_out.append((rows[r]).astype(np.int32))
        cols_out.append(c.astype(np.int32))
        fits_out.append(fit[r, c].astype(np.int32))
    return np.concatenate(rows_out), np.concatenate(cols_out), np.concatenate(fits_out)


def _priority(problem: MentoringProblem) -> np.ndarray:
    per = problem.objective.waiting_days_per_point
    return np.array(
        [
            1 if per is None else min(MAX_PRIORITY, 1 + p.waiting_days // per)
            for p in problem.mentees
        ]
    )


def _report(
    problem: MentoringProblem, rows: np.ndarray, cols: np.ndarray, fits: np.ndarray
) -> dict[str, Any]:
    rows = np.asarray(rows)
    cols = np.asarray(cols)
    load = np.bincount(cols, minlength=len(problem.mentors)) if cols.size else np.zeros(1)
    capacity = np.array([p.capacity for p in problem.mentors])
    assert np.unique(rows).size == rows.size, "a mentee matched twice"
    assert (load <= capacity).all(), "a mentor over capacity"
    return {
        "matched": int(rows.size),
        "priority": int(_priority(problem)[rows].sum()) if rows.size else 0,
        "fit_points": int(np.asarray(fits, dtype=np.int64).sum()),
    }


def peer_engine(problem: MentoringProblem) -> dict[str, Any]:
    result = solve_mentoring(problem)
    cert = result.certificate
    return {
        "matched": result.matched,
        "priority": result.matched_priority,
        "fit_points": result.total_fit_points,
        "proven_optimal": cert.proven_optimal and cert.objective == cert.upper_bound,
        "pairs_scored": cert.pairs_scored,
    }


def peer_greedy(problem: MentoringProblem) -> dict[str, Any]:
    rows, cols, fits = all_pairs(problem)
    pri = _priority(problem)
    order = np.lexsort((cols, rows, -fits, -pri[rows]))
    free = np.array([p.capacity for p in problem.mentors])
    taken = np.zeros(len(problem.mentees), dtype=bool)
    out_r, out_c, out_f = [], [], []
    for k in order.tolist():
        r, c = rows[k], cols[k]
        if not taken[r] and free[c] > 0:
            taken[r] = True
            free[c] -= 1
            out_r.append(r)
            out_c.append(c)
            out_f.append(fits[k])
    return _report(
        problem, np.array(out_r, dtype=np.int64), np.array(out_c, dtype=np.int64), np.array(out_f)
    )


def _dense(problem: MentoringProblem) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mentees x mentor places: big*priority + fit where allowed, 0 elsewhere (= unmatched)."""
    rows, cols, fits = all_pairs(problem)
    capacity = np.array([p.capacity for p in problem.mentors])
    slot_mentor = np.repeat(np.arange(len(problem.mentors)), capacity)
    first_slot = np.r_[0, np.cumsum(capacity)[:-1]]
    big = len(problem.mentees) * fit_ceiling(encode(problem, problem.mentees[:1])) + 1
    pri = _priority(problem)
    weight = np.zeros((len(problem.mentees), slot_mentor.size))
    fit_of = np.full((len(problem.mentees), len(problem.mentors)), -1, dtype=np.int32)
    fit_of[rows, cols] = fits
    for k in range(int(capacity.max(initial=0))):
        has = capacity > k
        weight[rows[has[cols]], first_slot[cols[has[cols]]] + k] = (
            big * pri[rows[has[cols]]] + fits[has[cols]]
        )
    return weight, slot_mentor, fit_of


def _from_slots(
    problem: MentoringProblem,
    r: np.ndarray,
    s: np.ndarray,
    weight: np.ndarray,
    slot_mentor: np.ndarray,
    fit_of: np.ndarray,
) -> dict[str, Any]:
    keep = (s >= 0) & (s < weight.shape[1])
    r, s = r[keep], s[keep]
    keep = weight[r, s] > 0
    r, s = r[keep], s[keep]
    c = slot_mentor[s]
    return _report(problem, r, c, fit_of[r, c])


def peer_scipy(problem: MentoringProblem) -> dict[str, Any]:
    from scipy.optimize import linear_sum_assignment

    weight, slot_mentor, fit_of = _dense(problem)
    r, s = linear_sum_assignment(weight, maximize=True)
    return _from_slots(problem, r, s, weight, slot_mentor, fit_of)


def peer_lap(problem: MentoringProblem) -> dict[str, Any]:
    import lap

    weight, slot_mentor, fit_of = _dense(problem)
    cost = weight.max(initial=0) - weight
    del weight
    _, x, _ = lap.lapjv(cost, extend_cost=True)
    weight = cost.max(initial=0) - cost
    r = np.arange(x.size)
    return _from_slots(problem, r, np.asarray(x), weight, slot_mentor, fit_of)


def peer_ortools(problem: MentoringProblem) -> dict[str, Any]:
    from ortools.graph.python import min_cost_flow

    rows, cols, fits = all_pairs(problem)
    n, m = len(problem.mentees), len(problem.mentors)
    big = n * fit_ceiling(encode(problem, problem.mentees[:1])) + 1
    pri = _priority(problem)
    src, sink = n + m, n + m + 1
    tails = np.concatenate([np.full(n, src), rows, n + np.arange(m), [src]])
    heads = np.concatenate([np.arange(n), n + cols, np.full(m, sink), [sink]])
    caps = np.concatenate([np.ones(n + rows.size), [p.capacity for p in problem.mentors], [n]])
    costs = np.concatenate([np.zeros(n), -(big * pri[rows] + fits), np.zeros(m + 1)])
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(
        tails.astype(np.int32),
        heads.astype(np.int32),
        caps.astype(np.int64),
        costs.astype(np.int64),
    )
    flow.set_nodes_supplies(np.array([src, sink], dtype=np.int32), np.array([n, -n]))
    assert flow.solve() == flow.OPTIMAL
    used = np.asarray(flow.flows(np.asarray(arcs)[n : n + rows.size].astype(np.int32))) > 0
    return _report(problem, rows[used], cols[used], fits[used])


def peer_ortools_every(problem: MentoringProblem) -> dict[str, Any]:
    """OR-Tools on every mentee-mentor pair, as the issue's own measurement set it up (2.8 GB
    at 10,000 mentees): a pair that breaks a rule weighs 0, no better than staying unmatched,
    as in the dense peers. The filtered ``peer_ortools`` above is the stronger set-up."""
    from ortools.graph.python import min_cost_flow

    enc = encode(problem, problem.mentees)
    excluded = _exclusions(problem)
    n, m = len(problem.mentees), len(problem.mentors)
    big = n * fit_ceiling(enc) + 1
    pri = _priority(problem)
    src, sink = n + m, n + m + 1
    cols = np.arange(m)
    step = max(1, (1 << 22) // max(1, m))
    tails, heads, costs = [], [], []
    for lo in range(0, n, step):
        rows = np.arange(lo, min(n, lo + step))
        fit = score_block(enc, rows, cols, excluded)
        tails.append(np.repeat(rows, m).astype(np.int32))
        heads.append(np.tile(n + cols, rows.size).astype(np.int32))
        costs.append(np.where(fit >= 0, -(big * pri[rows][:, None] + fit), 0).ravel())
    pairs = n * m
    pair_cost = np.concatenate(costs).astype(np.int64)
    del costs
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(
        np.concatenate([np.full(n, src), *tails, n + cols, [src]]).astype(np.int32),
        np.concatenate([np.arange(n), *heads, np.full(m, sink), [sink]]).astype(np.int32),
        np.concatenate([np.ones(n + pairs), [p.capacity for p in problem.mentors], [n]]).astype(
            np.int64
        ),
        np.concatenate([np.zeros(n, np.int64), pair_cost, np.zeros(m + 1, np.int64)]),
    )
    del tails, heads
    flow.set_nodes_supplies(np.array([src, sink], dtype=np.int32), np.array([n, -n]))
    assert flow.solve() == flow.OPTIMAL
    arcs = np.arange(n, n + pairs, dtype=np.int32)
    used = np.flatnonzero((np.asarray(flow.flows(arcs)) > 0) & (pair_cost < 0))
    rows = used // m
    return _report(problem, rows, used % m, -pair_cost[used] - big * pri[rows])


def _load_matching_games() -> Any:
    """The `matching` and `mentor-match` wheels both install a top-level `matching` package;
    mentor-match's __init__ wins, so restore the names `matching.games` imports from."""
    import importlib

    import matching

    base = importlib.import_module("matching.base")
    for name in ("BaseGame", "BaseMatching", "BasePlayer"):
        setattr(matching, name, getattr(base, name))
    players = importlib.import_module("matching.players")
    for name in ("Hospital", "Player", "Project", "Supervisor"):
        setattr(matching, name, getattr(players, name))
    matchings = importlib.import_module("matching.matchings")
    for name in ("MultipleMatching", "SingleMatching"):
        setattr(matching, name, getattr(matchings, name))
    from matching.games import HospitalResident

    return HospitalResident


def peer_hospital_resident(problem: MentoringProblem, top: int = 50) -> dict[str, Any]:
    hr = _load_matching_games()
    sys.setrecursionlimit(1_000_000)
    rows, cols, fits = all_pairs(problem)
    # Full preference lists make the library far slower still; each mentee ranks its best 50.
    order = np.lexsort((cols, -fits, rows))
    rows, cols, fits = rows[order], cols[order], fits[order]
    starts = np.r_[0, np.flatnonzero(np.diff(rows)) + 1]
    rank = np.arange(rows.size) - np.repeat(starts, np.diff(np.r_[starts, rows.size]))
    keep = rank < top
    rows, cols, fits = rows[keep], cols[keep], fits[keep]
    e_ids = [p.id for p in problem.mentees]
    m_ids = [p.id for p in problem.mentors]
    resident_prefs: dict[str, list[str]] = {}
    for r, c in zip(rows.tolist(), cols.tolist(), strict=True):
        resident_prefs.setdefault(e_ids[r], []).append(m_ids[c])
    by_mentor = np.lexsort((rows, -fits, cols))
    hospital_prefs: dict[str, list[str]] = {m: [] for m in m_ids}
    for k in by_mentor.tolist():
        hospital_prefs[m_ids[cols[k]]].append(e_ids[rows[k]])
    capacities = {p.id: p.capacity for p in problem.mentors}
    hospital_prefs = {k: v for k, v in hospital_prefs.items() if v}
    capacities = {k: capacities[k] for k in hospital_prefs}
    game = hr.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
    result = game.solve(optimal="resident")
    fit_of = {(int(r), int(c)): int(f) for r, c, f in zip(rows, cols, fits, strict=True)}
    e_at = {x: k for k, x in enumerate(e_ids)}
    m_at = {x: k for k, x in enumerate(m_ids)}
    out_r, out_c = [], []
    for hospital, residents in result.items():
        for resident in residents:
            out_r.append(e_at[resident.name])
            out_c.append(m_at[hospital.name])
    out_f = [fit_of[(r, c)] for r, c in zip(out_r, out_c, strict=True)]
    return _report(
        problem, np.array(out_r, dtype=np.int64), np.array(out_c, dtype=np.int64), np.array(out_f)
    )


def peer_mentor_match(problem: MentoringProblem) -> dict[str, Any]:
    from matching.mentee import Mentee
    from matching.mentor import Mentor
    from matching.process import process_data

    rows, cols, fits = all_pairs(problem)
    fit_of = {(int(r), int(c)): int(f) for r, c, f in zip(rows, cols, fits, strict=True)}
    mentors = [Mentor(grade=0, email=p.id) for p in problem.mentors]
    mentees = [Mentee(grade=0, email=p.id) for p in problem.mentees]
    e_at = {id(x): k for k, x in enumerate(mentees)}
    m_at = {id(x): k for k, x in enumerate(mentors)}
    capacity = [p.capacity for p in problem.mentors]

    class Fit:
        """Our fit as mentor-match's rule: disallowed pairs and full mentors disqualify."""

        def apply(self, match: Any) -> int:
            r, c = e_at[id(match.mentee)], m_at[id(match.mentor)]
            full = len(match.mentor.mentees) >= capacity[c]
            if (r, c) not in fit_of or full or match.mentee.mentors:
                match.disallowed = True
                return 0
            return fit_of[(r, c)] + 1

        def evaluate(self, match: Any) -> bool:
            return True

    # One Munkres round per place: mentor-match gives each mentor one mentee per round.
    rounds = [[Fit()] for _ in range(max(capacity, default=0))]
    process_data(mentors, mentees, rounds)
    out_r, out_c = [], []
    for c, mentor in enumerate(mentors):
        for mentee in mentor.mentees:
            out_r.append(e_at[id(mentee)])
            out_c.append(c)
    out_f = [fit_of[(r, c)] for r, c in zip(out_r, out_c, strict=True)]
    return _report(
        problem, np.array(out_r, dtype=np.int64), np.array(out_c, dtype=np.int64), np.array(out_f)
    )


PEERS = {
    "engine": peer_engine,
    "greedy": peer_greedy,
    "scipy_lsa": peer_scipy,
    "lap_lapjv": peer_lap,
    "ortools_mcf": peer_ortools,
    "ortools_every": peer_ortools_every,
    "matching_hr": peer_hospital_resident,
    "mentor_match": peer_mentor_match,
}


def _load_scipy() -> None:
    import scipy.optimize  # noqa: F401


def _load_lap() -> None:
    import lap  # noqa: F401


def _load_ortools() -> None:
    from ortools.graph.python import min_cost_flow  # noqa: F401


def _load_mentor_match() -> None:
    import matching.process  # noqa: F401


#: What each solver loads once per process (imports, compiled code), timed apart from solving.
LOADERS: dict[str, Callable[[], Any]] = {
    "engine": warm_up,
    "scipy_lsa": _load_scipy,
    "lap_lapjv": _load_lap,
    "ortools_mcf": _load_ortools,
    "ortools_every": _load_ortools,
    "matching_hr": _load_matching_games,
    "mentor_match": _load_mentor_match,
}


def main() -> None:
    name, path = sys.argv[1], sys.argv[2]
    data = json.loads(Path(path).read_text())
    start = time.perf_counter()
    LOADERS.get(name, lambda: None)()
    load = time.perf_counter() - start
    start = time.perf_counter()
    problem = parse_mentoring_problem(data)
    out = PEERS[name](problem)
    out["seconds"] = time.perf_counter() - start
    out["load_seconds"] = load
    print(json.dumps(out))


if __name__ == "__main__":
    main()
