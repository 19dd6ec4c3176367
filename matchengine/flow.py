"""Maximum-weight b-matching on a sparse candidate graph, and dual prices that prove it optimal.

The matching and one optimal dual solution come from successive shortest paths (``_ssp``:
exact, integer, warm-startable), started from an auction's near-optimal prices (``_auction``).
Two other dual solutions matter, rebuilt here as longest and shortest paths in the residual
graph:

* the lowest mentor prices (``v_low``): a mentor's price is what one more place for them would
  add to the optimum. They leave mentees the most slack, which is what proving left-out pairs
  harmless needs;
* the highest mentor prices (``v_high``): what the optimum loses if the mentor had one place
  fewer. A change that only touches one unmatched mentee's pairs matches them exactly when some
  new pair's weight beats its mentor's high price.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass

import numpy as np

from matchengine._auction import auction
from matchengine._jit import HAVE_JIT, jit
from matchengine._ssp import _pop, _short_mentors, _sift_up
from matchengine._ssp import _solve as _ssp_solve
from matchengine.scoring import BoolArray, IntArray


@dataclass(frozen=True)
class Graph:
    """Candidate pairs (sorted by mentee then mentor) with their combined integer weights."""

    rows: IntArray
    cols: IntArray
    weights: IntArray
    capacity: IntArray  # places per mentor (all mentors)
    n_rows: int
    #: weights are big * priority + fit; when every priority is equal the solver can find a
    #: maximum flow of least cost on the fits alone, which is faster on small numbers.
    big: int = 0
    #: Optional position of each mentee / mentor in the solver's working order (a permutation).
    #: People who compete for the same mentors should sit close together: the searches then
    #: touch far fewer cache lines. The answer stays optimal; among equal optima the order can
    #: decide which one is returned, so it must be deterministic.
    row_rank: IntArray | None = None
    col_rank: IntArray | None = None


@dataclass(frozen=True)
class Solution:
    mate: IntArray  # mentor per mentee, -1 if unmatched
    arc_used: BoolArray  # per graph arc
    load: IntArray  # mentees per mentor
    value: int


class CertificateError(RuntimeError):
    """The engine could not verify its own answer: a bug, never a property of the input."""


def _compact(ids: IntArray, size: int) -> tuple[IntArray, IntArray]:
    """The distinct ids in order, and each id's position among them."""
    present = np.zeros(size, dtype=bool)
    present[ids] = True
    distinct = np.flatnonzero(present)
    position = np.cumsum(present) - 1
    return distinct, position[ids]


@dataclass
class Warm:
    """The solver's state between re-solves of a growing graph (see ``solve``).

    Held in the solver's working order (``Graph.row_rank``, ``col_rank``), set by the first
    solve: ``pa`` and ``pb`` give each mentee's and mentor's position in it.
    """

    u: IntArray
    v: IntArray
    mate: IntArray
    holder: IntArray  # mentee in each mentor place (places of mentor j from sstart[j]), -1 free
    load: IntArray
    sstart: IntArray
    fresh: bool = True
    pa: IntArray | None = None
    pb: IntArray | None = None
    #: The last auction on this market, if any: prices and holders per mentor place, mentor
    #: per mentee. The next fresh seeding continues from it (``_seed``).
    slot_price: IntArray | None = None
    slot_holder: IntArray | None = None
    auction_mate: IntArray | None = None

    @classmethod
    def empty(cls, n: int, capacity: IntArray) -> Warm:
        cap = capacity.astype(np.int64)
        sstart = np.zeros(cap.size + 1, dtype=np.int64)
        np.cumsum(cap, out=sstart[1:])
        return cls(
            u=np.zeros(n, dtype=np.int64),
            v=np.zeros(cap.size, dtype=np.int64),
            mate=np.full(n, -1, dtype=np.int64),
            holder=np.full(int(sstart[-1]), -1, dtype=np.int64),
            load=np.zeros(cap.size, dtype=np.int64),
            sstart=sstart,
        )


