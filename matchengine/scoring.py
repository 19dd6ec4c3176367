"""Exact integer fit points and hard-constraint checks for blocks of mentee-mentor pairs.

Each soft criterion except distance is linear in item indicators: a mentee's row holds, for each
item it has, the points that item is worth (its criterion weight times 1000, shared over the
mentee's items), and a mentor's row holds 0/1 for the items the mentor has. One matrix product
then gives the fit of a whole block of pairs. The values are whole numbers below 2**24, so float32
products and sums are exact in any order: the same pair scores the same wherever it is computed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import count
from operator import attrgetter
from typing import cast

import numpy as np
import numpy.typing as npt

from matchengine.geo import chord2_of_distance, great_circle_from_chord2, unit_vectors
from matchengine.model import CRITERIA, POINTS_PER_UNIT, HourBlock, MentoringProblem, Person

IntArray = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
F64 = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

#: Criteria computed by the matrix product, in column order.
LINEAR_CRITERIA = tuple(c for c in CRITERIA if c != "distance")

NO_GENDER = "\x00none"


def _one_or_none(value: str | None) -> tuple[str, ...]:
    return () if value is None else (value,)


def _hour_matrix(side: _Profiles) -> BoolArray:
    """Each person's weekly working hours as 168 flags (Monday 0-1h is column 0)."""
    codes, _, distinct = side.by("hours")
    flags = np.zeros((len(distinct), 168), dtype=bool)
    for u, hours in enumerate(distinct):
        for block in cast(tuple[HourBlock, ...], hours):
            flags[u, block.day * 24 + block.start : block.day * 24 + block.end] = True
    out: BoolArray = flags[codes]
    return out


def _grouped(keys: Iterable[object]) -> tuple[IntArray, list[int], list[object]]:
    """Each key's number (in first-seen order), the first row of each number, the distinct keys.

    People share a few profiles: a row's encoding is worked out once per distinct key and then
    copied to every row by one numpy index.
    """
    number: defaultdict[object, int] = defaultdict(count().__next__)
    codes = np.fromiter(map(number.__getitem__, keys), dtype=np.int64)
    firsts: list[int] = np.unique(codes, return_index=True)[1].tolist()
    return codes, firsts, list(number)


def _grouped_tuples(values: list[object]) -> tuple[IntArray, list[int], list[object]]:
    """``_grouped`` for tuple values, the same numbers, found faster when people share objects.

    A tuple hashes all of its items at every lookup. The parser gives people with equal lists
    one shared tuple, so the objects are numbered first (by identity, a cheap hash) and only
    the few distinct objects by value; numbering values in the objects' first-seen order keeps
    the people's first-seen order.
    """
    ids = np.fromiter(map(id, values), dtype=np.int64, count=len(values))
    _, firsts, by_object = np.unique(ids, return_index=True, return_inverse=True)
    # Objects numbered in first-seen order, as ``_grouped`` numbers keys.
    seen_order = np.argsort(firsts, kind="stable")
    distinct = [values[k] for k in firsts[seen_order].tolist()]
    rank = np.empty(seen_order.size, dtype=np.int64)
    rank[seen_order] = np.arange(seen_order.size, dtype=np.int64)
    to_value, _, keys = _grouped(distinct)
    codes: IntArray = to_value[rank[by_object.reshape(-1)]]
    value_firsts: list[int] = np.unique(codes, return_index=True)[1].tolist()
    return codes, value_firsts, keys


#: Person fields holding tuples (or None), grouped by ``_grouped_tuples``.
_TUPLE_FIELDS = frozenset(
    {
        "languages",
        "culture",
        "gender_preference",
        "work_types",
        "experience",
        "needs",
        "background",
        "hours",
    }
)


class _Profiles:
    """The people of one side grouped by each field in turn, each grouping done once."""

    def __init__(self, people: tuple[Person, ...]) -> None:
        self.people = people
        self._by: dict[str, tuple[IntArray, list[int], list[object]]] = {}

    def by(self, field: str) -> tuple[IntArray, list[int], list[object]]:
        """``_grouped`` over the people's ``field``."""
        found = self._by.get(field)
        if found is None:
            values = map(attrgetter(field), self.people)
            found = self._by[field] = (
                _grouped_tuples(list(values)) if field in _TUPLE_FIELDS else _grouped(values)
            )
        return found


#: The person field each criterion reads, per role (mentees bring needs, mentors experience);
#: ``_items_of`` turns a value of it into items.
_FIELD = {
    "language": ("languages", "languages"),
    "culture": ("culture", "culture"),
    "work_types": ("work_types", "work_types"),
    "background": ("background", "background"),
    "experience": ("needs", "experience"),
    "gender": ("gender", "gender"),
    "personality": ("personality", "personality"),
    "learning_style": ("learning_style", "learning_style"),
}


