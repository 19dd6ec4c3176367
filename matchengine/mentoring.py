"""P1: one-to-one mentoring with mentor capacity, solved to a proven optimum.

The steps:

1. Locked pairs are checked against the hard constraints and taken out, using up their places.
2. ``candidates.Scanner`` finds each mentee's best allowed mentors (``KEEP`` of them) and a bound
   on every pair it left out. The solver starts from the best ``START`` of each.
3. The restricted problem is solved exactly (min-cost flow) and priced (``flow.low_prices``).
   A left-out pair (i, j) could only improve the answer if u_i + v_j < w_ij. Known pairs are
   checked one by one; unknown ones are covered at once when u_i beats the mentee's bound (v_j is
   never negative). A mentee whose bound is not covered is scanned in full. Violating pairs join
   the graph and the problem is solved again, until nothing is violated: then the duals are
   feasible for the whole problem and equal to the answer, which proves it optimal.
4. With ``fairness``, a binary search finds the highest worst-pair fit that still matches as many
   mentees, each step proven the same way, and the total fit is maximised above it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from matchengine._gc import gc_paused
from matchengine._jit import HAVE_JIT
from matchengine.candidates import Scanner
from matchengine.constraints import pair_violations
from matchengine.errors import ProblemError
from matchengine.explain import describe_pairs, explain_unmatched
from matchengine.flow import (
    CertificateError,
    Graph,
    Solution,
    Warm,
    auction_prices,
    by_row_then_col,
    check_duals,
    high_prices,
    low_prices,
    mentee_slack,
    solve,
)
from matchengine.model import POINTS_PER_UNIT, Location, MentoringProblem, Person
from matchengine.result import Certificate, MentoringResult, UnmatchedMentee, units
from matchengine.scoring import F64, BoolArray, Encoding, IntArray, encode, fit_ceiling

Progress = Callable[[str, float], None]
_DEBUG = bool(os.environ.get("MATCHENGINE_DEBUG"))

#: Allowed mentors remembered per mentee after the first scan, and how many start in the graph.
KEEP = 24
START = KEEP
#: Known pairs this close to violating the duals join the graph along with the violators.
NEAR = POINTS_PER_UNIT
#: A full scan leaves every pair it does not return covered by at least this much, so that a
#: mentee need not be scanned again while its value and its mentors' prices move by less (see
#: ``_rescan``). A quarter of a unit of fit: a small re-solve moves them by a few dozen points
#: (measured at 10,000 and 50,000 mentees, where 128 and 250 did equally well and 1,000 made
#: the early scans look at too many mentors).
SPARE = POINTS_PER_UNIT // 4
#: Price left-out pairs with the lowest optimal mentor prices rather than the solver's own duals.
LOW_PRICES = bool(os.environ.get("MATCHENGINE_LOW_PRICES"))
#: Start with a pricing round (the auction's duals, no exact solve) to find the pairs the first
#: candidate lists lack; the exact rounds follow.
PRICE_FIRST = True
#: Highest priority a long wait can give, so combined weights stay far from int64 overflow.
MAX_PRIORITY = 1000


@dataclass
class Pool:
    """Every scored pair known so far, sorted by (mentee, mentor); some are in the graph."""

    rows: IntArray
    cols: IntArray
    fits: IntArray
    in_graph: BoolArray
    bound: IntArray  # per mentee: no unscored allowed pair fits better; -1 when none is unscored
    scanned_full: BoolArray
    pairs_scored: int

    def add(self, rows: IntArray, cols: IntArray, fits: IntArray, m: int) -> None:
        """Add scored pairs, keeping the pool sorted; pairs it already holds stay as they are."""
        code = rows * m + cols
        order = np.argsort(code, kind="stable")
        code = code[order]
        first = np.r_[True, code[1:] != code[:-1]] if code.size else np.zeros(0, dtype=bool)
        order, code = order[first], code[first]
        held = self.rows * m + self.cols
        at = np.searchsorted(held, code)
        if held.size:
            new = held[np.minimum(at, held.size - 1)] != code
            order, at = order[new], at[new]
        # Merged in place of a sort of the whole pool: later rounds add few pairs to many.
        self.rows = np.insert(self.rows, at, rows[order])
        self.cols = np.insert(self.cols, at, cols[order])
        self.fits = np.insert(self.fits, at, fits[order])
        self.in_graph = np.insert(self.in_graph, at, False)


@dataclass(frozen=True)
class Instance:
    problem: MentoringProblem
    enc: Encoding
    scanner: Scanner
    priority: IntArray
    free: IntArray  # mentees to optimise (not locked)
    capacity: IntArray  # places left per mentor after locked pairs
    big: int  # priority weight: more than any total fit
    row_rank: IntArray  # the solver's working order of mentees and mentors (flow.Graph)
    col_rank: IntArray


@dataclass(frozen=True)
class Certified:
    graph: Graph
    solution: Solution
    u: IntArray
    v: IntArray
    rounds: int
    checked: int
    bounded: int

    @property
    def priority(self) -> int:
        return self.solution.value


Weigh = Callable[[IntArray, IntArray], IntArray]


def _certified_solve(
    inst: Instance, pool: Pool, theta: int, weigh: Weigh, progress: Progress | None, big: int = 0
) -> Certified:
    """Optimum over all allowed pairs with fit >= theta, proven by duals (see module doc)."""
    m = inst.capacity.size
    n = inst.priority.size
    is_free = np.zeros(n, dtype=bool)
    is_free[inst.free] = True
    rounds = 0
    warm: Warm | None = None
    # Each mentee's value and the round at its last full scan in this solve, and the mentor
    # prices of each round that scanned: see ``_rescan``.
    scan_u = np.zeros(n, dtype=np.int64)
    scan_round = np.full(n, -1, dtype=np.int64)
    snaps: dict[int, IntArray] = {}
    # A pair weighs base[i] + fit_weight * fit, the same in every round.
    everyone = np.arange(n, dtype=np.int64)
    base = weigh(everyone, np.zeros(n, dtype=np.int64))
    one = np.zeros(1, dtype=np.int64)
    fit_weight = int(weigh(one, one + 1)[0] - weigh(one, one)[0]) if n else 0
    # In fit points: none when only priorities count (``_fairness``'s searches).
    spare = SPARE * fit_weight
    while True:
        rounds += 1
        if progress is not None:
            progress("solving", rounds / (rounds + 1))
        sel = pool.in_graph & (pool.fits >= theta)
        rows, cols = pool.rows[sel], pool.cols[sel]
        graph = Graph(
            rows,
            cols,
            weigh(rows, pool.fits[sel]),
            inst.capacity,
            n,
            big,
            inst.row_rank,
            inst.col_rank,
        )
        guess = None
        if rounds == 1 and PRICE_FIRST:
            # The auction's prices stay in ``warm``: the first exact solve starts from them.
            warm = Warm.empty(n, inst.capacity)
            guess = auction_prices(graph, warm)
        sol: Solution | None = None
        if guess is not None:
            # A pricing round: the auction's duals find most of the pairs the first candidate
            # lists lack before any exact solve, which would mostly be thrown away.
            u, v = guess
        else:
            if warm is None:
                warm = Warm.empty(n, inst.capacity)
            sol, u, v = solve(graph, warm)
            if LOW_PRICES:
                v = low_prices(graph, sol)
                u = mentee_slack(graph, sol, v)
            if check_duals(graph, sol, u, v) != sol.value:
                raise CertificateError("dual objective differs from the matching's value")
        # Unscored pairs of a mentee weigh at most weigh(i, bound_i); v_j >= 0 covers the rest.
        # An unscored pair (i, j) is covered when u_i + v_j >= weigh(i, bound_i); pairs whose
        # mentor is cheaper than that are scored now and checked one by one below.
        open_rows = np.flatnonzero(is_free & (pool.bound >= theta))
        limit = np.zeros(n, dtype=np.int64)
        limit[open_rows] = weigh(open_rows, pool.bound[open_rows]) - u[open_rows]
        need = _rescan(
            inst.scanner, open_rows[limit[open_rows] > 0], u, v, scan_u, scan_round, snaps, spare
        )
        if need.size:
            found = inst.scanner.violations(need, limit, u, v, base, fit_weight, theta, NEAR, spare)
            pool.pairs_scored += found.pairs_scored
            pool.add(found.rows, found.cols, found.fits, m)
            pool.scanned_full[need] = True
            scan_u[need] = u[need]
            scan_round[need] = rounds
            snaps[rounds] = v.copy()
        reserve = ~pool.in_graph & (pool.fits >= theta)
        r_rows, r_cols = pool.rows[reserve], pool.cols[reserve]
        margin = u[r_rows] + v[r_cols] - weigh(r_rows, pool.fits[reserve])
        short = margin < 0
        if _DEBUG:
            print(
                f"round {rounds}: graph {rows.size} need {need.size} reserve {r_rows.size} "
                f"short {int(short.sum())} scored {pool.pairs_scored}",
                file=sys.stderr,
            )
        if sol is not None and not short.any():
            bounded = int(np.count_nonzero(is_free & (pool.bound >= theta)))
            return Certified(graph, sol, u, v, rounds, int(r_rows.size), bounded)
        # Pairs within one unit of fit of violating join too: re-solving costs more than a
        # slightly larger graph, and such pairs tend to violate in the next round.
        pool.in_graph[np.flatnonzero(reserve)[margin < NEAR]] = True


def _rescan(
    scanner: Scanner,
    need: IntArray,
    u: IntArray,
    v: IntArray,
    scan_u: IntArray,
    scan_round: IntArray,
    snaps: dict[int, IntArray],
    spare: int,
) -> IntArray:
    """The mentees of ``need`` whose unscored pairs the duals (u, v) might not cover.

    A full scan leaves every pair it does not return covered by that round's duals with
    ``spare`` to spare (u_i + v_j >= w_ij + spare: it returns the pairs short of ``NEAR``, which
    is more, and skips a mentor only when the mentee's bound covers it with ``spare`` to spare).
    Such a pair stays covered while u_i has fallen, plus the most any mentor the mentee can
    reach has become cheaper, by no more than spare; only the other mentees are scanned again:
    after a small re-solve, whose prices move by a few dozen points, a handful instead of every
    open mentee.
    """
    last = scan_round[need]
    again = last < 0
    fell = scan_u[need] - u[need]
    for r in np.unique(last[~again]).tolist():
        pick = np.flatnonzero(~again & (last == r))
        cheaper = scanner.reach_max(need[pick], snaps[r] - v)
        again[pick] = fell[pick] + cheaper > spare
    result: IntArray = need[again]
    return result


def _check_locks(problem: MentoringProblem) -> dict[str, int]:
    """Refuse locked pairs that break a rule; return each mentor's count of locked mentees."""
    if not problem.locked:
        return {}
    mentees = {p.id: p for p in problem.mentees}
    mentors = {p.id: p for p in problem.mentors}
    seen: set[str] = set()
    load: dict[str, int] = {}
    for ref in problem.locked:
        item = f"locked pair {ref.mentee} - {ref.mentor}"
        if ref.mentee in seen:
            raise ProblemError(f"locked mentee {ref.mentee!r}", "is locked to more than one mentor")
        seen.add(ref.mentee)
        broken = pair_violations(problem, mentees[ref.mentee], mentors[ref.mentor])
        if broken:
            raise ProblemError(item, "breaks a hard constraint: " + "; ".join(broken))
        load[ref.mentor] = load.get(ref.mentor, 0) + 1
        if load[ref.mentor] > mentors[ref.mentor].capacity:
            raise ProblemError(
                f"mentor {ref.mentor!r}",
                f"has more locked mentees ({load[ref.mentor]}) than places "
                f"({mentors[ref.mentor].capacity})",
            )
    return load


def _excluded(problem: MentoringProblem) -> dict[int, IntArray]:
    if not problem.must_not_pair and not problem.history:
        return {}
    mentee_at = {p.id: k for k, p in enumerate(problem.mentees)}
    mentor_at = {p.id: k for k, p in enumerate(problem.mentors)}
    banned: dict[int, list[int]] = {}
    for ref in problem.must_not_pair + problem.history:
        banned.setdefault(mentee_at[ref.mentee], []).append(mentor_at[ref.mentor])
    return {k: np.array(sorted(set(v)), dtype=np.int64) for k, v in banned.items()}


def _instance(problem: MentoringProblem) -> Instance:
    locked_load = _check_locks(problem)
    enc = encode(problem, problem.mentees)
    capacity = np.array(
        [p.capacity - locked_load.get(p.id, 0) for p in problem.mentors], dtype=np.int64
    )
    locked_mentees = {ref.mentee for ref in problem.locked}
    free = np.array(
        [k for k, p in enumerate(problem.mentees) if p.id not in locked_mentees]
        if locked_mentees
        else range(len(problem.mentees)),
        dtype=np.int64,
    )
    per_point = problem.objective.waiting_days_per_point
    priority = (
        np.ones(len(problem.mentees), dtype=np.int64)
        if per_point is None
        else np.array(
            [min(MAX_PRIORITY, 1 + p.waiting_days // per_point) for p in problem.mentees],
            dtype=np.int64,
        )
    )
    big = max(1, free.size) * fit_ceiling(enc) + 1
    nodes = free.size + len(problem.mentors) + 2
    if big * int(priority.max(initial=1)) * nodes >= 2**62:
        raise ProblemError(
            "objective.waiting_days_per_point",
            "too fine for this many people: combined weights would overflow; use a larger value",
        )
    usable = np.flatnonzero(capacity > 0).astype(np.int64)
    scanner = Scanner(enc, _excluded(problem), usable, free)
    return Instance(
        problem,
        enc,
        scanner,
        priority,
        free,
        capacity,
        big,
        _map_rank(enc.xyz_a),
        _map_rank(enc.xyz_b),
    )


#: Map cells for the solver's working order, in degrees (about 17 miles north to south).
RANK_CELL = 0.25


def _map_rank(xyz: F64) -> IntArray:
    """Each person's position when sorted by map cell (row by row), then latitude.

    Neighbours compete for the same mentors, so the solver's searches stay within a stretch of
    its arrays (``flow.Graph.row_rank``). People without a location sit at (0, 0).
    """
    lat = np.degrees(np.arcsin(np.clip(xyz[:, 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
    order = np.lexsort((lat, np.floor(lon / RANK_CELL), np.floor(lat / RANK_CELL)))
    rank = np.empty(order.size, dtype=np.int64)
    rank[order] = np.arange(order.size, dtype=np.int64)
    return rank


def _first_pool(inst: Instance, progress: Progress | None) -> Pool:
    n = inst.priority.size

    def report(fraction: float) -> None:
        if progress is not None:
            progress("candidates", fraction)

    found = inst.scanner.scan(inst.free, keep=KEEP, progress=report)
    rank = np.arange(found.rows.size)
    if found.rows.size:
        starts = np.flatnonzero(np.r_[True, np.diff(found.rows) != 0])
        lengths = np.diff(np.r_[starts, found.rows.size])
        rank = rank - np.repeat(starts, lengths)
    # A scan returns each pair once: sorted by (mentee, mentor) in linear time, where
    # ``Pool.add`` would sort and merge.
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(found.rows, minlength=n), out=indptr[1:])
    order = by_row_then_col(found.rows, found.cols, indptr)
    return Pool(
        rows=found.rows[order],
        cols=found.cols[order],
        fits=found.fits[order],
        # The START best of each mentee start in the graph.
        in_graph=(rank < START)[order],
        bound=found.bound,
        scanned_full=np.zeros(n, dtype=bool),
        pairs_scored=found.pairs_scored,
    )


def _fairness(
    inst: Instance, pool: Pool, best: Certified, progress: Progress | None
) -> tuple[Certified, dict[str, Any]]:
    """Raise the worst pair's fit as far as it goes without matching fewer, then maximise fit."""
    target = int(inst.priority[best.graph.rows[best.solution.arc_used]].sum())
    fits_used = pool_fit_of(pool, best)
    if target == 0 or fits_used.size == 0:
        return best, {"min_pair_fit": None}

    def count(rows: IntArray, fits: IntArray) -> IntArray:
        return inst.priority[rows]

    lo = int(fits_used.min())
    hi = fit_ceiling(inst.enc) + 1
    hi_priority: int | None = None
    steps = 0
    while hi - lo > 1:
        mid = (lo + hi) // 2
        steps += 1
        trial = _certified_solve(inst, pool, mid, count, progress)
        if trial.priority == target:
            lo = mid
        else:
            hi, hi_priority = mid, trial.priority
    final = _certified_solve(inst, pool, lo, _full_weigh(inst), progress, inst.big)
    detail: dict[str, Any] = {
        "min_pair_fit": units(lo),
        "priority_needed": target,
        "next_fit_tried": units(hi),
        "priority_possible_at_next": hi_priority if hi_priority is not None else 0,
        "search_steps": steps,
        "note": "requiring every pair to fit at least next_fit_tried would match less priority "
        "than priority_needed (each step proven by duals), so min_pair_fit is the best worst pair",
    }
    return final, detail


def pool_fit_of(pool: Pool, cert: Certified) -> IntArray:
    """Fit points of the pairs the certified solution uses (its graph holds the weights)."""
    m = cert.graph.capacity.size
    used_codes = (
        cert.graph.rows[cert.solution.arc_used] * m + cert.graph.cols[cert.solution.arc_used]
    )
    codes = pool.rows * m + pool.cols
    idx = np.searchsorted(codes, used_codes)
    result: IntArray = pool.fits[idx]
    return result


def _full_weigh(inst: Instance) -> Weigh:
    def weigh(rows: IntArray, fits: IntArray) -> IntArray:
        return inst.big * inst.priority[rows] + fits

    return weigh


@gc_paused
def solve_mentoring(
    problem: MentoringProblem, *, progress: Progress | None = None
) -> MentoringResult:
    """Solve P1 to a proven optimum and explain every pair and every unmatched mentee.

    ``progress`` is called with a stage label ("candidates", "solving", "explaining") and the
    fraction of that stage done. Raises ``ProblemError`` for locked pairs that break a rule.
    """
    inst = _instance(problem)
    pool = _first_pool(inst, progress)
    weigh = _full_weigh(inst)
    best = _certified_solve(inst, pool, 0, weigh, progress, inst.big)
    final, fairness = best, None
    if problem.objective.fairness:
        final, fairness = _fairness(inst, pool, best, progress)
    sol = final.solution
    used_fits = pool_fit_of(pool, final)
    mentees, mentors = problem.mentees, problem.mentors
    chosen: list[tuple[int, int, bool]] = []
    if problem.locked:
        mentee_at = {p.id: k for k, p in enumerate(mentees)}
        mentor_at = {p.id: k for k, p in enumerate(mentors)}
        chosen = [(mentee_at[ref.mentee], mentor_at[ref.mentor], True) for ref in problem.locked]
    chosen += [
        (int(r), int(c), False)
        for r, c in zip(
            final.graph.rows[sol.arc_used].tolist(),
            final.graph.cols[sol.arc_used].tolist(),
            strict=True,
        )
    ]
    chosen.sort()
    matched_rows = {row for row, _, _ in chosen}
    unmatched_rows = [int(r) for r in inst.free.tolist() if r not in matched_rows]
    if progress is not None:
        progress("explaining", 0.0)
    high = high_prices(best.graph, best.solution, best.v)

    def explain() -> list[UnmatchedMentee]:
        return explain_unmatched(
            inst.enc,
            unmatched_rows,
            capacity=inst.capacity,
            load=sol.load,
            high=high,
            big=inst.big,
            priority=inst.priority,
            strict_priority=problem.objective.fairness,
            excluded=inst.scanner.excluded,
            kernel_data=inst.scanner.kernel_data,
        )

    unmatched = explain()
    pairs = describe_pairs(
        inst.enc,
        np.array([c[0] for c in chosen], dtype=np.int64),
        np.array([c[1] for c in chosen], dtype=np.int64),
        np.array([c[2] for c in chosen], dtype=bool),
    )
    free_fit = int(used_fits.sum())
    if free_fit != sum(p.fit_points for p in pairs if not p.locked):
        raise CertificateError("pair explanations do not add up to the optimised fit")
    if progress is not None:
        progress("explaining", 1.0)
    all_fit = sum(p.fit_points for p in pairs)
    certificate = Certificate(
        proven_optimal=True,
        objective=sol.value,
        upper_bound=check_duals(final.graph, sol, final.u, final.v),
        priority_weight=inst.big,
        rounds=best.rounds + (final.rounds if final is not best else 0),
        pairs_scored=pool.pairs_scored,
        pairs_in_graph=int(final.graph.rows.size),
        pairs_checked_against_duals=final.checked,
        mentees_bounded=final.bounded,
        mentees_scanned_in_full=int(pool.scanned_full.sum()),
        fairness=fairness,
    )
    return MentoringResult(
        pairs=tuple(pairs),
        unmatched=tuple(unmatched),
        certificate=certificate,
        mentees=len(mentees),
        mentors=len(mentors),
        matched_priority=int(inst.priority[[row for row, _, _ in chosen]].sum()) if chosen else 0,
        total_fit_points=all_fit,
        min_pair_fit_points=min((p.fit_points for p in pairs if not p.locked), default=None),
    )


def warm_up() -> None:
    """Load the compiled kernels now instead of during the first solve.

    Loading them costs about 0.3 to 0.5 s once per process (numba sets itself up, then reads
    the kernels from its cache), whatever the problem's size. A process that answers problems
    as they come, such as a task worker, calls this when it starts so that its first answer
    comes as fast as the rest. Solves a small built-in problem that runs every kernel; without
    numba it does nothing.
    """
    if not HAVE_JIT:
        return
    # 32 mentees for 30 one-place mentors with more allowed mentors each than KEEP: every
    # kernel runs (scan, auction, exact solve, dual check, prices, explanations).
    mentors = tuple(
        Person(
            id=f"b{k:02d}",
            languages=("en",),
            location=Location(51.5, -0.1 + k * 0.01),
            travel_limit=30.0,
            capacity=1,
            experience=("x",) if k % 2 else (),
        )
        for k in range(KEEP + 6)
    )
    mentees = tuple(
        Person(
            id=f"a{k:02d}",
            languages=("en",) if k <= KEEP + 6 else ("ti",),
            location=Location(51.5, -0.1),
            travel_limit=30.0,
            needs=("x",),
        )
        for k in range(KEEP + 8)
    )
    solve_mentoring(MentoringProblem(mentees=mentees, mentors=mentors))