@dataclass(frozen=True)
class _Work:
    """A graph in the solver's working order (``Warm.pa``, ``pb``), arcs by mentee and by mentor."""

    indptr: IntArray
    rows: IntArray
    cols: IntArray
    w: IntArray
    cap: IntArray
    rptr: IntArray
    rrow: IntArray
    rw: IntArray
    ib: IntArray


def _prepare(graph: Graph, warm: Warm) -> _Work:
    n = graph.n_rows
    m = graph.capacity.size
    if warm.fresh:
        warm.pa = np.arange(n, dtype=np.int64) if graph.row_rank is None else graph.row_rank
        warm.pb = np.arange(m, dtype=np.int64) if graph.col_rank is None else graph.col_rank
        # The empty state in the working order: only the mentors' place ranges depend on it.
        by_rank = np.empty(m, dtype=np.int64)
        by_rank[warm.pb] = np.arange(m, dtype=np.int64)
        warm.sstart = Warm.empty(n, graph.capacity[by_rank]).sstart
    pa, pb = warm.pa, warm.pb
    if pa is None or pb is None:
        raise AssertionError("warm state without a working order")
    ib = np.empty(m, dtype=np.int64)
    ib[pb] = np.arange(m, dtype=np.int64)
    cap = graph.capacity.astype(np.int64)[ib]
    # Arcs in the working order, sorted by mentee then mentor as the kernels expect.
    new_rows, new_cols = pa[graph.rows], pb[graph.cols]
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(new_rows, minlength=n), out=indptr[1:])
    arc_order = by_row_then_col(new_rows, new_cols, indptr)
    rows, cols = new_rows[arc_order], new_cols[arc_order]
    w = graph.weights.astype(np.int64)[arc_order]
    rptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols, minlength=m), out=rptr[1:])
    by_col = _stable_by_key(cols, rptr)
    rrow, rw = rows[by_col], w[by_col]
    return _Work(indptr, rows, cols, w, cap, rptr, rrow, rw, ib)


def _equal_priorities(w: IntArray, big: int) -> bool:
    level = w // big if big > 0 else w[:0]
    return bool(level.size) and bool((level == level[0]).all())


def auction_prices(graph: Graph, warm: Warm | None = None) -> tuple[IntArray, IntArray] | None:
    """Near-optimal duals (u, v) from the seeding auction alone, without the exact solve.

    Good enough to find which left-out pairs the exact duals will probably not cover, at a
    fraction of an exact solve; ``None`` when the auction does not apply (unequal priorities).
    Given ``warm`` (empty), the auction's prices stay there for the first ``solve``, which then
    starts from them.
    """
    if warm is None:
        warm = Warm.empty(graph.n_rows, graph.capacity)
    work = _prepare(graph, warm)
    if not _equal_priorities(work.w, graph.big):
        return None
    _seed(work.indptr, work.cols, work.w, work.cap, work.rptr, work.rrow, work.rw, graph.big, warm)
    v = warm.v
    u = np.zeros(graph.n_rows, dtype=np.int64)
    np.maximum.at(u, work.rows, work.w - v[work.cols])
    if warm.pa is None or warm.pb is None:
        raise AssertionError("warm state without a working order")
    return u[warm.pa], v[warm.pb]