def _items_of(criterion: str, value: object) -> tuple[str, ...]:
    """The items a value of the criterion's field stands for."""
    if criterion == "gender":
        return (cast(str | None, value) or NO_GENDER,)
    if criterion in ("personality", "learning_style"):
        return _one_or_none(cast(str | None, value))
    return cast(tuple[str, ...], value)


@dataclass(frozen=True)
class Encoding:
    """Everything needed to score pairs, as arrays indexed by mentee / mentor position."""

    fit_a: F32  # mentees x columns: points per item
    fit_b: F32  # mentors x columns: 0/1
    columns: dict[str, tuple[int, int]]  # criterion -> column range, for explanations
    vocab: dict[str, tuple[str, ...]]
    gender_a: F32  # [not accepted genders, own gender]
    gender_b: F32  # [own gender, not accepted genders]
    lang_a: F32
    lang_b: F32
    needs_language: BoolArray  # mentee's languages must be shared
    xyz_a: F64
    xyz_b: F64
    located_a: BoolArray
    located_b: BoolArray
    limit2_a: F64  # squared chord of the travel limit; inf when none
    limit2_b: F64
    has_limit_a: BoolArray
    has_limit_b: BoolArray
    distance_points: float  # weight * 1000
    scale2: float  # squared chord of distance_scale
    problem: MentoringProblem
    travel_hard: bool
    #: Per field, each mentee's (mentor's) number for its value: equal numbers, equal values.
    codes_a: dict[str, IntArray]
    codes_b: dict[str, IntArray]


def _vocab(
    problem: MentoringProblem, criterion: str, mentees: _Profiles, mentors: _Profiles
) -> tuple[str, ...]:
    """The criterion's items over the problem's mentees and mentors (sorted)."""
    items: set[str] = set()
    for side, field in zip((mentees, mentors), _FIELD[criterion], strict=True):
        for value in side.by(field)[2]:
            items.update(_items_of(criterion, value))
    if criterion == "gender":
        for pref in mentees.by("gender_preference")[2]:
            if pref is not None:
                items.update(cast(tuple[str, ...], pref))
        items.add(NO_GENDER)
    if criterion == "personality":
        items.update(a for pair in problem.compatible_personalities for a in pair)
    return tuple(sorted(items))


def _mentee_key(criterion: str) -> str:
    """The field that decides a mentee's points for a criterion (sharing it shares the points)."""
    if criterion == "gender":
        return "gender_preference"
    return _FIELD[criterion][0]


def _mentee_points(
    person: Person, criterion: str, weight: float, index: dict[str, int], problem: MentoringProblem
) -> dict[int, float]:
    total = weight * POINTS_PER_UNIT
    if criterion == "gender":
        accepted = index.keys() if person.gender_preference is None else person.gender_preference
        return {index[g]: round(total) for g in accepted}
    if criterion == "personality":
        if person.personality is None:
            return {}
        mine = person.personality
        matches = {mine} | {
            b if a == mine else a for a, b in problem.compatible_personalities if mine in (a, b)
        }
        return {index[p]: round(total) for p in matches}
    items = _items_of(criterion, getattr(person, _FIELD[criterion][0]))
    if not items:
        return {}
    # Shared over the mentee's items: a mentor who covers all of them gets the full weight.
    each = round(total / len(items))
    return {index[item]: each for item in items}


