"""How well two members fit as peers: the weighted criteria, exact and screened.

Two ways to score a pair, kept consistent on purpose:

* ``exact(u, v)``: the canonical fit of edge arrays, in float64 with a fixed order of operations,
  rounded to integer *units* (``SCALE`` per fit point). Every number the solver optimises and
  every score it reports comes from here, so results do not depend on how work was blocked.
* ``screen(rows)``: one float32 matrix product for a block of rows against everybody. It is only
  used to find candidates and to prove that pairs left out of the sparse graph cannot help, so it
  carries a rigorous error bound (``margin_units``) instead of being exact.

Every criterion is a similarity in [0, 1] that is an inner product of per-person vectors (set
overlaps use the Ochiai/cosine form, shared / sqrt(|A| |B|)), which is what makes the screen a
single matrix product. Distance is the exception: it is clipped at zero, so it gets its own small
product when it has a weight.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from matchengine._rotation_people import SET_FIELDS, Person, describe_hours

SCALE = 1_000_000
EARTH_RADIUS_KM = 6371.0088
CRITERIA = ("hours", *SET_FIELDS, "gender", "personality", "learning_style", "location")
CRITERION_LABELS = {
    "hours": "similar working hours",
    "languages": "shared languages",
    "culture": "shared culture",
    "work_types": "same type of work",
    "experience": "shared experience",
    "background": "shared professional background",
    "gender": "same gender",
    "personality": "same personality type",
    "learning_style": "same learning style",
    "location": "live or work close by",
}
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Contribution:
    """One criterion's part in a pair's fit, with the plain-words evidence for it."""

    criterion: str
    weight: float
    similarity: float
    detail: str

    @property
    def points(self) -> float:
        return self.weight * self.similarity


def _dense(rows: Sequence[Sequence[int]], width: int) -> npt.NDArray[np.uint8]:
    """0/1 matrix with row i set at the columns in rows[i] (one scatter for all rows)."""
    dense = np.zeros((len(rows), max(1, width)), dtype=np.uint8)
    lengths = np.fromiter((len(r) for r in rows), np.int64, len(rows))
    total = int(lengths.sum())
    if total:
        cols = np.fromiter((c for r in rows for c in r), np.int64, total)
        dense[np.repeat(np.arange(len(rows)), lengths), cols] = 1
    return dense


def _pack(dense: npt.NDArray[np.uint8], width: int) -> npt.NDArray[np.uint64]:
    words = max(1, (width + 63) // 64)
    padded = np.zeros((dense.shape[0], words * 64), dtype=np.uint8)
    padded[:, : dense.shape[1]] = dense
    packed = np.packbits(padded, axis=1, bitorder="little")
    return packed.view(np.uint64).reshape(dense.shape[0], words)


class PairScorer:
    """Scores pairs of one fixed list of people under one set of weights."""

    def __init__(
        self,
        people: Sequence[Person],
        weights: Mapping[str, float],
        *,
        location_limit_km: float = 50.0,
    ) -> None:
        self.people = tuple(people)
        self.n = len(self.people)
        self.weights = {c: float(weights.get(c, 0.0)) for c in CRITERIA}
        self.active = tuple(c for c in CRITERIA if self.weights[c] > 0)
        self.location_limit_km = location_limit_km
        self._bits: dict[str, npt.NDArray[np.uint64]] = {}
        self._sizes: dict[str, FloatArray] = {}
        self._codes: dict[str, IntArray] = {}
        self._vocab: dict[str, list[str]] = {}
        blocks: list[npt.NDArray[np.float32]] = []
        for criterion in self.active:
            if criterion == "location":
                continue
            if criterion in ("gender", "personality", "learning_style"):
                values = [p.scalar_field(criterion) for p in self.people]
                vocab = sorted({v for v in values if v is not None})
                index = {v: k for k, v in enumerate(vocab)}
                codes = np.array([index[v] if v is not None else -1 for v in values], np.int64)
                self._codes[criterion] = codes
                onehot = np.zeros((self.n, max(1, len(vocab))), np.float32)
                has = codes >= 0
                onehot[np.flatnonzero(has), codes[has]] = 1.0
                blocks.append(onehot * np.float32(math.sqrt(self.weights[criterion])))
                continue
            if criterion == "hours":
                sets = [sorted(p.hours) for p in self.people]
                width = 168
            else:
                vocab = sorted({v for p in self.people for v in p.set_field(criterion)})
                self._vocab[criterion] = vocab
                index = {v: k for k, v in enumerate(vocab)}
                sets = [[index[v] for v in p.set_field(criterion)] for p in self.people]
                width = len(vocab)
            dense = _dense(sets, width)
            self._bits[criterion] = _pack(dense, width)
            sizes = np.array([len(s) for s in sets], np.float64)
            self._sizes[criterion] = sizes
            blocks.append(self._ochiai_features(dense, sizes, self.weights[criterion]))
        self._features = (
            np.ascontiguousarray(np.hstack(blocks), dtype=np.float32)
            if blocks
            else np.zeros((self.n, 1), np.float32)
        )
        self._has_location = self.weights["location"] > 0
        if self._has_location:
            lat = np.radians([p.location.lat if p.location else 0.0 for p in self.people])
            lon = np.radians([p.location.lon if p.location else 0.0 for p in self.people])
            self._lat, self._lon = np.asarray(lat), np.asarray(lon)
            self._located = np.array([p.location is not None for p in self.people])
            xyz = EARTH_RADIUS_KM * np.column_stack(
                (np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat))
            )
            centre = xyz[self._located].mean(axis=0) if self._located.any() else np.zeros(3)
            # Centring keeps the chord arithmetic well conditioned for people close together.
            self._xyz = np.where(self._located[:, None], xyz - centre, 0.0)
            self._xyz_sq = np.where(self._located, (self._xyz**2).sum(axis=1), np.inf)
        linear_weight = sum(self.weights[c] for c in self.active if c != "location")
        depth = self._features.shape[1]
        # Worst-case float32 dot-product error for non-negative terms summing to <= linear_weight,
        # plus the rounding of the inputs; the distance part is float64 and over-estimates anyway.
        margin = (depth + 4) * 2.0**-23 * linear_weight + 1e-9
        self.margin_units = math.ceil(margin * SCALE + 0.5) + 1
        self.max_units = math.ceil(sum(self.weights.values()) * SCALE) + 1

    def subset(self, rows: Sequence[int]) -> PairScorer:
        """The same scorer restricted to some of its people (in the given order), without
        re-deriving anything: every array is sliced, so fits and screens are unchanged."""
        idx = np.asarray(rows, np.int64)
        out = copy.copy(self)
        out.people = tuple(self.people[k] for k in idx.tolist())
        out.n = len(idx)
        out._bits = {c: b[idx] for c, b in self._bits.items()}
        out._sizes = {c: v[idx] for c, v in self._sizes.items()}
        out._codes = {c: v[idx] for c, v in self._codes.items()}
        out._features = np.ascontiguousarray(self._features[idx])
        if self._has_location:
            out._lat, out._lon = self._lat[idx], self._lon[idx]
            out._located = self._located[idx]
            out._xyz, out._xyz_sq = self._xyz[idx], self._xyz_sq[idx]
        return out

    def _ochiai_features(
        self, dense: npt.NDArray[np.uint8], sizes: FloatArray, weight: float
    ) -> npt.NDArray[np.float32]:
        # Identical columns (hours nobody or everybody in a pattern works) merge into one
        # weighted column: fewer terms in the product and a tighter error bound.
        groups: dict[bytes, list[int]] = {}
        columns = np.ascontiguousarray(dense.T)
        used = columns.any(axis=1)
        for col in np.flatnonzero(used).tolist():
            groups.setdefault(columns[col].tobytes(), []).append(col)
        firsts = [cols[0] for cols in groups.values()]
        counts = np.array([len(cols) for cols in groups.values()], np.float32)
        merged = dense[:, firsts].astype(np.float32) * np.sqrt(counts)[None, :]
        with np.errstate(divide="ignore"):
            scale = np.where(sizes > 0, np.sqrt(weight / np.maximum(sizes, 1.0)), 0.0)
        if merged.shape[1] == 0:
            return np.zeros((self.n, 1), np.float32)
        return (merged * scale[:, None].astype(np.float32)).astype(np.float32)

    # -- exact -----------------------------------------------------------------------------

    def exact_fit(self, u: IntArray, v: IntArray) -> FloatArray:
        """Canonical fit (in fit points) of pairs (u[k], v[k])."""
        fit = np.zeros(len(u), np.float64)
        for criterion in self.active:
            fit += self.weights[criterion] * self._similarity(criterion, u, v)
        return fit

    def exact(self, u: IntArray, v: IntArray) -> IntArray:
        """Canonical fit of pairs in integer units; the only weights the solver uses."""
        return np.rint(self.exact_fit(u, v) * SCALE).astype(np.int64)

    def _similarity(self, criterion: str, u: IntArray, v: IntArray) -> FloatArray:
        if criterion in self._codes:
            codes = self._codes[criterion]
            same: FloatArray = ((codes[u] == codes[v]) & (codes[u] >= 0)).astype(np.float64)
            return same
        if criterion == "location":
            return self._location_similarity(u, v)
        bits = self._bits[criterion]
        shared = np.bitwise_count(bits[u] & bits[v]).sum(axis=1).astype(np.float64)
        sizes = self._sizes[criterion]
        denom = np.sqrt(sizes[u] * sizes[v])
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(denom > 0, shared / np.where(denom > 0, denom, 1.0), 0.0)

    def distance_km(self, u: IntArray, v: IntArray) -> FloatArray:
        dlat = self._lat[v] - self._lat[u]
        dlon = self._lon[v] - self._lon[u]
        a = (
            np.sin(dlat / 2) ** 2
            + np.cos(self._lat[u]) * np.cos(self._lat[v]) * np.sin(dlon / 2) ** 2
        )
        return np.asarray(2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0))))

    def _location_similarity(self, u: IntArray, v: IntArray) -> FloatArray:
        ratio = self.distance_km(u, v) / self.location_limit_km
        sim = np.maximum(0.0, 1.0 - ratio * ratio)
        return np.where(self._located[u] & self._located[v], sim, 0.0)

    # -- screen ----------------------------------------------------------------------------

    def screen(self, start: int, stop: int, first_col: int = 0) -> npt.NDArray[np.floating]:
        """Approximate fits (fit points) of rows start..stop against columns first_col onwards.

        Within ``margin_units / SCALE`` of the exact fit, or above it (distance uses the chord,
        which is never longer than the great-circle distance).
        """
        block: npt.NDArray[np.floating] = self._features[start:stop] @ self._features[first_col:].T
        if self._has_location:
            chord_sq = (
                self._xyz_sq[start:stop, None]
                + self._xyz_sq[None, first_col:]
                - 2.0 * (self._xyz[start:stop] @ self._xyz[first_col:].T)
            )
            limit_sq = self.location_limit_km**2
            with np.errstate(invalid="ignore"):
                near = np.maximum(0.0, 1.0 - chord_sq / limit_sq)
            near = np.nan_to_num(near, nan=0.0)
            block = block + self.weights["location"] * near
        return block

    def screen_rows(self, rows: IntArray) -> npt.NDArray[np.floating]:
        """Like ``screen`` for an arbitrary list of rows against everyone."""
        block: npt.NDArray[np.floating] = self._features[rows] @ self._features.T
        if self._has_location:
            chord_sq = (
                self._xyz_sq[rows, None]
                + self._xyz_sq[None, :]
                - 2.0 * (self._xyz[rows] @ self._xyz.T)
            )
            with np.errstate(invalid="ignore"):
                near = np.maximum(0.0, 1.0 - chord_sq / self.location_limit_km**2)
            block = block + self.weights["location"] * np.nan_to_num(near, nan=0.0)
        return block

    def screen_sub(self, rows: IntArray, cols: IntArray) -> npt.NDArray[np.floating]:
        """Like ``screen`` for an arbitrary list of rows against an arbitrary list of columns."""
        block: npt.NDArray[np.floating] = self._features[rows] @ self._features[cols].T
        if self._has_location:
            chord_sq = (
                self._xyz_sq[rows, None]
                + self._xyz_sq[None, cols]
                - 2.0 * (self._xyz[rows] @ self._xyz[cols].T)
            )
            with np.errstate(invalid="ignore"):
                near = np.maximum(0.0, 1.0 - chord_sq / self.location_limit_km**2)
            block = block + self.weights["location"] * np.nan_to_num(near, nan=0.0)
        return block

    def type_labels(self) -> IntArray:
        """Equal labels for people identical in every weighted criterion (so in every fit).

        Labels are numbered by first appearance, so they follow the people's order.
        """
        parts = [self._features]
        if self._has_location:
            parts.append(self._xyz.astype(np.float32))
            parts.append(self._located[:, None].astype(np.float32))
        rows = np.ascontiguousarray(np.hstack(parts))
        keys = rows.view(np.dtype((np.void, rows.dtype.itemsize * rows.shape[1]))).ravel()
        _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        rank = np.empty(len(first), np.int64)
        rank[np.argsort(first, kind="stable")] = np.arange(len(first))
        labels: IntArray = rank[inverse.ravel()]
        return labels

    # -- explanation -----------------------------------------------------------------------

    def contributions(self, u: IntArray, v: IntArray) -> list[list[Contribution]]:
        """For each pair (u[k], v[k]): the criteria that contributed, largest first."""
        sims = {c: self._similarity(c, u, v) for c in self.active}
        km = self.distance_km(u, v) if "location" in sims else None
        out: list[list[Contribution]] = []
        for k in range(len(u)):
            parts = []
            for criterion in self.active:
                sim = float(sims[criterion][k])
                if sim <= 0:
                    continue
                if criterion == "location" and km is not None:
                    detail = f"{float(km[k]):.1f} km apart (limit {self.location_limit_km:g} km)"
                else:
                    detail = self._detail(criterion, int(u[k]), int(v[k]))
                parts.append(Contribution(criterion, self.weights[criterion], sim, detail))
            parts.sort(key=lambda c: (-c.points, CRITERIA.index(c.criterion)))
            out.append(parts)
        return out

    def _detail(self, criterion: str, i: int, j: int) -> str:
        a, b = self.people[i], self.people[j]
        if criterion == "hours":
            shared = a.hours & b.hours
            return (
                f"{len(shared)} working hours a week in common "
                f"({describe_hours(frozenset(shared))}; {len(a.hours)} and {len(b.hours)} hours)"
            )
        if criterion in SET_FIELDS:
            common = sorted(set(a.set_field(criterion)) & set(b.set_field(criterion)))
            return f"both: {', '.join(common)}"
        return f"both {a.scalar_field(criterion)}"