def solve(graph: Graph, warm: Warm | None = None) -> tuple[Solution, IntArray, IntArray]:
    """The optimum on the graph and exact optimal duals (u per mentee, v per mentor).

    Successive shortest paths (``_ssp``), started from the seeding auction's prices (``_seed``).
    With ``warm`` (the state after solving a graph with fewer arcs and the same capacities), only
    mentees with a new arc their duals do not cover are placed again, unless they are more than
    one in ``RESEED`` (then the market is priced afresh); ``warm`` is updated in place.
    """
    n = graph.n_rows
    m = graph.capacity.size
    if warm is None:
        warm = Warm.empty(n, graph.capacity)
    work = _prepare(graph, warm)
    pa, pb, ib = warm.pa, warm.pb, work.ib
    if pa is None or pb is None:
        raise AssertionError("warm state without a working order")
    indptr, rows, cols, w, cap = work.indptr, work.rows, work.cols, work.w, work.cap
    rptr, rrow, rw = work.rptr, work.rrow, work.rw
    short = w[:0] < 0
    if not warm.fresh:
        short = warm.u[rows] + warm.v[cols] < w
        if np.unique(rows[short]).size * RESEED > np.count_nonzero(np.diff(indptr)):
            # New arcs upset a large share of the market (typically to mentors the first,
            # shorter candidate lists made look full): pricing it afresh is faster than
            # re-placing that many mentees one by one.
            warm.fresh = True
    if warm.fresh:
        warm.fresh = False
        order = _seed(indptr, cols, w, cap, rptr, rrow, rw, graph.big, warm)
    else:
        order = np.unique(rows[short])
        for i in order.tolist():
            j = int(warm.mate[i])
            if j >= 0:
                places = warm.holder[warm.sstart[j] : warm.sstart[j + 1]]
                places[places == i] = -1
                warm.load[j] -= 1
                warm.mate[i] = -1
            warm.u[i] = 0
    _ssp_solve(
        indptr,
        cols,
        w,
        rptr,
        rrow,
        rw,
        cap,
        order.astype(np.int64),
        warm.u,
        warm.v,
        warm.mate,
        warm.sstart,
        warm.holder,
        warm.load,
    )
    # Back to the caller's numbering.
    mate = warm.mate[pa]
    mate = np.where(mate >= 0, ib[np.maximum(mate, 0)], -1)
    used = mate[graph.rows] == graph.cols
    load = np.bincount(graph.cols[used], minlength=m).astype(np.int64)
    sol = Solution(mate, used, load, int(graph.weights[used].astype(np.int64).sum()))
    return sol, warm.u[pa], warm.v[pb]


#: The seeding auction's epsilon scaling: the first round's step is a quarter of the largest
#: fit, each round's a tenth of the last, down to ``AUCTION_END`` points. Finer rounds cost more
#: bids than the exact solver then saves (measured at 10,000 and 50,000 mentees).
AUCTION_FACTOR = 10
AUCTION_END = 80
#: Bids the auction may make per arc (and mentee) before it stops where it is; at 50,000
#: mentees it needs about one.
AUCTION_BUDGET = 50
#: A re-solve prices the market afresh when more than one mentee in ``RESEED`` must be placed
#: again.
RESEED = 4


@jit
def _stable_by_key(key: IntArray, start: IntArray) -> IntArray:
    """``np.argsort(key, kind="stable")`` by counting: ``start`` holds each key's first slot."""
    nxt = start[:-1].copy()
    order = np.empty(key.size, dtype=np.int64)
    for a in range(key.size):
        k = key[a]
        order[nxt[k]] = a
        nxt[k] += 1
    return order


@jit
def by_row_then_col(rows: IntArray, cols: IntArray, indptr: IntArray) -> IntArray:
    """Arcs sorted by (row, col): a counting sort by col, then a stable one by row.

    The same permutation as a stable argsort of ``rows * m + cols`` (no pair repeats), in
    linear time: the graph is re-sorted for every solve, and at 50,000 mentees a full sort
    cost a quarter of a second each time.
    """
    m = 0
    for a in range(cols.size):
        m = max(m, cols[a] + 1)
    cptr = np.zeros(m + 1, dtype=np.int64)
    for a in range(cols.size):
        cptr[cols[a] + 1] += 1
    for c in range(m):
        cptr[c + 1] += cptr[c]
    by_col = _stable_by_key(cols, cptr)
    nxt = indptr[:-1].copy()
    order = np.empty(rows.size, dtype=np.int64)
    for x in by_col:
        r = rows[x]
        order[nxt[r]] = x
        nxt[r] += 1
    return order