def encode(problem: MentoringProblem, mentees: tuple[Person, ...]) -> Encoding:
    """Encode ``mentees`` (usually ``problem.mentees``) against all of the problem's mentors."""
    mentors = problem.mentors
    side_a, side_b = _Profiles(mentees), _Profiles(mentors)
    # The vocabulary is the whole problem's, whichever mentees are encoded.
    all_a = side_a if mentees is problem.mentees else _Profiles(problem.mentees)
    hours_a, hours_b = _hour_matrix(side_a), _hour_matrix(side_b)
    used_hours = np.flatnonzero(hours_a.any(axis=0) | hours_b.any(axis=0))
    vocab = {c: _vocab(problem, c, all_a, side_b) for c in LINEAR_CRITERIA if c != "hours"}
    vocab["hours"] = tuple(str(h) for h in used_hours.tolist())
    columns: dict[str, tuple[int, int]] = {}
    start = 0
    for criterion in LINEAR_CRITERIA:
        columns[criterion] = (start, start + len(vocab[criterion]))
        start += len(vocab[criterion])
    fit_a = np.zeros((len(mentees), start), dtype=np.float32)
    fit_b = np.zeros((len(mentors), start), dtype=np.float32)
    for criterion in LINEAR_CRITERIA:
        offset = columns[criterion][0]
        weight = problem.weights.of(criterion)
        if criterion == "hours":
            lo, hi = columns["hours"]
            fit_b[:, lo:hi] = hours_b[:, used_hours]
            if weight > 0:
                count = hours_a.sum(axis=1)
                # Shared over the mentee's hours, rounded half to even exactly like round().
                each = np.rint(weight * POINTS_PER_UNIT / np.maximum(count, 1))
                fit_a[:, lo:hi] = hours_a[:, used_hours] * each[:, None].astype(np.float32)
            continue
        index = {item: offset + k for k, item in enumerate(vocab[criterion])}
        lo, hi = columns[criterion]
        if weight > 0:
            codes, firsts, _ = side_a.by(_mentee_key(criterion))
            block = np.zeros((len(firsts), hi - lo), dtype=np.float32)
            for u, row in enumerate(firsts):
                points = _mentee_points(mentees[row], criterion, weight, index, problem)
                for col, value in points.items():
                    block[u, col - lo] = value
            fit_a[:, lo:hi] = block[codes]
        codes, _, distinct = side_b.by(_FIELD[criterion][1])
        block = np.zeros((len(distinct), hi - lo), dtype=np.float32)
        for u, held in enumerate(distinct):
            for item in _items_of(criterion, held):
                block[u, index[item] - lo] = 1.0
        fit_b[:, lo:hi] = block[codes]

    genders = vocab["gender"]
    g_index = {g: k for k, g in enumerate(genders)}
    ng = len(genders)
    hard_gender = problem.hard.gender_preference

    def gender_rows(side: _Profiles, mentee_side: bool) -> F32:
        people = side.people
        own_codes = side.by("gender")[0]
        pref_codes, _, pref_values = side.by("gender_preference")
        # One number per (gender, preference): the preference's number is below the count of
        # preferences, so that count is the step between genders.
        _, firsts, codes = np.unique(
            own_codes * max(1, len(pref_values)) + pref_codes,
            return_index=True,
            return_inverse=True,
        )
        rows = np.zeros((len(firsts), 2 * ng), dtype=np.float32)
        for u, r in enumerate(firsts):
            person = people[r]
            own = g_index.get(person.gender or NO_GENDER, g_index[NO_GENDER])
            refused = (
                []
                if not hard_gender or person.gender_preference is None
                else [k for g, k in g_index.items() if g not in person.gender_preference]
            )
            # Mentee rows are [refused, own]; mentor rows [own, refused], so the product counts
            # the genders either side refuses: zero means the pair is allowed.
            own_col, refused_off = (ng + own, 0) if mentee_side else (own, ng)
            rows[u, own_col] = 1.0
            for k in refused:
                rows[u, refused_off + k] = 1.0
        out: F32 = rows[codes.reshape(-1)]
        return out

    spoken: set[str] = set()
    for side in (side_a, side_b):
        for held in side.by("languages")[2]:
            spoken.update(cast(tuple[str, ...], held))
    languages = sorted(spoken)
    l_index = {lang: k for k, lang in enumerate(languages)}

    def language_rows(side: _Profiles) -> F32:
        codes, _, distinct = side.by("languages")
        rows = np.zeros((len(distinct), len(languages)), dtype=np.float32)
        for u, value in enumerate(distinct):
            for lang in cast(tuple[str, ...], value):
                rows[u, l_index[lang]] = 1.0
        out: F32 = rows[codes]
        return out

    unit = problem.distance_unit

    limit_chord2: dict[float, float] = {}

    def geo_rows(people: tuple[Person, ...]) -> tuple[F64, BoolArray, F64, BoolArray]:
        located = np.array([p.location is not None for p in people], dtype=bool)
        xyz = np.zeros((len(people), 3))
        if located.any():
            xyz[located] = unit_vectors([p.location for p in people if p.location is not None])
        limits = [p.travel_limit for p in people]
        has_limit = np.array([x is not None for x in limits], dtype=bool)
        if not problem.hard.travel_limit:
            has_limit[:] = False
        limit2 = np.full(len(people), np.inf)
        if has_limit.any():
            # Schemes use a few travel limits: each converted once.
            limit2[has_limit] = [
                limit_chord2.get(x) or limit_chord2.setdefault(x, chord2_of_distance(x, unit))
                for x in limits
                if x is not None
            ]
        return xyz, located, limit2, has_limit

    xyz_a, located_a, limit2_a, has_limit_a = geo_rows(mentees)
    xyz_b, located_b, limit2_b, has_limit_b = geo_rows(mentors)
    return Encoding(
        fit_a=fit_a,
        fit_b=fit_b,
        columns=columns,
        vocab=vocab,
        gender_a=gender_rows(side_a, True),
        gender_b=gender_rows(side_b, False),
        lang_a=language_rows(side_a),
        lang_b=language_rows(side_b),
        needs_language=np.array(
            [problem.hard.shared_language and bool(p.languages) for p in mentees], dtype=bool
        ),
        xyz_a=xyz_a,
        xyz_b=xyz_b,
        located_a=located_a,
        located_b=located_b,
        limit2_a=limit2_a,
        limit2_b=limit2_b,
        has_limit_a=has_limit_a,
        has_limit_b=has_limit_b,
        distance_points=problem.weights.distance * POINTS_PER_UNIT,
        scale2=chord2_of_distance(problem.distance_scale, unit),
        problem=problem,
        travel_hard=problem.hard.travel_limit,
        codes_a={f: side_a.by(f)[0] for f in _CODED_A},
        codes_b={f: side_b.by(f)[0] for f in _CODED_B},
    )


