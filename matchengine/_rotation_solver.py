"""Maximum-weight perfect matching with a certified upper bound, without building all pairs.

Pipeline for large instances (see docs/matching-rotation.md, "For developers"):

1. Candidates: each person's best ``k`` partners from a blocked float32 screen, ties broken along
   a circulant order so that groups of identical people do not all point at the same few. The
   same pass gives each person's best partners for the odd member's dummy edge.
2. Fractional relaxation: the fractional matching LP on the candidate graph is an assignment
   problem on the bipartite double cover (scipy's LAPJVsp, milliseconds). Its potentials give
   duals y; a blocked screen checks y_i + y_j >= w_ij for every allowed pair outside the graph
   (with the screen's rigorous error margin) and adds the pairs that break it, until none do.
3. Exact matching on the graph: a warm-started primal-dual blossom algorithm
   (``_rotation_blossom``) starts from the assignment's 2-cycles and those duals, and only has to
   augment from the people its odd cycles leave over. It returns the optimum on the graph and
   its duals (vertex duals y and blossom duals z >= 0).
4. Proof over all pairs: the same screen checks y_i + y_j >= w_ij for every allowed pair outside
   the graph (z >= 0 only helps; flagged pairs are checked exactly, blossom duals included).
   Pairs that break it are added and the graph re-solved; any left after the last round raise y.
   The dual objective sum(y) + sum(z_B (|B| - 1) / 2) is then an upper bound over all allowed
   pairs, equal to the matching's weight when it is optimal (proven optimal).
5. If the blossom's work budget ran out, the people still exposed are re-matched exactly by
   rustworkx together with their best neighbours, then improved by 2-opt swaps.

Small instances go straight to rustworkx on all allowed pairs, which is exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import rustworkx as rx
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components, min_weight_full_bipartite_matching

from matchengine._rotation_blossom import BlossomResult, solve_blossom
from matchengine._rotation_fit import SCALE, PairScorer

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
Progress = Callable[[str, float], None]
# A screen block holds at most this many type-against-type fits (float32).
SCREEN_CELLS = 4_000_000


@dataclass(frozen=True)
class Matching:
    """A perfect matching (or as near as the allowed pairs permit) and what is known about it."""

    mate: IntArray
    value: int
    bound: int
    proven_optimal: bool
    method: str
    stats: dict[str, int] = field(default_factory=dict)


def _noop(stage: str, fraction: float) -> None:
    return None


# ---------------------------------------------------------------------------------------------
# Exact solver for small instances (or any explicit edge list)


def exact_matching(n: int, edges: Sequence[tuple[int, int, int]]) -> dict[int, int]:
    """Maximum-cardinality matching of maximum weight; weights are Python ints of any size."""
    graph = rx.PyGraph()
    graph.add_nodes_from(range(n))
    if edges:
        # Blossom works on any integers, but keeping them positive avoids relying on how it
        # treats negative edges under max_cardinality.
        shift = 1 - min(w for _, _, w in edges) if min(w for _, _, w in edges) < 1 else 0
        graph.add_edges_from([(a, b, w + shift) for a, b, w in edges])
    pairs = rx.max_weight_matching(graph, max_cardinality=True, weight_fn=lambda w: int(w))
    mate: dict[int, int] = {}
    for a, b in pairs:
        mate[a] = b
        mate[b] = a
    return mate


# ---------------------------------------------------------------------------------------------
# Large instances


class _Graph:
    """Undirected candidate edges (u < v) with integer weights, looked up by key u * n + v."""

    def __init__(self, n: int, u: IntArray, v: IntArray, w: IntArray) -> None:
        self.n = n
        lo, hi = np.minimum(u, v), np.maximum(u, v)
        keys = lo * n + hi
        order = np.argsort(keys, kind="stable")
        keys = keys[order]
        first = np.ones(len(keys), bool)
        first[1:] = keys[1:] != keys[:-1]
        pick = order[first]
        self.u, self.v, self.w, self.keys = lo[pick], hi[pick], w[pick], keys[first]

    def add(self, u: IntArray, v: IntArray, w: IntArray) -> None:
        merged = _Graph(
            self.n,
            np.concatenate([self.u, u]),
            np.concatenate([self.v, v]),
            np.concatenate([self.w, w]),
        )
        self.u, self.v, self.w, self.keys = merged.u, merged.v, merged.w, merged.keys

    def lookup(self, a: IntArray, b: IntArray) -> IntArray:
        """Edge index of each pair, or -1 when the pair is not in the graph."""
        key = np.minimum(a, b) * self.n + np.maximum(a, b)
        if len(self.keys) == 0:
            return np.full(len(key), -1, np.int64)
        pos = np.searchsorted(self.keys, key)
        pos = np.minimum(pos, len(self.keys) - 1)
        return np.where(self.keys[pos] == key, pos, -1)


class _Problem:
    """Weights over n_real people plus an optional dummy vertex (index n_real)."""

    def __init__(self, scorer: PairScorer, forbidden: IntArray, dummy: IntArray | None) -> None:
        self.scorer = scorer
        self.n_real = scorer.n
        self.dummy = dummy
        self.n = self.n_real + (1 if dummy is not None else 0)
        # forbidden: keys a * n_real + b with a < b, sorted.
        self.forbidden = np.unique(forbidden)
        fa, fb = self.forbidden // self.n_real, self.forbidden % self.n_real
        rows, cols = np.concatenate([fa, fb]), np.concatenate([fb, fa])
        order = np.lexsort((cols, rows))
        self.f_rows, self.f_cols = rows[order], cols[order]

    def is_forbidden(self, a: IntArray, b: IntArray) -> npt.NDArray[np.bool_]:
        real = (a < self.n_real) & (b < self.n_real)
        key = np.minimum(a, b) * self.n_real + np.maximum(a, b)
        if len(self.forbidden) == 0:
            return np.zeros(len(a), bool)
        pos = np.minimum(np.searchsorted(self.forbidden, key), len(self.forbidden) - 1)
        hit: npt.NDArray[np.bool_] = real & (self.forbidden[pos] == key)
        return hit

    def weights(self, a: IntArray, b: IntArray) -> IntArray:
        out = np.zeros(len(a), np.int64)
        real = (a < self.n_real) & (b < self.n_real)
        if real.any():
            out[real] = self.scorer.exact(a[real], b[real])
        if self.dummy is not None and not real.all():
            other = np.where(a < self.n_real, a, b)[~real]
            out[~real] = self.dummy[other]
        return out


class _Types:
    """People grouped by type: identical in every weighted criterion, so in every fit.

    Screens run type against type (the bench's 5,000 people are about 3,000 types), which is what
    keeps candidate generation and the proof over all pairs affordable at 20,000 people.
    """

    def __init__(self, scorer: PairScorer) -> None:
        self.scorer = scorer
        label = scorer.type_labels()
        self.label = label
        self.count = int(label.max()) + 1 if len(label) else 0
        self.members = np.argsort(label, kind="stable").astype(np.int64)
        self.starts = np.searchsorted(label[self.members], np.arange(self.count + 1))
        self.sizes = np.diff(self.starts).astype(np.int64)
        self.reps = self.members[self.starts[:-1]]

    def fits(self, start: int, stop: int, first_col: int = 0) -> npt.NDArray[np.floating]:
        """Screened fits of types start..stop against types first_col.. (as ``screen_sub``)."""
        return self.scorer.screen_sub(self.reps[start:stop], self.reps[first_col:])

    def expand(self, a: IntArray, b: IntArray) -> tuple[IntArray, IntArray]:
        """Every pair of people (i of type a[k], j of type b[k]), i != j."""
        if len(a) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        counts = self.sizes[a] * self.sizes[b]
        pair = np.repeat(np.arange(len(a)), counts)
        offset = np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts)
        width = self.sizes[b][pair]
        i = self.members[self.starts[a][pair] + offset // width]
        j = self.members[self.starts[b][pair] + offset % width]
        keep = i != j
        return i[keep], j[keep]


def best_columns(fits: npt.NDArray[np.floating], width: int) -> tuple[IntArray, IntArray]:
    """(row, column) of at least the `width` largest finite entries of each row (ties kept).

    The width-th largest of the column chunks' maxima is a value that at least `width` entries
    reach (one per chunk), so the entries at or above it, found inside the chunks whose maximum
    reaches it, hold each row's best `width`: no sorting, partitioning or masking whole rows.
    """
    rows, cols = fits.shape
    # About 8 chunks per wanted entry, so few chunks reach the threshold.
    chunk = max(4, min(64, cols // (8 * max(1, width))))
    starts = np.arange(0, cols, chunk)
    if len(starts) <= width:
        r, c = np.nonzero(np.isfinite(fits))
        return r.astype(np.int64), c.astype(np.int64)
    maxima = np.maximum.reduceat(fits, starts, axis=1)
    threshold = np.partition(maxima, len(starts) - width, axis=1)[:, len(starts) - width]
    rc, cc = np.nonzero(maxima >= threshold[:, None])
    columns = cc[:, None] * chunk + np.arange(chunk)[None, :]
    real = columns < cols
    columns = np.minimum(columns, cols - 1)
    values = fits[rc[:, None], columns]
    inside = (values >= threshold[rc][:, None]) & real & np.isfinite(values)
    idx, off = np.nonzero(inside)
    return rc[idx].astype(np.int64), columns[idx, off].astype(np.int64)


def _best_sums(
    problem: _Problem,
    i: IntArray,
    j: IntArray,
    value: FloatArray,
    beyond: FloatArray,
    types: _Types,
    start: int,
    take: int,
    margin: int,
) -> IntArray:
    """Per person i: an upper bound (units) on the sum of their `take` best allowed fits.

    Exact fits of their best few screened partners, against a screened bound (plus margin) on
    everyone else: exact, hence tight, whenever the best partners stand clear of the rest.
    """
    n = problem.n_real
    order = np.lexsort((j, -value, i))
    i, j, value = i[order], j[order], value[order]
    first = np.searchsorted(i, i, side="left")
    rank = np.arange(len(i)) - first
    look = take + 2
    near = rank < look
    exact = problem.scorer.exact(i[near], j[near]).astype(np.float64)
    # Bound on every partner not looked at: the next screened one, or the types cut off.
    rest = np.full(n, -np.inf)
    nxt = rank == look
    rest[i[nxt]] = value[nxt]
    people_type = types.label - start
    inside = (people_type >= 0) & (people_type < len(beyond))
    rest[inside] = np.maximum(rest[inside], beyond[people_type[inside]])
    rest = np.where(np.isfinite(rest), rest * SCALE + margin, -np.inf)
    # Candidates per person: exact values of those looked at, then `take` copies of the rest.
    cand_i = np.concatenate([i[near], np.repeat(np.arange(n), take)])
    cand_v = np.concatenate([exact, np.repeat(rest, take)])
    order = np.lexsort((-cand_v, cand_i))
    cand_i, cand_v = cand_i[order], cand_v[order]
    first = np.searchsorted(cand_i, cand_i, side="left")
    top = (np.arange(len(cand_i)) - first) < take
    top &= np.isfinite(cand_v)
    sums = np.bincount(cand_i[top], weights=np.clip(cand_v[top], 0, None), minlength=n)
    out: IntArray = np.ceil(sums - 1e-9).astype(np.int64)
    return out


def _candidates(
    problem: _Problem, types: _Types, k: int, count: int, progress: Progress
) -> tuple[IntArray, IntArray, IntArray]:
    """Each person's k best partners, and an upper bound on their `count` best allowed fits.

    Works type against type: a person's partners come from the best types for their type, enough
    of them to leave k allowed partners whatever their earlier pairs; among equal fits, partners
    are taken along a circulant order so that identical people do not all pick the same few.
    """
    n = problem.n_real
    k = min(k, n - 1)
    take = min(max(count, 1), k)
    margin = problem.scorer.margin_units
    degree = np.bincount(problem.f_rows, minlength=n)
    width = min(types.count, k + int(degree.max(initial=0)) + 1)
    out_u: list[IntArray] = []
    out_v: list[IntArray] = []
    best = np.zeros(n, np.int64)
    block_types = max(16, min(1024, SCREEN_CELLS // max(1, types.count)))
    for start in range(0, types.count, block_types):
        stop = min(types.count, start + block_types)
        fits = np.asarray(types.fits(start, stop), dtype=np.float32)
        alone = np.flatnonzero(types.sizes[start:stop] == 1)
        fits[alone, start + alone] = -np.inf  # a type of one has no partner inside it
        rows, cols = best_columns(fits, width)
        # Enough of the best types to hold `width` people: big types of identical people fill
        # a person's list on their own.
        order = np.lexsort((cols, -fits[rows, cols], rows))
        rows, cols = rows[order], cols[order]
        held = np.cumsum(types.sizes[cols])
        first = np.searchsorted(rows, rows, side="left")
        before = held - types.sizes[cols] - np.where(first > 0, held[first - 1], 0)
        keep = before < width
        # Every type left out screens at or below the least type kept: the kept ones are a
        # prefix of each row in decreasing fit, and all under the chunk threshold is below it.
        row_start = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
        kept_count = np.add.reduceat(keep.astype(np.int64), row_start)
        beyond = np.full(stop - start, -np.inf)
        beyond[rows[row_start]] = fits[rows, cols][row_start + kept_count - 1]
        i, j = types.expand(rows[keep] + start, cols[keep])
        value = fits[types.label[i] - start, types.label[j]].astype(np.float64)
        ok = ~problem.is_forbidden(i, j) & np.isfinite(value)
        i, j, value = i[ok], j[ok], value[ok]
        people = types.members[types.starts[start] : types.starts[stop]]
        best[people] = _best_sums(problem, i, j, value, beyond, types, start, take, margin)[people]
        # Quantised values make screen noise into ties; ties then go along a circulant order.
        quantised = np.round(value * (SCALE / 10.0))
        order = np.lexsort(((j - i) % n, -quantised, i))
        i, j = i[order], j[order]
        first = np.searchsorted(i, i, side="left")
        keep = (np.arange(len(i)) - first) < k
        out_u.append(i[keep])
        out_v.append(j[keep])
        progress("finding candidate peers", stop / max(1, types.count))
    if count == 0:
        best[:] = 0
    return np.concatenate(out_u), np.concatenate(out_v), best


def _assignment(graph: _Graph, n: int, weights: FloatArray) -> IntArray:
    """Max-weight fixed-point-free assignment on the double cover; sigma[i] = partner column."""
    rows = np.concatenate([graph.u, graph.v])
    cols = np.concatenate([graph.v, graph.u])
    w2 = np.concatenate([weights, weights])
    cost = (w2.max() + 1.0) - w2
    matrix = csr_matrix((cost, (rows, cols)), shape=(n, n))
    row_ind, col_ind = min_weight_full_bipartite_matching(matrix)
    sigma = np.empty(n, np.int64)
    sigma[row_ind] = col_ind
    return sigma


def _potentials(graph: _Graph, n: int, weights: FloatArray, sigma: IntArray) -> FloatArray:
    """2*y for an optimal assignment: u_i + v_j >= w_ij on every graph arc, tight on sigma."""
    rows = np.concatenate([graph.u, graph.v])
    cols = np.concatenate([graph.v, graph.u])
    w2 = np.concatenate([weights, weights])
    assigned = graph.lookup(np.arange(n), sigma)
    w_sigma = weights[assigned]
    off = cols != sigma[rows]
    tail, head = cols[off], sigma[rows[off]]
    length = w_sigma[rows[off]] - w2[off]
    order = np.argsort(head, kind="stable")
    tail, head, length = tail[order], head[order], length[order]
    starts = np.flatnonzero(np.r_[True, head[1:] != head[:-1]])
    heads = head[starts]
    dist = np.zeros(n)
    for _ in range(n + 1):
        best = np.minimum.reduceat(dist[tail] + length, starts)
        improved = best < dist[heads]
        if not improved.any():
            break
        dist[heads[improved]] = best[improved]
    else:  # pragma: no cover - an optimal assignment has no negative cycle
        raise RuntimeError("assignment is not optimal: negative cycle in its residual graph")
    u = w_sigma - dist[sigma]
    return np.asarray(u + dist)


def _cycles(sigma: IntArray) -> list[IntArray]:
    """Cycles of sigma longer than 2, each in walking order from its smallest vertex."""
    n = len(sigma)
    graph = csr_matrix((np.ones(n), (np.arange(n), sigma)), shape=(n, n))
    _, labels = connected_components(graph, directed=True, connection="weak")
    sizes = np.bincount(labels)
    long = np.flatnonzero(sizes[labels] > 2)
    out = []
    done: set[int] = set()
    for start in long.tolist():
        if labels[start] in done:
            continue
        done.add(int(labels[start]))
        cycle = [start]
        nxt = int(sigma[start])
        while nxt != start:
            cycle.append(nxt)
            nxt = int(sigma[nxt])
        out.append(np.array(cycle, np.int64))
    return out


def _primal(
    problem: _Problem, graph: _Graph, sigma: IntArray, cycles: list[IntArray]
) -> tuple[IntArray, IntArray]:
    """Integral matching from an assignment: returns (mate with -1 for leftovers, leftovers)."""
    n = problem.n
    mate = np.full(n, -1, np.int64)
    two = sigma[sigma] == np.arange(n)
    mate[two] = sigma[two]
    leftovers = []
    for cycle in cycles:
        k = len(cycle)
        nxt = np.roll(cycle, -1)
        edge_w = graph.w[graph.lookup(cycle, nxt)].astype(np.float64)
        if k % 2 == 0:
            first, second = edge_w[0::2].sum(), edge_w[1::2].sum()
            starts = range(0, k, 2) if first >= second else range(1, k, 2)
            for t in starts:
                a, b = int(cycle[t]), int(cycle[(t + 1) % k])
                mate[a], mate[b] = b, a
            continue
        # Leaving out cycle[i] keeps edges i+1, i+3, ..., i+k-2: same-parity prefix sums.
        doubled = np.concatenate([edge_w, edge_w])
        prefix = np.empty_like(doubled)
        prefix[0::2] = np.cumsum(doubled[0::2])
        prefix[1::2] = np.cumsum(doubled[1::2])
        before = np.concatenate([[0.0], prefix[: k - 1]])
        values = prefix[np.arange(k) + k - 2] - before
        out = int(np.argmax(values))
        leftovers.append(int(cycle[out]))
        for m in range((k - 1) // 2):
            t = (out + 1 + 2 * m) % k
            a, b = int(cycle[t]), int(cycle[(t + 1) % k])
            mate[a], mate[b] = b, a
    return mate, np.array(sorted(leftovers), np.int64)


def _pairs_among(problem: _Problem, people: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    a, b = np.triu_indices(len(people), 1)
    u, v = people[a], people[b]
    ok = ~problem.is_forbidden(u, v)
    u, v = u[ok], v[ok]
    return u, v, problem.weights(u, v)


def _matching_value(graph: _Graph, mate: IntArray) -> int:
    a = np.flatnonzero(mate > np.arange(len(mate)))
    if len(a) == 0:
        return 0
    return int(graph.w[graph.lookup(a, mate[a])].sum())


def _repair(
    problem: _Problem,
    graph: _Graph,
    mate: IntArray,
    leftovers: IntArray,
    y2: FloatArray,
    reach: int,
) -> IntArray:
    """Re-match leftovers exactly together with their best neighbours and those partners."""
    if len(leftovers) == 0:
        return mate
    slack = y2[graph.u] + y2[graph.v] - 2.0 * graph.w
    zone: set[int] = set(leftovers.tolist())
    order = np.lexsort((graph.v, slack))
    by_vertex: dict[int, list[int]] = {int(x): [] for x in leftovers}
    for e in order.tolist():
        for a, b in ((int(graph.u[e]), int(graph.v[e])), (int(graph.v[e]), int(graph.u[e]))):
            if a in by_vertex and len(by_vertex[a]) < reach:
                by_vertex[a].append(b)
        if all(len(x) >= reach for x in by_vertex.values()):
            break
    for nbrs in by_vertex.values():
        for b in nbrs:
            zone.add(b)
            if mate[b] >= 0:
                zone.add(int(mate[b]))
    people = np.array(sorted(zone), np.int64)
    index = {int(p): k for k, p in enumerate(people)}
    inside = np.isin(graph.u, people) & np.isin(graph.v, people)
    edges = {
        (index[int(a)], index[int(b)]): int(w)
        for a, b, w in zip(graph.u[inside], graph.v[inside], graph.w[inside], strict=True)
    }
    u, v, w = _pairs_among(problem, leftovers)
    for a, b, weight in zip(u.tolist(), v.tolist(), w.tolist(), strict=True):
        edges[(index[a], index[b])] = weight
    local = exact_matching(len(people), [(a, b, w) for (a, b), w in sorted(edges.items())])
    mate = mate.copy()
    mate[people] = -1
    for a, b in local.items():
        mate[people[a]] = people[b]
    new_edges = [(people[a], people[b]) for a, b in local.items() if a < b]
    if new_edges:
        ea = np.array([x for x, _ in new_edges], np.int64)
        eb = np.array([x for _, x in new_edges], np.int64)
        missing = graph.lookup(ea, eb) < 0
        if missing.any():
            graph.add(ea[missing], eb[missing], problem.weights(ea[missing], eb[missing]))
    return mate


def _two_opt(problem: _Problem, graph: _Graph, mate: IntArray, rounds: int = 20) -> IntArray:
    """Swap partners between two pairs joined by a candidate edge while that gains weight."""
    mate = mate.copy()
    for _ in range(rounds):
        a, c = graph.u, graph.v
        ok = (mate[a] >= 0) & (mate[c] >= 0) & (mate[a] != c)
        a, c, w_ac = a[ok], c[ok], graph.w[ok]
        b, d = mate[a], mate[c]
        paired = np.flatnonzero(mate > np.arange(len(mate)))
        pair_w = np.zeros(len(mate), np.int64)
        pw = graph.w[graph.lookup(paired, mate[paired])]
        pair_w[paired] = pw
        pair_w[mate[paired]] = pw
        w_bd = problem.weights(b, d)
        gain = w_ac + w_bd - pair_w[a] - pair_w[c]
        good = (gain > 0) & ~problem.is_forbidden(b, d) & (b != d)
        if not good.any():
            break
        idx = np.flatnonzero(good)
        idx = idx[np.lexsort((a[idx], -gain[idx]))]
        used: set[int] = set()
        moved_b: list[int] = []
        moved_d: list[int] = []
        for e in idx.tolist():
            quad = (int(a[e]), int(b[e]), int(c[e]), int(d[e]))
            if used.intersection(quad):
                continue
            used.update(quad)
            mate[quad[0]], mate[quad[2]] = quad[2], quad[0]
            mate[quad[1]], mate[quad[3]] = quad[3], quad[1]
            moved_b.append(quad[1])
            moved_d.append(quad[3])
        bu, dv = np.array(moved_b, np.int64), np.array(moved_d, np.int64)
        missing = graph.lookup(bu, dv) < 0
        if missing.any():
            graph.add(bu[missing], dv[missing], problem.weights(bu[missing], dv[missing]))
    return mate


class _BlossomDuals:
    """Blossom duals z_B > 0 of a blossom result, summed over the blossoms holding both ends."""

    def __init__(self, result: BlossomResult) -> None:
        self.scale = result.scale
        self.z = [z for z, _ in result.blossoms]
        self.owners: dict[int, list[int]] = {}
        for b, (_, members) in enumerate(result.blossoms):
            for x in members:
                self.owners.setdefault(x, []).append(b)

    def common2(self, u: IntArray, v: IntArray) -> FloatArray:
        """2 z (in the 2 y units of the vertex duals) over blossoms containing both u[k], v[k]."""
        out = np.zeros(len(u))
        for t, (a, b) in enumerate(zip(u.tolist(), v.tolist(), strict=True)):
            mine = self.owners.get(a)
            theirs = self.owners.get(b)
            if mine and theirs:
                shared = set(mine).intersection(theirs)
                out[t] = 2.0 * sum(self.z[s] for s in shared) / self.scale
        return out


def _violations(
    problem: _Problem,
    types: _Types,
    graph: _Graph,
    y2: FloatArray,
    duals: _BlossomDuals | None,
    progress: Progress,
    near: float = 0.0,
) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Allowed pairs outside the graph whose exact weight exceeds y_i + y_j (+ shared z).

    Screens type against type with each type's smallest y: a type pair whose screened fit stays
    below those two duals by more than the screen's error margin (plus a cushion for the float32
    arithmetic of the test itself) clears every pair of its people. The people of the other type
    pairs are checked exactly. With ``near`` > 0 (units of 2 y), pairs that come within ``near``
    of breaking the duals are returned too: adding them to the graph heads off the violations
    the next duals would bring. Returns the pairs, their weights and which truly break them.
    """
    n = problem.n_real
    y = y2[:n] / (2.0 * SCALE)
    y_low = np.minimum.reduceat(y[types.members], types.starts[:-1])
    top = float(np.abs(y).max()) + sum(problem.scorer.weights.values()) + 1.0
    cushion = 48.0 * float(np.finfo(np.float32).eps) * top
    limit = np.float32((problem.scorer.margin_units + near / 2.0) / SCALE + cushion)
    low32 = y_low.astype(np.float32)
    found_a: list[IntArray] = []
    found_b: list[IntArray] = []
    block_types = max(16, min(1024, SCREEN_CELLS // max(1, types.count)))
    for start in range(0, types.count, block_types):
        stop = min(types.count, start + block_types)
        fits = types.fits(start, stop, start)
        slack = low32[start:stop, None] + low32[None, start:]
        slack -= fits
        a, b = np.nonzero(slack < limit)
        a = a.astype(np.int64) + start
        b = b.astype(np.int64) + start
        keep = (b > a) | ((b == a) & (types.sizes[a] > 1))
        found_a.append(a[keep])
        found_b.append(b[keep])
        progress("proving the bound over all pairs", stop / max(1, types.count))
    u, v = types.expand(np.concatenate(found_a), np.concatenate(found_b))
    u, v = np.minimum(u, v), np.maximum(u, v)
    if len(u):
        key = np.unique(u * n + v)
        u, v = key // n, key % n
    outside = (graph.lookup(u, v) < 0) & ~problem.is_forbidden(u, v)
    u, v = u[outside], v[outside]
    w = problem.weights(u, v)
    room = y2[u] + y2[v] - 2.0 * w
    if duals is not None and len(u):
        room = room + duals.common2(u, v)
    keep = room < near
    return u[keep], v[keep], w[keep], room[keep] < 0


def _solve_relaxation(problem: _Problem, graph: _Graph) -> IntArray:
    """The fractional optimum on the graph, widening it if it has no fractional perfect matching."""
    try:
        return _assignment(graph, problem.n, graph.w.astype(np.float64))
    except ValueError:
        ring = np.arange(problem.n_real, dtype=np.int64)
        extra_u = np.concatenate([ring] * 3)
        extra_v = np.concatenate([(ring + s) % problem.n_real for s in (1, 2, 3)])
        ok = ~problem.is_forbidden(extra_u, extra_v) & (extra_u != extra_v)
        graph.add(extra_u[ok], extra_v[ok], problem.weights(extra_u[ok], extra_v[ok]))
        return _assignment(graph, problem.n, graph.w.astype(np.float64))


def _warm_start(graph: _Graph, n: int, y2: FloatArray, mate: IntArray) -> tuple[IntArray, IntArray]:
    """Integer duals feasible on the graph and a matching of tight edges only."""
    dual2 = np.rint(y2).astype(np.int64)
    slack = dual2[graph.u] + dual2[graph.v] - 2 * graph.w
    # Potentials are exact integers; repair defensively all the same.
    for e in np.flatnonzero(slack < 0).tolist():
        short = 2 * int(graph.w[e]) - int(dual2[graph.u[e]]) - int(dual2[graph.v[e]])
        if short > 0:
            dual2[graph.u[e]] += short
    mate = mate.copy()
    a = np.flatnonzero(mate > np.arange(n))
    if len(a):
        idx = graph.lookup(a, mate[a])
        loose = (idx < 0) | (dual2[a] + dual2[mate[a]] != 2 * graph.w[np.maximum(idx, 0)])
        mate[mate[a[loose]]] = -1
        mate[a[loose]] = -1
    return dual2, mate


# Edges a blossom stage may scan before it is put off to a later pass with a larger cap.
BLOSSOM_CAPS: tuple[int | None, ...] = (500, 2_000, 8_000, 32_000, 128_000)
# Up to this many people (not on probation) the graph is re-solved, at most PROOF_RUNS times,
# until its duals hold over every allowed pair; above it one blossom run.
PROVE_LIMIT = 3_000
PROOF_RUNS = 4
# Pairs within this much (units of 2 y: 150,000 is 0.075 fit) of breaking the duals join the
# graph with the violators: wider for the relaxation's duals, which the blossom then lowers.
NEAR = 60_000.0
NEAR_LP = 150_000.0


def sparse_matching(
    scorer: PairScorer,
    forbidden: IntArray,
    dummy_count: int | None,
    *,
    k: int = 12,
    progress: Progress | None = None,
) -> Matching:
    """Maximum-weight perfect matching on allowed pairs with a bound valid for all of them.

    ``dummy_count`` adds the odd member's dummy vertex, whose edge to each person is an upper
    bound on their ``dummy_count`` best allowed fits (None: no dummy).
    """
    report = progress or _noop
    base = _Problem(scorer, forbidden, None)
    types = _Types(scorer)
    cu, cv, best = _candidates(base, types, k, dummy_count or 0, report)
    problem = _Problem(scorer, forbidden, best if dummy_count is not None else None)
    n = problem.n
    if dummy_count is not None:
        cu = np.concatenate([cu, np.arange(problem.n_real, dtype=np.int64)])
        cv = np.concatenate([cv, np.full(problem.n_real, problem.n_real, np.int64)])
    graph = _Graph(n, cu, cv, problem.weights(cu, cv))
    stats = {"candidate_pairs": len(graph.w), "pairs_added": 0, "rounds": 0}

    # Up to PROVE_LIMIT people the graph is re-solved until its duals hold over all pairs
    # (proven optimal); above it one blossom run, and pairs that break its duals raise them.
    runs_allowed = PROOF_RUNS if problem.n_real <= PROVE_LIMIT else 1
    result: BlossomResult | None = None
    bad = (np.zeros(0, np.int64),) * 3
    for run in range(runs_allowed):
        stats["rounds"] += 1
        report("solving the relaxation", run / runs_allowed)
        sigma = _solve_relaxation(problem, graph)
        y2 = _potentials(graph, n, graph.w.astype(np.float64), sigma)
        if run == 0:
            # Price the relaxation's duals first: cheaper than a blossom run on a short graph.
            u, v, w, violated = _violations(problem, types, graph, y2, None, report, NEAR_LP)
            if len(u):
                stats["pairs_added"] += len(u)
                graph.add(u, v, w)
                sigma = _solve_relaxation(problem, graph)
                y2 = _potentials(graph, n, graph.w.astype(np.float64), sigma)
        mate0, _ = _primal(problem, graph, sigma, _cycles(sigma))
        dual2, mate0 = _warm_start(graph, n, y2, mate0)
        report("pairing (exact on candidate pairs)", run / runs_allowed)
        result = solve_blossom(
            n,
            graph.u.tolist(),
            graph.v.tolist(),
            graph.w.tolist(),
            dual2.tolist(),
            mate0.tolist(),
            stage_caps=BLOSSOM_CAPS,
            total_work=64 * len(graph.w) + 1_000_000,
        )
        last = run == runs_allowed - 1
        y2 = np.array(result.dual2, np.float64) / result.scale
        u, v, w, violated = _violations(
            problem, types, graph, y2, _BlossomDuals(result), report, 0.0 if last else NEAR
        )
        bad = (u[violated], v[violated], w[violated])
        if not violated.any() or last:
            break
        stats["pairs_added"] += len(u)
        graph.add(u, v, w)
    if result is None:  # pragma: no cover - runs_allowed >= 1
        raise RuntimeError("no blossom round ran")

    # Dual objective, exactly: 2 * scale * bound = sum(dual2) + sum(z_B (|B| - 1)).
    bound2 = result.bound2()
    scale = result.scale
    raised = 0.0
    if len(bad[0]):
        # Anything still violated raises y: the bound stays valid, only looser. Greedy cover:
        # largest shortfall first, raising the end that more violations share.
        stats["violations_raised"] = len(bad[0])
        common = _BlossomDuals(result).common2(bad[0], bad[1])
        shared = np.bincount(np.concatenate([bad[0], bad[1]]), minlength=n)
        room = y2[bad[0]] + y2[bad[1]] + common - 2.0 * bad[2]
        for e in np.argsort(room, kind="stable").tolist():
            a, b = int(bad[0][e]), int(bad[1][e])
            short = 2.0 * float(bad[2][e]) - y2[a] - y2[b] - float(common[e])
            if short > 0:
                end = a if shared[a] >= shared[b] else b
                y2[end] += short
                raised += short
    mate = np.array(result.mate, np.int64)
    stats.update({"blossom_stages": result.stages, "blossom_work": result.work})
    leftovers = np.flatnonzero(mate < 0)
    if len(leftovers) > n % 2:
        stats["left_exposed"] = len(leftovers)
        report("pairing the people left over", 0.0)
        reach = 4
        while True:
            mate = _repair(problem, graph, mate, leftovers, y2, reach)
            leftovers = np.flatnonzero(mate < 0)
            if len(leftovers) <= n % 2 or reach >= 64:
                break
            reach *= 4
        mate = _two_opt(problem, graph, mate)
    value = _matching_value(graph, mate)
    bound = -(-bound2 // (2 * scale))  # ceil
    if raised:
        bound = math.ceil((bound2 / scale + raised) / 2.0 - 1e-9)
    bound = max(value, bound)
    stats.update({"candidate_pairs_final": len(graph.w), "unmatched": int((mate < 0).sum())})
    return Matching(
        mate=mate,
        value=value,
        bound=bound,
        proven_optimal=value >= bound,
        method="blossom",
        stats=stats,
    )