def _seed(
    indptr: IntArray,
    cols: IntArray,
    w: IntArray,
    cap: IntArray,
    rptr: IntArray,
    rrow: IntArray,
    rw: IntArray,
    big: int,
    warm: Warm,
) -> IntArray:
    """Start the exact solver from an auction's prices; returns the mentees left to place.

    Pairs that are exactly tight under the prices are kept (they satisfy every optimality
    condition the solver keeps); every other mentee is placed again by the exact solver.
    """
    n = indptr.size - 1
    m = cap.size
    # An empty market (a re-solve may price afresh after earlier solves).
    warm.u[:] = 0
    warm.v[:] = 0
    warm.mate[:] = -1
    warm.holder[:] = -1
    warm.load[:] = 0
    everyone = np.flatnonzero(np.diff(indptr) > 0).astype(np.int64)
    if not _equal_priorities(w, big):
        # Unequal priorities: every mentee is placed from zero prices.
        return everyone
    unit = big * int(w[0] // big)
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr))
    has_place = cap > 0
    price, slot_holder, mate = warm.slot_price, warm.slot_holder, warm.auction_mate
    if price is not None and slot_holder is not None and mate is not None:
        # The same market auctioned before on fewer pairs: its assignment still holds for every
        # mentee no new pair tempts by more than the finest step, so only those bid again.
        # New pairs can change which mentors are contested: their prices move by a priority
        # unit, which the finest step would take a price war to cover.
        contested = np.repeat(_short_mentors(indptr, cols, cap, warm.sstart, mate), cap)
        # Contested prices are about one unit (a round may have lowered one a little below).
        was = price >= unit // 2
        price[was] = np.maximum(price[was] - unit, 0)
        price += np.where(contested, unit, 0)
        cheapest = np.zeros(m, dtype=np.int64)
        if price.size:
            cheapest[has_place] = np.minimum.reduceat(price, warm.sstart[:-1][has_place])
        best = _segment_max(w - cheapest[cols], rows, n, 0)
        slot_of = np.full(n, -1, dtype=np.int64)
        held = np.flatnonzero(slot_holder >= 0)
        slot_of[slot_holder[held]] = held
        # What a mentee's own mentor offers: its cheapest place, which the mentee may take
        # instead of the one it holds (a place left free may have become cheaper).
        own = np.zeros(n, dtype=np.int64)
        mine = (mate[rows] == cols) & (slot_of[rows] >= 0)
        own[rows[mine]] = w[mine] - cheapest[cols[mine]]
        tempted = np.flatnonzero((mate >= 0) & (best > own + AUCTION_END))
        slot_holder[slot_of[tempted]] = -1
        mate[tempted] = -1
        eps_start, keep = AUCTION_END, True
    else:
        # Mentors some left-out mentee could take are worth about one priority unit in the
        # optimum; the auction starts them there and works out the fits.
        contested = _short_mentors(indptr, cols, cap, warm.sstart, np.full(n, -1, np.int64))
        price = np.repeat(np.where(contested, unit, 0), cap).astype(np.int64)
        eps_start, keep = max(1, int((w - unit).max()) // 4), False
        slot_holder = np.full(price.size, -1, dtype=np.int64)
        mate = np.full(n, -1, dtype=np.int64)
    auction(
        indptr,
        cols,
        w,
        cap,
        rptr,
        rrow,
        rw,
        warm.sstart,
        eps_start,
        AUCTION_FACTOR,
        AUCTION_END,
        price,
        slot_holder,
        mate,
        AUCTION_BUDGET * (w.size + n + 1),
        keep,
    )
    warm.slot_price, warm.slot_holder, warm.auction_mate = price, slot_holder, mate.copy()
    v = np.zeros(m, dtype=np.int64)
    if price.size:
        v[has_place] = np.minimum.reduceat(price, warm.sstart[:-1][has_place])
    # An optimum charges nothing for a free place.
    v[np.bincount(mate[mate >= 0], minlength=m) < cap] = 0
    gain = w - v[cols]
    u = np.zeros(n, dtype=np.int64)
    np.maximum.at(u, rows, gain)
    matched = mate >= 0
    own = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    own_arc = matched[rows] & (cols == mate[rows])
    own[rows[own_arc]] = gain[own_arc]
    keep = matched & (own == u)
    warm.v[:] = v
    warm.u[:] = np.where(keep, u, 0)
    warm.mate[:] = np.where(keep, mate, -1)
    kept = np.flatnonzero(keep)
    by_mentor = kept[np.argsort(mate[kept], kind="stable")]
    mentor_of = mate[by_mentor]
    warm.load[:] = np.bincount(mentor_of, minlength=m)
    first = np.searchsorted(mentor_of, mentor_of)
    warm.holder[warm.sstart[mentor_of] + np.arange(by_mentor.size) - first] = by_mentor
    left: IntArray = everyone[~keep[everyone]]
    return left


def _segment_max(values: IntArray, groups: IntArray, size: int, fill: int) -> IntArray:
    # ufunc.at is the fastest group-wise reduction in numpy 2 (faster than sort + reduceat).
    out = np.full(size, fill, dtype=np.int64)
    np.maximum.at(out, groups, values)
    return out


def _segment_min(values: IntArray, groups: IntArray, size: int, fill: int) -> IntArray:
    out = np.full(size, fill, dtype=np.int64)
    np.minimum.at(out, groups, values)
    return out


def _matched_weight(graph: Graph, sol: Solution) -> IntArray:
    """Weight of each mentee's own pair (0 if unmatched)."""
    own = np.zeros(graph.n_rows, dtype=np.int64)
    own[graph.rows[sol.arc_used]] = graph.weights[sol.arc_used]
    return own


def low_prices(graph: Graph, sol: Solution) -> IntArray:
    """Least mentor prices v >= 0 with u_i = w(i, mate) - v(mate) dual feasible.

    Longest paths: a pair (i, j) that i does not use forces v_j >= w_ij - u_i. Iterated to the
    fixed point, which exists because an optimal matching has no improving cycle.
    """
    m = graph.capacity.size
    own = _matched_weight(graph, sol)
    free = ~sol.arc_used
    rows, cols, w = graph.rows[free], graph.cols[free], graph.weights[free]
    src = sol.mate[rows]  # mentor whose price sets u_i; -1 for unmatched mentees (u_i = 0)
    matched = src >= 0
    base = np.where(matched, w - own[rows], w)
    v = np.maximum(0, _segment_max(np.where(matched, np.iinfo(np.int64).min, base), cols, m, 0))
    src_m, col_m, base_m = src[matched], cols[matched], base[matched]
    for _ in range(m + 2):
        reach = _segment_max(v[src_m] + base_m, col_m, m, 0)
        new = np.maximum(v, reach)
        if np.array_equal(new, v):
            return v
        v = new
    raise CertificateError("mentor prices did not settle: the matching is not optimal")


def high_prices(graph: Graph, sol: Solution, v: IntArray | None = None) -> IntArray:
    """Most each mentor's last place is worth: the loss if they had one place fewer.

    Shortest paths to a free place: give up mentee i (losing w(i, j)), or move i to j' and free
    a place there in turn. Mentors with a free place cost nothing. Given optimal mentor prices v
    for the solution, every step is at least v_j - v_j', so Dijkstra's algorithm finds the paths
    with the prices as potentials; the general relaxation is the fallback and the reference.
    """
    m = graph.capacity.size
    big = np.iinfo(np.int64).max // 4
    own = _matched_weight(graph, sol)
    spare = sol.load < graph.capacity
    used = sol.arc_used
    # Giving up one of j's mentees outright.
    drop = _segment_min(graph.weights[used], graph.cols[used], m, big)
    d = np.where(spare, 0, drop)
    free = ~used
    rows, cols = graph.rows[free], graph.cols[free]
    src = sol.mate[rows]
    keep = src >= 0
    src, cols, step = src[keep], cols[keep], own[rows[keep]] - graph.weights[free][keep]
    if HAVE_JIT and v is not None:
        reduced = step - v[src] + v[cols]
        if (reduced >= 0).all() and not v[spare].any():
            start = np.zeros(m + 1, dtype=np.int64)
            np.cumsum(np.bincount(cols, minlength=m), out=start[1:])
            by_col = _stable_by_key(cols, start)
            _dijkstra(d, spare, v, start, src[by_col], reduced[by_col])
            return d
    if HAVE_JIT:
        if _relax(d, spare, src, cols, step):
            return d
    else:
        # Whole-array passes: the same fixed point, faster than a Python loop over arcs.
        for _ in range(m + 2):
            reach = _segment_min(d[cols] + step, src, m, big)
            new = np.minimum(d, reach)
            new[spare] = 0
            if np.array_equal(new, d):
                return d
            d = new
    raise CertificateError("mentor high prices did not settle: the matching is not optimal")


@jit
def _dijkstra(
    d: IntArray, spare: BoolArray, v: IntArray, start: IntArray, src: IntArray, reduced: IntArray
) -> None:
    """``_relax``'s fixed point by Dijkstra's algorithm, in place.

    Arcs from mentor c (``start[c]`` to ``start[c + 1]``) to the mentors ``src`` whose place c's
    shortest path can free, with non-negative ``reduced`` steps (the step less the change in
    price); labels are d - v, and every mentor starts at its own label (a multi-source search),
    in the exact solver's indexed heap.
    """
    m = d.size
    label = d - v
    done = np.zeros(m, dtype=np.bool_)
    hd = np.empty(m, dtype=np.int64)
    hj = np.empty(m, dtype=np.int64)
    pos = np.full(m, -1, dtype=np.int64)
    for x in range(m):
        hd[x] = label[x]
        hj[x] = x
        _sift_up(hd, hj, pos, x)
    size = m
    while size > 0:
        key = hd[0]
        c = hj[0]
        size = _pop(hd, hj, pos, size)
        done[c] = True
        for a in range(start[c], start[c + 1]):
            j = src[a]
            if spare[j] or done[j]:
                continue
            cand = key + reduced[a]
            if cand < label[j]:
                label[j] = cand
                hd[pos[j]] = cand
                _sift_up(hd, hj, pos, pos[j])
    for x in range(m):
        d[x] = label[x] + v[x]


@jit
def _relax(d: IntArray, spare: BoolArray, src: IntArray, cols: IntArray, step: IntArray) -> bool:
    """Bellman-Ford in place: d[src] = min(d[src], d[cols] + step) until nothing changes.

    Returns False if it does not settle within as many passes as there are mentors (a negative
    cycle, which an optimal matching cannot have). The fixed point is the shortest-path one
    whatever the order of the updates, so the answer does not depend on the arcs' order.
    """
    for _ in range(d.size + 2):
        changed = False
        for k in range(src.size):
            j = src[k]
            if spare[j]:
                continue
            cand = d[cols[k]] + step[k]
            if cand < d[j]:
                d[j] = cand
                changed = True
        if not changed:
            return True
    return False


def mentee_slack(graph: Graph, sol: Solution, v: IntArray) -> IntArray:
    """u_i for the prices v: what mentee i's own pair is worth above its mentor's price."""
    own = _matched_weight(graph, sol)
    mate = sol.mate
    u = np.zeros(graph.n_rows, dtype=np.int64)
    has = mate >= 0
    u[has] = own[has] - v[mate[has]]
    return u


def check_duals(graph: Graph, sol: Solution, u: IntArray, v: IntArray) -> int:
    """Verify (u, v) is dual feasible on the graph and returns the dual objective.

    Raises CertificateError if any condition fails; callers compare the result with the primal.
    """
    if (u < 0).any() or (v < 0).any():
        raise CertificateError("a dual value is negative")
    if (u[graph.rows] + v[graph.cols] < graph.weights).any():
        raise CertificateError("a candidate pair is not covered by the duals")
    # Python ints (``tolist``): the sum of many large weights must not wrap.
    total: int = sum(u.tolist()) + sum(map(operator.mul, graph.capacity.tolist(), v.tolist()))
    return total
