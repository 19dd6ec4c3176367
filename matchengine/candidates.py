"""Finding each mentee's best allowed mentors without scoring every mentee-mentor pair.

Mentees are grouped by map cell. A k-d tree over mentors' unit-sphere vectors returns only the
mentors a cell's travel limits can reach, nearest the cell's centre first, and each mentee's pairs
are checked and scored up to the first mentor its own limit cannot reach, block by block. Each
mentee keeps its ``keep`` best allowed mentors and ``bound``: the fit of the next best, which no
left-out pair can beat. ``mentoring.py`` uses that bound to prove left-out pairs could
not improve the answer, and scans a mentee in full when the proof needs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.spatial import cKDTree

from matchengine import _scan
from matchengine._parallel import in_order, threads
from matchengine.geo import EARTH_RADIUS
from matchengine.scoring import Encoding, IntArray

# One kernel with two modes (scan, violations); typed loosely because numba may compile it.
_KERNEL: Any = _scan._kernel

#: Pairs (members x reachable mentors) per kernel call: sets how often progress is reported
#: and how evenly the batches share out among threads.
BATCH = 1 << 20
#: Map cell size in degrees, about 35 by 32 miles in the UK: larger cells score more pairs in
#: vain but save per-block overhead; this size was fastest at 1,000 to 50,000 mentees.
CELL_LAT, CELL_LON = 0.5, 0.75


F64 = npt.NDArray[np.float64]
#: Groups for a kernel call: members, member offsets, where each group's mentors start and end
#: in the flat arrays of every group's mentors and of each mentor's chord from its group's
#: centre (``Scanner._flat``), those two arrays, and the centres (NaN: measured from nowhere).
Batch = tuple[IntArray, IntArray, IntArray, IntArray, IntArray, F64, F64]


@dataclass(frozen=True)
class Scan:
    """Allowed pairs found for some mentees, best first per mentee."""

    rows: IntArray  # mentee index per pair
    cols: IntArray  # mentor index per pair
    fits: IntArray
    bound: IntArray  # per mentee scanned: best fit among allowed pairs not returned, -1 if none
    pairs_scored: int


def _limit_class(limit2: npt.NDArray[np.float64]) -> IntArray:
    """Travel limits rounded to powers of 1.5: mentees with similar reach share a scan."""
    finite = np.isfinite(limit2) & (limit2 > 0)
    out = np.full(limit2.size, 63, dtype=np.int64)
    out[finite] = np.clip(np.floor(np.log(limit2[finite]) / np.log(1.5**2)) + 32, 0, 62)
    out[limit2 == 0] = 0
    return out


class Scanner:
    """Scores blocks of pairs for chosen mentees, reaching only mentors they may be paired with."""

    def __init__(
        self, enc: Encoding, excluded: dict[int, IntArray], usable: IntArray, rows: IntArray
    ) -> None:
        self.enc = enc
        self.all_rows = rows
        self._cache: list[tuple[IntArray, IntArray]] | None = None
        #: Per group: the centre its reach was measured from (NaN: none) and each reachable
        #: mentor's chord from it; mentors are in that order (see ``_reachable``).
        self._rings: list[tuple[F64, F64]] = []
        self._group_of: IntArray | None = None
        self._allowed: dict[int, npt.NDArray[np.uint8]] = {}
        self.excluded = excluded
        self._kernel_data: tuple[Any, ...] | None = None
        self._flat_cache: tuple[IntArray, F64, IntArray, F64] | None = None
        self.usable = usable  # mentors with places left
        loc = enc.located_b[usable]
        self.located = usable[loc]
        self.unlocated = usable[~loc]
        self.unlimited = usable[~enc.has_limit_b[usable]]
        self.tree = cKDTree(enc.xyz_b[self.located]) if self.located.size else None
        limited = enc.has_limit_b[self.located]
        limits = enc.limit2_b[self.located][limited]
        self.max_mentor_limit2 = float(limits.max()) if limits.size else 0.0
        self.located_unlimited = self.located[~limited]
        #: Positions (in ``located``) of the mentors without a limit, and the mentors without a
        #: location or limit: the same for every group, so worked out once.
        self._unlimited_at = np.flatnonzero(~limited)
        self._far = np.intersect1d(self.unlocated, self.unlimited)

    def _groups(self, rows: IntArray) -> list[tuple[IntArray, IntArray]]:
        """Split mentees into groups that share one set of reachable mentors."""
        enc = self.enc
        nowhere = np.full(3, np.nan)
        self._rings = []
        if not enc.travel_hard:
            self._rings.append((nowhere, np.zeros(self.usable.size)))
            return [(rows, self.usable)]
        groups: list[tuple[IntArray, IntArray]] = []
        located = rows[enc.located_a[rows]]
        unlocated = rows[~enc.located_a[rows]]
        if unlocated.size:
            # Without a location only people with no travel limit on either side can pair.
            limited = enc.has_limit_a[unlocated]
            if (~limited).any():
                groups.append((unlocated[~limited], self.unlimited))
                self._rings.append((nowhere, np.zeros(self.unlimited.size)))
            if limited.any():
                groups.append((unlocated[limited], np.zeros(0, dtype=np.int64)))
                self._rings.append((nowhere, np.zeros(0)))
        if not located.size:
            return groups
        # Mentees without a limit are grouped apart: they reach much further than their neighbours.
        lat = np.degrees(np.arcsin(np.clip(enc.xyz_a[located, 2], -1, 1)))
        lon = np.degrees(np.arctan2(enc.xyz_a[located, 1], enc.xyz_a[located, 0]))
        key = (
            np.floor(lat / CELL_LAT).astype(np.int64) * 4096
            + np.floor(lon / CELL_LON).astype(np.int64)
        ) * 64 + _limit_class(enc.limit2_a[located])
        order = np.lexsort((located, key))
        located, key = located[order], key[order]
        cuts = np.flatnonzero(np.diff(key)) + 1
        starts = np.r_[0, cuts]
        # Every group's centre and reach at once, then one k-d tree query for all of them.
        xyz = enc.xyz_a[located]
        sizes = np.diff(np.r_[starts, located.size])
        centres = np.add.reduceat(xyz, starts, axis=0) / sizes[:, None]
        centres /= np.linalg.norm(centres, axis=1)[:, None]
        limited = enc.has_limit_a[located]
        all_limited = np.minimum.reduceat(limited.astype(np.int8), starts) == 1
        hits: list[list[int]] = [[] for _ in range(starts.size)]
        if self.tree is not None:
            gap = xyz - np.repeat(centres, sizes, axis=0)
            spread = np.maximum.reduceat(np.sqrt((gap * gap).sum(axis=1)), starts)
            # A pair must be within both limits: a mentee without one still only reaches
            # mentors whose own limit covers them, plus the mentors with no limit at all.
            own = np.maximum.reduceat(enc.limit2_a[located], starts)
            if self.located_unlimited.size == 0:
                reach2 = np.minimum(own, self.max_mentor_limit2)
            else:
                reach2 = np.where(np.isinf(own), np.minimum(own, self.max_mentor_limit2), own)
            # Chord length is a metric, so cell spread plus reach covers every member's reach.
            radius = spread + np.sqrt(reach2) + 1e-12
            hits = self.tree.query_ball_point(
                centres, radius, workers=threads(), return_sorted=True
            ).tolist()
        for k, members in enumerate(np.split(located, cuts)):
            cols, chords = self._reachable(centres[k], hits[k], bool(all_limited[k]))
            groups.append((members, cols))
            self._rings.append((centres[k], chords))
        return groups

    def _reachable(self, centre: F64, hits: list[int], all_limited: bool) -> tuple[IntArray, F64]:
        """Mentors a group may reach (``hits`` in the k-d tree, plus mentors without a limit
        when some member has none), nearest the group's centre first, with each mentor's chord
        from it: a mentee whose limit ends before a mentor's chord less its own distance from the
        centre can reach no mentor after it (the kernels stop there).
        """
        enc = self.enc
        at = np.asarray(hits, dtype=np.int64)
        if self.tree is not None and not all_limited and self._unlimited_at.size:
            # The union of two sets of positions, in order, by flags (faster than union1d).
            flags = np.zeros(self.located.size, dtype=bool)
            flags[at] = True
            flags[self._unlimited_at] = True
            at = np.flatnonzero(flags)
        found = self.located[at]
        diff = enc.xyz_b[found] - centre
        chords = np.sqrt((diff * diff).sum(axis=1))
        order = np.argsort(chords, kind="stable")
        found, chords = found[order], chords[order]
        if not all_limited:
            # Mentors without a location come last: only mentees without a limit reach them.
            found = np.concatenate([found, self._far])
            chords = np.concatenate([chords, np.full(self._far.size, np.inf)])
        return found, chords

    def groups(self, rows: IntArray) -> list[tuple[int, IntArray, IntArray]]:
        """Groups for ``rows``, computed once for all mentees and then filtered."""
        if self._cache is None:
            self._cache = self._groups(self.all_rows)
            self._group_of = np.full(self.enc.fit_a.shape[0], -1, dtype=np.int64)
            for k, (members, _) in enumerate(self._cache):
                self._group_of[members] = k
        if self._group_of is None:
            raise AssertionError("group index missing")
        wanted = np.zeros(self.enc.fit_a.shape[0], dtype=bool)
        wanted[rows] = True
        out = []
        for k in np.flatnonzero(
            np.bincount(self._group_of[rows], minlength=len(self._cache))
        ).tolist():
            members, cols = self._cache[k]
            out.append((k, members[wanted[members]], cols))
        return out

    def reach_max(self, rows: IntArray, values: IntArray) -> IntArray:
        """For each of ``rows``: the largest of ``values`` (per mentor) over its group's reach,
        0 when it reaches nobody."""
        best = np.zeros(self.enc.fit_a.shape[0], dtype=np.int64)
        for _, members, cols in self.groups(rows):
            if cols.size:
                best[members] = max(0, int(values[cols].max()))
        result: IntArray = best[rows]
        return result

    def scan(
        self,
        rows: IntArray,
        keep: int,
        progress: Callable[[float], None] | None = None,
    ) -> Scan:
        """Allowed pairs for ``rows``: the ``keep`` best per mentee, and the next best as bound."""
        out_r: list[IntArray] = []
        out_c: list[IntArray] = []
        out_f: list[IntArray] = []
        bound = np.full(self.enc.fit_a.shape[0], -1, dtype=np.int64)
        scored = 0
        batches = self._batches(rows)
        total = max(1, sum(int(b[0].size) for b in batches))
        done = 0
        data = self.kernel_data

        def run(batch: Batch) -> tuple[IntArray, IntArray, IntArray, IntArray, int]:
            g_mem, g_mptr, g_clo, g_chi, g_col, g_cd, g_ctr = batch
            out_col = np.zeros((g_mem.size, keep + 1), dtype=np.int64)
            out_fit = np.zeros((g_mem.size, keep + 1), dtype=np.int64)
            out_count = np.zeros(g_mem.size, dtype=np.int64)
            none = np.zeros(0, dtype=np.int64)
            counted = _KERNEL(
                0, g_mem, g_mptr, g_clo, g_chi, g_col, g_cd, g_ctr, keep, none, none, none, none,
                0, 0, 0, 0,
                *data, out_col, out_fit, out_count,
            )[3]  # fmt: skip
            return g_mem, out_col, out_fit, out_count, int(counted)

        for g_mem, out_col, out_fit, out_count, counted in in_order(run, batches):
            scored += counted
            full = out_count == keep + 1
            bound[g_mem[full]] = out_fit[full, keep]
            counts = np.minimum(out_count, keep)
            mask = np.arange(keep + 1)[None, :] < counts[:, None]
            out_r.append(np.broadcast_to(g_mem[:, None], mask.shape)[mask])
            out_c.append(out_col[mask])
            out_f.append(out_fit[mask])
            done += int(g_mem.size)
            if progress is not None:
                progress(done / total)
        return _collect(out_r, out_c, out_f, bound, scored)

    def violations(
        self,
        rows: IntArray,
        limit: IntArray,
        u: IntArray,
        v: IntArray,
        base: IntArray,
        fit_weight: int,
        theta: int,
        near: int,
        spare: int,
    ) -> Scan:
        """Allowed pairs of ``rows`` with fit >= theta that the duals (u, v) miss by under ``near``.

        A pair weighs ``base[i] + fit_weight * fit``. Only mentors priced below
        ``limit[i] + spare`` are looked at: the mentee's bound covers the rest with ``spare`` to
        spare (``mentoring._certified_solve``), so every pair left out is covered by
        ``min(near, spare)`` (``mentoring._rescan`` relies on it).
        """
        out_r: list[IntArray] = []
        out_c: list[IntArray] = []
        out_f: list[IntArray] = []
        scored = 0
        data = self.kernel_data

        def run(batch: Batch) -> tuple[IntArray, IntArray, IntArray, int]:
            g_mem, g_mptr, g_clo, g_chi, g_col, g_cd, g_ctr = batch
            empty = np.zeros((0, 1), dtype=np.int64)
            r, c, f, k = _KERNEL(
                1, g_mem, g_mptr, g_clo, g_chi, g_col, g_cd, g_ctr, 0, limit, u, v, base,
                fit_weight, theta, near, spare,
                *data, empty, empty, np.zeros(0, dtype=np.int64),
            )  # fmt: skip
            return r, c, f, int(k)

        for r, c, f, k in in_order(run, self._batches(rows)):
            out_r.append(r)
            out_c.append(c)
            out_f.append(f)
            scored += k
        bound = np.full(self.enc.fit_a.shape[0], -1, dtype=np.int64)
        return _collect(out_r, out_c, out_f, bound, scored)

    def _batches(self, rows: IntArray) -> list[Batch]:
        """The groups of ``rows`` for the kernels, in batches of about BATCH pairs.

        Every batch reads the same flat arrays of all groups' reachable mentors and their
        chords (``_flat``), built once: each solve round scans again, and copying the groups'
        mentors per call cost more than a fifth of a scan. Mentors are given by where the
        kernel data stores them (``_kernel_data``).
        """
        chosen = self.groups(rows)
        flat_col, flat_cd, starts, centres = self._flat()
        out: list[Batch] = []
        ks: list[int] = []
        mem: list[IntArray] = []
        pairs = 0
        for k, members, cols in chosen:
            if cols.size == 0 or members.size == 0:
                continue
            ks.append(k)
            mem.append(members)
            pairs += int(members.size) * int(cols.size)
            if pairs >= BATCH:
                out.append(_batch(ks, mem, flat_col, flat_cd, starts, centres))
                ks, mem, pairs = [], [], 0
        if mem:
            out.append(_batch(ks, mem, flat_col, flat_cd, starts, centres))
        return out

    def _flat(self) -> tuple[IntArray, F64, IntArray, F64]:
        """All groups' reachable mentors (as stored for the kernels) and chords, end to end,
        each group's first position in them, and the groups' centres."""
        if self._flat_cache is None:
            stored = self.kernel_data[-1]
            cached = self._cache if self._cache is not None else []
            starts = np.zeros(len(cached) + 1, dtype=np.int64)
            np.cumsum([cols.size for _, cols in cached], out=starts[1:])
            empty = np.zeros(0, dtype=np.int64)
            flat_col = stored[np.concatenate([cols for _, cols in cached])] if cached else empty
            flat_cd = (
                np.concatenate([chords for _, chords in self._rings]).astype(np.float64)
                if cached
                else np.zeros(0)
            )
            centres = (
                np.ascontiguousarray(np.stack([c for c, _ in self._rings]), dtype=np.float64)
                if cached
                else np.zeros((0, 3))
            )
            self._flat_cache = (flat_col.astype(np.int64), flat_cd, starts, centres)
        return self._flat_cache

    @property
    def kernel_data(self) -> tuple[Any, ...]:
        if self._kernel_data is None:
            self._kernel_data = _kernel_data(self.enc, self.excluded)
        return self._kernel_data


def _batch(
    ks: list[int],
    mem: list[IntArray],
    flat_col: IntArray,
    flat_cd: F64,
    starts: IntArray,
    centres: F64,
) -> Batch:
    mptr = np.zeros(len(mem) + 1, dtype=np.int64)
    np.cumsum([m.size for m in mem], out=mptr[1:])
    at = np.array(ks, dtype=np.int64)
    return (
        np.concatenate(mem).astype(np.int64),
        mptr,
        starts[at],
        starts[at + 1],
        flat_col,
        flat_cd,
        np.ascontiguousarray(centres[at]),
    )


def _bits(flags: npt.NDArray[np.bool_]) -> npt.NDArray[np.uint64]:
    """Rows of flags packed into 64-bit words (bit k of word w is flag 64 w + k)."""
    words = max(1, -(-flags.shape[1] // 64))
    padded = np.zeros((flags.shape[0], words * 64), dtype=bool)
    padded[:, : flags.shape[1]] = flags
    packed = np.packbits(padded, axis=1, bitorder="little")
    return np.ascontiguousarray(packed).view("<u8").astype(np.uint64)


def _kernel_data(enc: Encoding, excluded: dict[int, IntArray]) -> tuple[Any, ...]:
    """The encoding as the compiled scorer reads it (see ``_scan``)."""
    n, m = enc.fit_a.shape[0], enc.fit_b.shape[0]
    a_bits: list[npt.NDArray[np.uint64]] = []
    b_bits: list[npt.NDArray[np.uint64]] = []
    a_pts: list[IntArray] = []
    for lo, hi in enc.columns.values():
        if hi == lo:
            continue
        block = enc.fit_a[:, lo:hi]
        points = block.max(axis=1).astype(np.int64)
        if not ((block == 0) | (block == points[:, None])).all():
            raise AssertionError("a mentee's items of one criterion carry different points")
        bits_a = _bits(block > 0)
        a_bits.append(bits_a)
        b_bits.append(_bits(enc.fit_b[:, lo:hi] > 0))
        a_pts.append(np.repeat(points[:, None], bits_a.shape[1], axis=1))
    ng = len(enc.vocab["gender"])
    problem = enc.problem
    unit = problem.distance_unit
    ex_ptr = np.zeros(n + 1, dtype=np.int64)
    counts = np.zeros(n, dtype=np.int64)
    for row, banned in excluded.items():
        counts[row] = banned.size
    np.cumsum(counts, out=ex_ptr[1:])
    ex_col = np.zeros(int(ex_ptr[-1]), dtype=np.int64)
    for row, banned in excluded.items():
        ex_col[ex_ptr[row] : ex_ptr[row + 1]] = np.sort(banned)
    if ng > 63:
        raise AssertionError("more than 63 genders")
    # Mentors' data is stored in map order: a group's reachable mentors, read for every member,
    # then sit together in memory (a fifth off the scan at 50,000 mentees). The kernels read it
    # at ``b_at[j]`` and report and break ties by the mentor's own index ``b_id``.
    b_id = _map_order(enc.xyz_b, enc.located_b)
    b_at = np.empty(m, dtype=np.int64)
    b_at[b_id] = np.arange(m, dtype=np.int64)
    b_words = np.concatenate(b_bits, axis=1) if b_bits else np.zeros((m, 1), np.uint64)
    return (
        enc.xyz_a,
        np.ascontiguousarray(enc.xyz_b[b_id]),
        enc.located_a,
        enc.located_b[b_id],
        enc.limit2_a,
        enc.limit2_b[b_id],
        enc.has_limit_a,
        enc.has_limit_b[b_id],
        bool(enc.travel_hard),
        np.argmax(enc.gender_a[:, ng:], axis=1).astype(np.int64),
        _bits(enc.gender_a[:, :ng] > 0)[:, 0].astype(np.int64),
        np.argmax(enc.gender_b[:, :ng], axis=1).astype(np.int64)[b_id],
        _bits(enc.gender_b[:, ng:] > 0)[:, 0].astype(np.int64)[b_id],
        enc.needs_language,
        _bits(enc.lang_a > 0),
        np.ascontiguousarray(_bits(enc.lang_b > 0)[b_id]),
        ex_ptr,
        ex_col,
        np.ascontiguousarray(np.concatenate(a_bits, axis=1))
        if a_bits
        else np.zeros((n, 1), np.uint64),
        np.ascontiguousarray(np.concatenate(a_pts, axis=1))
        if a_pts
        else np.zeros((n, 1), np.int64),
        np.ascontiguousarray(b_words[b_id]),
        float(enc.distance_points),
        float(enc.scale2),
        float(EARTH_RADIUS[unit]),
        float(problem.distance_scale),
        _scan._ASIN,
        b_id,
        b_at,
    )


def _map_order(xyz: F64, located: npt.NDArray[np.bool_]) -> IntArray:
    """Mentors by map cell (about 17 miles north to south), then longitude; no location last."""
    lat = np.degrees(np.arcsin(np.clip(xyz[:, 2], -1.0, 1.0)))
    lon = np.degrees(np.arctan2(xyz[:, 1], xyz[:, 0]))
    order: IntArray = np.lexsort((lon, np.floor(lat / 0.25), ~located)).astype(np.int64)
    return order


def _collect(
    out_r: list[IntArray],
    out_c: list[IntArray],
    out_f: list[IntArray],
    bound: IntArray,
    scored: int,
) -> Scan:
    empty = np.zeros(0, dtype=np.int64)
    return Scan(
        rows=np.concatenate(out_r).astype(np.int64) if out_r else empty,
        cols=np.concatenate(out_c).astype(np.int64) if out_c else empty,
        fits=np.concatenate(out_f) if out_f else empty,
        bound=bound,
        pairs_scored=scored,
    )