#: Fields whose values the explanations tell apart by number (``explain._detail_codes``).
_CODED_A = ("gender_preference", "learning_style", "personality")
_CODED_B = ("personality",)


def fit_ceiling(enc: Encoding) -> int:
    """More than any pair's fit could be, for any mentee profile over this vocabulary.

    Per-item rounding can add at most half a point per item. The combined weight uses it, so that
    matching more mentees outranks any fit even after an explanation's relaxation changes a
    mentee's profile.
    """
    weights = enc.problem.weights
    total = round(enc.distance_points) + 1
    for criterion, (lo, hi) in enc.columns.items():
        total += round(weights.of(criterion) * POINTS_PER_UNIT) + (hi - lo)
    return int(total)


def chord2_block(enc: Encoding, rows: IntArray, cols: IntArray) -> F64:
    """Squared chords for rows x cols, summed in the same order as ``geo.chord2``."""
    a, b = enc.xyz_a, enc.xyz_b
    out: F64 = np.subtract.outer(a[rows, 0], b[cols, 0])
    out *= out
    for axis in (1, 2):
        part = np.subtract.outer(a[rows, axis], b[cols, axis])
        part *= part
        out += part
    return out


def distance_points(enc: Encoding, chord2: F64) -> IntArray:
    """Points for the distance criterion: full at 0, falling linearly to 0 at distance_scale."""
    out = np.zeros(chord2.shape, dtype=np.int64)
    if enc.distance_points <= 0:
        return out
    near = chord2 < enc.scale2
    if near.any():
        out[near] = _points_for(enc, chord2[near])
    return out


def _points_for(enc: Encoding, chord2: F64) -> IntArray:
    problem = enc.problem
    d = great_circle_from_chord2(chord2, problem.distance_unit)
    share = np.maximum(0.0, 1.0 - d / problem.distance_scale)
    result: IntArray = np.rint(share * enc.distance_points).astype(np.int64)
    return result


def score_block(
    enc: Encoding, rows: IntArray, cols: IntArray, excluded: dict[int, IntArray]
) -> F32:
    """Fit points for every pair in rows x cols, or -1 where a hard constraint forbids the pair.

    Returned as float32 holding whole numbers (exact, see module doc).
    """
    fit: F32 = enc.fit_a[rows] @ enc.fit_b[cols].T
    ok = (enc.gender_a[rows] @ enc.gender_b[cols].T) == 0
    need = enc.needs_language[rows]
    if need.any():
        shared = (enc.lang_a[rows] @ enc.lang_b[cols].T) > 0
        shared |= ~need[:, None]
        ok &= shared
    loc_a, loc_b = enc.located_a[rows], enc.located_b[cols]
    all_located = bool(loc_a.all() and loc_b.all())
    both = None if all_located else loc_a[:, None] & loc_b[None, :]
    chord2 = chord2_block(enc, rows, cols)
    if both is not None:
        chord2[~both] = 4.0
    if enc.travel_hard:
        reach = chord2 <= np.minimum.outer(enc.limit2_a[rows], enc.limit2_b[cols])
        if both is not None:
            unlimited = ~enc.has_limit_a[rows][:, None] & ~enc.has_limit_b[cols][None, :]
            reach = np.where(both, reach, unlimited)
        ok &= reach
    if enc.distance_points > 0:
        near = chord2 < enc.scale2
        near &= ok
        if near.any():
            fit[near] += _points_for(enc, chord2[near]).astype(np.float32)
    if excluded:
        # cols is sorted, so each banned mentor is found by binary search.
        for r, row in enumerate(rows.tolist()):
            banned = excluded.get(row)
            if banned is not None:
                at = np.minimum(np.searchsorted(cols, banned), cols.size - 1)
                ok[r, at[cols[at] == banned]] = False
    fit[~ok] = -1.0
    return fit
