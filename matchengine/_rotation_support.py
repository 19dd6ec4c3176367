"""One-way support: each supported person (on probation, or the odd member out) gets a supporter.

A bipartite assignment with the same capacity for every supporter, ceil(supported / supporters),
which is the smallest load that lets everyone be supported: that is how supporters are spread
fairly. Earlier pairs are avoided whenever any assignment without them exists (they cost more
than any amount of fit), and among unavoidable ones the least recent is preferred.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from matchengine._rotation_fit import SCALE, PairScorer
from matchengine._rotation_solver import best_columns

IntArray = npt.NDArray[np.int64]
DENSE_LIMIT = 600_000
CANDIDATES = 24


@dataclass(frozen=True)
class SupportPlan:
    supporter: dict[int, int]  # supported person -> supporter (scorer indices)
    value: int  # fit units, earlier pairs not penalised
    bound: int
    proven_optimal: bool
    capacity: int


def assign_support(
    scorer: PairScorer,
    supported: list[int],
    supporters: list[int],
    recency: Mapping[tuple[int, int], int],
    *,
    capacity: int | None = None,
) -> SupportPlan:
    """recency[(a, b)] (a < b) is 1 for the oldest earlier round up to R for the latest."""
    if not supported or not supporters:
        return SupportPlan({}, 0, 0, True, 0)
    capacity = capacity or math.ceil(len(supported) / len(supporters))
    rows = np.array(supported, np.int64)
    cols = np.array(supporters, np.int64)
    if len(rows) * len(cols) * capacity <= DENSE_LIMIT:
        return _dense(scorer, rows, cols, capacity, recency)
    return _sparse(scorer, rows, cols, capacity, recency)


def _penalties(
    rows: IntArray, cols: IntArray, recency: Mapping[tuple[int, int], int], cap: int
) -> tuple[IntArray, IntArray, IntArray, int, int]:
    """Earlier pairs inside rows x cols: (row pos, col pos, recency) and the penalty scale."""
    pairs = np.array(list(recency.keys()), np.int64).reshape(-1, 2)
    ranks = np.array(list(recency.values()), np.int64)
    size = int(max(rows.max(initial=-1), cols.max(initial=-1), pairs.max(initial=-1))) + 1
    row_pos = np.full(size, -1, np.int64)
    col_pos = np.full(size, -1, np.int64)
    row_pos[rows] = np.arange(len(rows))
    col_pos[cols] = np.arange(len(cols))
    found_r, found_c, found_k = [], [], []
    for x, y in ((pairs[:, 0], pairs[:, 1]), (pairs[:, 1], pairs[:, 0])):
        hit = (row_pos[x] >= 0) & (col_pos[y] >= 0)
        found_r.append(row_pos[x[hit]])
        found_c.append(col_pos[y[hit]])
        found_k.append(ranks[hit])
    pr, pc, rank = np.concatenate(found_r), np.concatenate(found_c), np.concatenate(found_k)
    rounds = int(rank.max(initial=0))
    step = SCALE * 1000 * (len(rows) + 1)
    base = step * (rounds + 1) * (len(rows) + 1)
    return pr, pc, rank, step, base


def _dense(
    scorer: PairScorer,
    rows: IntArray,
    cols: IntArray,
    capacity: int,
    recency: Mapping[tuple[int, int], int],
) -> SupportPlan:
    a, b = np.meshgrid(rows, cols, indexing="ij")
    fit = scorer.exact(a.ravel(), b.ravel()).reshape(len(rows), len(cols))
    score = fit.astype(np.float64)
    pr, pc, rank, step, base = _penalties(rows, cols, recency, capacity)
    score[pr, pc] -= base + step * rank
    slots = np.repeat(score, capacity, axis=1)
    r, c = linear_sum_assignment(slots, maximize=True)
    chosen = c // capacity
    plan = {int(rows[i]): int(cols[j]) for i, j in zip(r, chosen, strict=True)}
    value = int(fit[r, chosen].sum())
    # An assignment optimum on all pairs is exact: it is its own bound.
    return SupportPlan(plan, value, value, True, capacity)


def _sparse(
    scorer: PairScorer,
    rows: IntArray,
    cols: IntArray,
    capacity: int,
    recency: Mapping[tuple[int, int], int],
) -> SupportPlan:
    # Screen supported people against the supporters, keep the best supporters of each (earlier
    # pairs left out), and an upper bound on every supporter not kept.
    cand_r: list[IntArray] = []
    cand_c: list[IntArray] = []
    pr, pc, rank, step, base = _penalties(rows, cols, recency, capacity)
    k = min(len(cols), CANDIDATES + capacity)
    rest_bound = np.zeros(len(rows))
    for start in range(0, len(rows), 256):
        chunk = rows[start : start + 256]
        block = np.array(scorer.screen_sub(chunk, cols), copy=True)
        mine = (pr >= start) & (pr < start + len(chunk))
        block[pr[mine] - start, pc[mine]] = -np.inf
        r, c = best_columns(block, k)
        cand_r.append(r + start)
        cand_c.append(c)
        # Every supporter not kept screens at or below the lowest one kept.
        lowest = np.full(len(chunk), np.inf)
        np.minimum.at(lowest, r, block[r, c].astype(np.float64))
        rest_bound[start : start + len(chunk)] = np.where(
            np.isfinite(lowest), lowest * SCALE + scorer.margin_units, -np.inf
        )
    cr = np.concatenate(cand_r)
    cc = np.concatenate(cand_c)
    fit = scorer.exact(rows[cr], cols[cc])
    slot_r = np.repeat(cr, capacity)
    slot_c = np.repeat(cc * capacity, capacity) + np.tile(np.arange(capacity), len(cc))
    slot_w = np.repeat(fit, capacity).astype(np.float64)
    cost = csr_matrix(
        (slot_w.max() + 1 - slot_w, (slot_r, slot_c)), shape=(len(rows), len(cols) * capacity)
    )
    r, c = min_weight_full_bipartite_matching(cost)
    chosen = c // capacity
    lookup = {(int(x), int(y)): int(w) for x, y, w in zip(cr, cc, fit, strict=True)}
    plan = {int(rows[i]): int(cols[j]) for i, j in zip(r, chosen, strict=True)}
    value = sum(lookup[(int(i), int(j))] for i, j in zip(r, chosen, strict=True))
    bound = _priced_bound(cr, cc, fit, rest_bound, len(rows), len(cols), capacity, value)
    return SupportPlan(plan, value, max(value, bound), value >= bound, capacity)


def _priced_bound(
    cr: IntArray,
    cc: IntArray,
    fit: IntArray,
    rest_bound: npt.NDArray[np.float64],
    n_rows: int,
    n_cols: int,
    capacity: int,
    value: int,
    iterations: int = 40,
) -> int:
    """Lagrangian bound: for any prices p >= 0 on supporters, no assignment beats
    sum over supported of max(best kept fit - p, best fit not kept) + capacity * sum(p).
    Prices move by subgradient steps on over-demanded supporters (a fixed number of steps)."""
    order = np.lexsort((cc, cr))
    cr, cc, w = cr[order], cc[order], fit[order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, cr[1:] != cr[:-1]])
    rows_present = cr[starts]
    price = np.zeros(n_cols)
    best = math.inf
    theta = 1.0
    for _ in range(iterations):
        score = w - price[cc]
        row_best = np.full(n_rows, -np.inf)
        row_best[rows_present] = np.maximum.reduceat(score, starts)
        row_best = np.maximum(row_best, rest_bound)
        total = float(np.clip(row_best, 0, None).sum()) + capacity * float(price.sum())
        best = min(best, total)
        # Over-demand: how many rows have each supporter as their best kept choice.
        is_best = score >= row_best[cr] - 1e-9
        first = np.flatnonzero(is_best)
        pick = first[np.r_[True, cr[first][1:] != cr[first][:-1]]] if len(first) else first
        demand = np.bincount(cc[pick], minlength=n_cols).astype(np.float64)
        gradient = demand - capacity
        gradient[(price <= 0) & (gradient < 0)] = 0.0
        norm = float((gradient**2).sum())
        if norm == 0:
            break
        price = np.maximum(0.0, price + theta * max(total - value, 1.0) / norm * gradient)
        theta *= 0.9
    return math.ceil(best - 1e-6)
