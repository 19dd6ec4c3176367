"""Balanced partition into groups: the imbalance measure, its lower bound, and swap search.

Imbalance of a group on a categorical attribute is the number of its members "out of place":
half the sum over categories of |count - size * scheme share|. On a numeric attribute it is
|sum - size * scheme mean| / scheme range (the group's mean distance from the scheme's mean as a
share of the range, times the group size). The partition's imbalance is the weighted sum over
attributes and groups; its balance is 1 - imbalance / (members * total weight).

Lexicographic objective: must-not-group pairs together (never, if at all possible), then people
who were in a group together before, then imbalance.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Attribute:
    name: str
    weight: float
    numeric: bool
    codes: IntArray  # categorical: category index per member
    values: FloatArray  # numeric: value per member
    categories: tuple[str, ...]

    @property
    def spread(self) -> float:
        if not self.numeric or len(self.values) == 0:
            return 1.0
        span = float(self.values.max() - self.values.min())
        return span if span > 0 else 1.0


def group_sizes(n: int, count: int) -> list[int]:
    base, extra = divmod(n, count)
    return [base + 1] * extra + [base] * (count - extra)


def imbalance(attr: Attribute, members: IntArray, n_total: int) -> float:
    size = len(members)
    if attr.numeric:
        mean = float(attr.values.mean())
        return abs(float(attr.values[members].sum()) - size * mean) / attr.spread
    shares = np.bincount(attr.codes, minlength=len(attr.categories)) / n_total
    counts = np.bincount(attr.codes[members], minlength=len(attr.categories))
    return 0.5 * float(np.abs(counts - size * shares).sum())


def _even_cost(total: int, groups: int, target: float) -> float:
    """Least sum over `groups` groups of |count - target| when their counts add up to total."""
    if groups == 0:
        return 0.0 if total == 0 else math.inf
    q, r = divmod(total, groups)
    return r * abs(q + 1 - target) + (groups - r) * abs(q - target)


def categorical_lower_bound(attr: Attribute, sizes: list[int]) -> float:
    """Exact least imbalance on this one attribute alone (sizes take at most two values).

    Within groups of one size, spreading each category as evenly as possible is optimal and a
    round-robin deal realises it for all categories at once; what is left is how many of each
    category go to the larger groups, a separable convex allocation solved greedily.
    """
    n = sum(sizes)
    counts = np.bincount(attr.codes, minlength=len(attr.categories))
    shares = counts / n
    classes = sorted(set(sizes))
    if len(classes) == 1:
        s, g = classes[0], len(sizes)
        return 0.5 * sum(_even_cost(int(c), g, s * p) for c, p in zip(counts, shares, strict=True))
    small, big = classes
    g_small, g_big = sizes.count(small), sizes.count(big)

    def cost(k: int, in_big: int) -> float:
        rest = int(counts[k]) - in_big
        return _even_cost(in_big, g_big, big * shares[k]) + _even_cost(
            rest, g_small, small * shares[k]
        )

    need = big * g_big
    alloc = [max(0, int(c) - small * g_small) for c in counts]
    room = [min(int(c), need) for c in counts]
    left = need - sum(alloc)
    heap = [
        (cost(k, alloc[k] + 1) - cost(k, alloc[k]), k)
        for k in range(len(counts))
        if alloc[k] < room[k]
    ]
    heapq.heapify(heap)
    while left > 0 and heap:
        _, k = heapq.heappop(heap)
        alloc[k] += 1
        left -= 1
        if alloc[k] < room[k]:
            heapq.heappush(heap, (cost(k, alloc[k] + 1) - cost(k, alloc[k]), k))
    return 0.5 * sum(cost(k, alloc[k]) for k in range(len(counts)))


class Search:
    """Swap search over a fixed set of group sizes; all state in numpy arrays."""

    def __init__(
        self,
        n: int,
        sizes: list[int],
        attrs: list[Attribute],
        must_not: list[tuple[int, int]],
        history: list[tuple[int, int]],
        seed: int,
    ) -> None:
        self.n, self.sizes, self.attrs = n, sizes, attrs
        self.g = len(sizes)
        self.total_weight = sum(a.weight for a in attrs) or 1.0
        self.hist_cost = n * self.total_weight + 1.0
        self.must_cost = self.hist_cost * (n * n + 1)
        self.rng = np.random.default_rng(seed)
        self.size_arr = np.array(sizes, np.float64)
        self.bad: dict[int, dict[int, float]] = {}
        for (a, b), cost in [(p, self.must_cost) for p in must_not] + [
            (p, self.hist_cost) for p in history
        ]:
            for x, y in ((a, b), (b, a)):
                row = self.bad.setdefault(x, {})
                row[y] = max(row.get(y, 0.0), cost)

        self.bad_arrays: dict[int, tuple[IntArray, FloatArray]] = {}
        for x, row in self.bad.items():
            keys = np.array(sorted(row), np.int64)
            self.bad_arrays[x] = (keys, np.array([row[int(k)] for k in keys], np.float64))

    def initial(self) -> IntArray:
        """Round-robin deal of members sorted by their attribute values (heaviest first)."""
        keys: list[npt.NDArray[np.generic]] = [np.arange(self.n)]
        for attr in sorted(self.attrs, key=lambda a: a.weight):
            keys.append(attr.values if attr.numeric else attr.codes)
        order = np.lexsort(tuple(keys))
        group = np.empty(self.n, np.int64)
        slots = np.concatenate(
            [np.flatnonzero(np.array(self.sizes) > r) for r in range(max(self.sizes))]
        )
        group[order] = slots[: self.n]
        return group

    def run(self, group: IntArray, sweeps: int, sample: int) -> IntArray:
        group = group.copy()
        n, g = self.n, self.g
        counts: list[FloatArray] = []
        targets: list[FloatArray] = []
        for attr in self.attrs:
            if attr.numeric:
                counts.append(
                    np.bincount(group, weights=attr.values, minlength=g).astype(np.float64)
                )
                targets.append(self.size_arr * float(attr.values.mean()))
            else:
                k = len(attr.categories)
                table: FloatArray = np.zeros((g, k))
                np.add.at(table, (group, attr.codes), 1.0)
                counts.append(table)
                share = np.bincount(attr.codes, minlength=k) / n
                targets.append(self.size_arr[:, None] * share[None, :])
        conflict = np.zeros((n, g))
        for x, row in self.bad.items():
            for y, cost in row.items():
                conflict[x, group[y]] += cost
        everyone = np.arange(n)
        # First clear conflicts, visiting only people who sit with someone they should not;
        # then spend `sweeps` passes over everybody on balance.
        plan = [True] * 10 + [False] * sweeps
        for conflicts_only in plan:
            improved = 0
            if conflicts_only:
                order = np.flatnonzero(conflict[everyone, group] > 0)
                if len(order) == 0:
                    continue
                order = order[self.rng.permutation(len(order))]
            else:
                order = self.rng.permutation(n)
            for i in order.tolist():
                a = int(group[i])
                cand = everyone if sample >= n else self.rng.integers(0, n, sample)
                partners, costs = self.bad_arrays.get(i, (None, None))
                if partners is not None:
                    cand = np.concatenate([cand, partners])
                cand = np.unique(cand)
                cand = cand[group[cand] != a]
                if len(cand) == 0:
                    continue
                b = group[cand]
                delta = np.zeros(len(cand))
                for attr, table, target in zip(self.attrs, counts, targets, strict=True):
                    w = attr.weight / (attr.spread if attr.numeric else 2.0)
                    if attr.numeric:
                        vi, vj = attr.values[i], attr.values[cand]
                        da = np.abs(table[a] - vi + vj - target[a]) - abs(table[a] - target[a])
                        db = np.abs(table[b] - vj + vi - target[b]) - np.abs(table[b] - target[b])
                        delta += w * (da + db)
                        continue
                    ki, kj = attr.codes[i], attr.codes[cand]
                    ca, ta = table[a], target[a]
                    d = (
                        abs(ca[ki] - 1 - ta[ki])
                        - abs(ca[ki] - ta[ki])
                        + np.abs(ca[kj] + 1 - ta[kj])
                        - np.abs(ca[kj] - ta[kj])
                    )
                    d += (
                        np.abs(table[b, kj] - 1 - target[b, kj])
                        - np.abs(table[b, kj] - target[b, kj])
                        + np.abs(table[b, ki] + 1 - target[b, ki])
                        - np.abs(table[b, ki] - target[b, ki])
                    )
                    delta += w * np.where(kj == ki, 0.0, d)
                pair = np.zeros(len(cand))
                if partners is not None and costs is not None:
                    pos = np.searchsorted(cand, partners)
                    hit = (pos < len(cand)) & (cand[np.minimum(pos, len(cand) - 1)] == partners)
                    pair[pos[hit]] = costs[hit]
                delta += (
                    conflict[i, b]
                    - pair
                    + conflict[cand, a]
                    - pair
                    - conflict[i, a]
                    - conflict[cand, b]
                )
                best = int(np.argmin(delta))
                if delta[best] >= -1e-9:
                    continue
                j, bj = int(cand[best]), int(b[best])
                self._swap(i, j, a, bj, group, counts, conflict)
                improved += 1
            if improved == 0 and not conflicts_only:
                break
        return group

    def _swap(
        self,
        i: int,
        j: int,
        a: int,
        b: int,
        group: IntArray,
        counts: list[FloatArray],
        conflict: FloatArray,
    ) -> None:
        for attr, table in zip(self.attrs, counts, strict=True):
            if attr.numeric:
                table[a] += attr.values[j] - attr.values[i]
                table[b] += attr.values[i] - attr.values[j]
            else:
                table[a, attr.codes[i]] -= 1
                table[a, attr.codes[j]] += 1
                table[b, attr.codes[j]] -= 1
                table[b, attr.codes[i]] += 1
        for person, old, new in ((i, a, b), (j, b, a)):
            for other, cost in self.bad.get(person, {}).items():
                conflict[other, old] -= cost
                conflict[other, new] += cost
        group[i], group[j] = b, a
