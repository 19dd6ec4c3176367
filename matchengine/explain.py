"""Explanations: what each proposed pair scored on, and why each unmatched mentee is unmatched.

Changes offered to an unmatched mentee are checked, not guessed. Each touches only that mentee's
own pairs, so the optimum of the changed problem is at least ``V - high(j) + w'(i, j)`` for any
newly allowed mentor j, where ``high(j)`` is what the current optimum V loses when j has one place
fewer (``flow.high_prices``, computed on the proven candidate graph, which can only overstate it).
When that exceeds V, every optimum of the changed problem must use one of the mentee's pairs, so
the engine would match them. ``extra_place`` is simpler: one more place for the mentor, locked to
this mentee, leaves everyone else's best matching available.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from matchengine import _scan
from matchengine._jit import HAVE_JIT
from matchengine._parallel import in_order
from matchengine.candidates import _bits
from matchengine.constraints import describe_list
from matchengine.geo import chord2_of_distance, great_circle_from_chord2
from matchengine.model import CRITERIA, POINTS_PER_UNIT, Person
from matchengine.result import Change, CriterionScore, ProposedPair, UnmatchedMentee
from matchengine.scoring import (
    F64,
    NO_GENDER,
    BoolArray,
    Encoding,
    IntArray,
    chord2_block,
    distance_points,
)

_CHUNK = 64
ObjectArray = npt.NDArray[np.object_]


def _shared(a: tuple[str, ...], b: tuple[str, ...]) -> list[str]:
    return sorted(set(a) & set(b))


def _detail(
    criterion: str, mentee: Person, mentor: Person, distance: float | None, unit: str
) -> str:
    if criterion == "language":
        return f"both speak {describe_list(_shared(mentee.languages, mentor.languages), 'and')}"
    if criterion == "culture":
        return f"shared culture: {describe_list(_shared(mentee.culture, mentor.culture), 'and')}"
    if criterion == "gender":
        if mentee.gender_preference is None:
            return "the mentee has no gender preference"
        return f"the mentee asked for a {describe_list(mentee.gender_preference)} mentor"
    if criterion == "work_types":
        return (
            f"both work with {describe_list(_shared(mentee.work_types, mentor.work_types), 'and')}"
        )
    if criterion == "experience":
        met = _shared(mentee.needs, mentor.experience)
        return f"the mentor has experience of {describe_list(met, 'and')}, which the mentee needs"
    if criterion == "distance":
        return f"{distance:.1f} {unit} apart"
    if criterion == "hours":
        mine = {b.day * 24 + h for b in mentee.hours for h in range(b.start, b.end)}
        theirs = {b.day * 24 + h for b in mentor.hours for h in range(b.start, b.end)}
        return (
            f"the mentor also works {len(mine & theirs)} of the mentee's {len(mine)} weekly hours"
        )
    if criterion == "personality":
        if mentee.personality == mentor.personality:
            return f"both {mentee.personality}"
        return f"compatible personalities: {mentee.personality} and {mentor.personality}"
    if criterion == "learning_style":
        return f"both learn best by {mentee.learning_style}"
    if criterion == "background":
        shared = _shared(mentee.background, mentor.background)
        return f"shared background: {describe_list(shared, 'and')}"
    raise AssertionError(criterion)


def describe_pairs(
    enc: Encoding, rows: IntArray, cols: IntArray, locked: BoolArray
) -> list[ProposedPair]:
    """Each pair's points per criterion (they add up to its fit), with a plain-words detail."""
    problem = enc.problem
    points: dict[str, IntArray] = {}
    for criterion, (lo, hi) in enc.columns.items():
        prod = enc.fit_a[rows, lo:hi] * enc.fit_b[cols, lo:hi]
        points[criterion] = prod.sum(axis=1).astype(np.int64)
    both = enc.located_a[rows] & enc.located_b[cols]
    chord2 = np.full(rows.size, 4.0)
    if both.any():
        a, b = enc.xyz_a[rows[both]], enc.xyz_b[cols[both]]
        dx, dy, dz = a[:, 0] - b[:, 0], a[:, 1] - b[:, 1], a[:, 2] - b[:, 2]
        chord2[both] = dx * dx + dy * dy + dz * dz
    points["distance"] = np.where(both, distance_points(enc, chord2), 0)
    miles = great_circle_from_chord2(chord2, problem.distance_unit)
    # One score object per distinct (criterion, points, detail), shared by every pair it
    # describes: a large scheme has few distinct profiles, so few texts are written.
    table = np.full((rows.size, len(CRITERIA)), None, dtype=object)
    total = np.zeros(rows.size, dtype=np.int64)
    for at, criterion in enumerate(CRITERIA):
        values = points.get(criterion)
        if values is None:
            continue
        total += values
        scored = np.flatnonzero(values > 0)
        if scored.size:
            table[scored, at] = _scores(
                enc, criterion, values[scored], rows[scored], cols[scored], miles[scored]
            )
    distance = np.where(both, miles, np.nan).tolist()
    return [
        ProposedPair(
            problem.mentees[row].id,
            problem.mentors[col].id,
            is_locked,
            fit,
            tuple(filter(None, scores)),
            None if math.isnan(d) else d,
        )
        for row, col, is_locked, fit, scores, d in zip(
            rows.tolist(),
            cols.tolist(),
            locked.tolist(),
            total.tolist(),
            table.tolist(),
            distance,
            strict=True,
        )
    ]


def _scores(
    enc: Encoding,
    criterion: str,
    values: IntArray,
    rows: IntArray,
    cols: IntArray,
    miles: F64,
) -> ObjectArray:
    """The score object of each of these pairs (all with points) for one criterion."""
    problem = enc.problem
    mentees, mentors, unit = problem.mentees, problem.mentors, problem.distance_unit
    out: ObjectArray = np.empty(rows.size, dtype=object)
    if criterion == "distance":
        # Nearly every pair is a different distance apart: one score each, same texts shared.
        seen: dict[tuple[int, str], CriterionScore] = {}
        for k, (value, d) in enumerate(zip(values.tolist(), miles.tolist(), strict=True)):
            key = (value, f"{d:.1f}")
            score = seen.get(key)
            if score is None:
                score = seen[key] = CriterionScore(criterion, value, f"{key[1]} {unit} apart")
            out[k] = score
        return out
    codes = _detail_codes(enc, criterion, rows, cols)
    # Pairs grouped by (points, code): sorted, then numbered by where the key changes.
    order = np.lexsort((codes, values))
    change = np.r_[True, (np.diff(values[order]) != 0) | (np.diff(codes[order]) != 0)]
    first = order[change]
    inverse = np.empty(rows.size, dtype=np.int64)
    inverse[order] = np.cumsum(change) - 1
    distinct: ObjectArray = np.empty(first.size, dtype=object)
    for u, k in enumerate(first.tolist()):
        mentee, mentor = mentees[int(rows[k])], mentors[int(cols[k])]
        detail = _detail(criterion, mentee, mentor, None, unit)
        distinct[u] = CriterionScore(criterion, int(values[k]), detail)
    out[:] = distinct[inverse]
    return out


#: Criteria whose detail is the list of items both sides have (or, for hours, how many).
_SET_CRITERIA = ("language", "culture", "work_types", "experience", "background", "hours")


def _detail_codes(enc: Encoding, criterion: str, rows: IntArray, cols: IntArray) -> IntArray:
    """Per pair, a number that determines the criterion's detail text (equal number, equal text).

    A set criterion's detail depends only on the items both have (and, for hours, the mentee's
    count), which the encoding holds as flags; the others on a field or two of the people.
    """
    if criterion in _SET_CRITERIA:
        lo, hi = enc.columns[criterion]
        mine = enc.fit_a[rows, lo:hi] > 0
        shared = mine & (enc.fit_b[cols, lo:hi] > 0)
        if criterion == "hours":
            codes: IntArray = shared.sum(axis=1) * (hi - lo + 1) + mine.sum(axis=1)
            return codes
        # The shared items as bits: one word when they fit, else numbered by their bytes.
        if hi - lo <= 62:
            codes = (shared.astype(np.int64) << np.arange(hi - lo, dtype=np.int64)).sum(axis=1)
            return codes
        packed = np.packbits(shared, axis=1)
        number: dict[bytes, int] = {}
        return np.array(
            [number.setdefault(row.tobytes(), len(number)) for row in packed], dtype=np.int64
        )
    # The others read a field of the mentee (and, for personality, of the mentor), which the
    # encoding has numbered.
    if criterion == "personality":
        their = enc.codes_b["personality"]
        codes = enc.codes_a["personality"][rows] * (int(their.max(initial=0)) + 1) + their[cols]
        return codes
    field = {"gender": "gender_preference", "learning_style": "learning_style"}[criterion]
    codes = enc.codes_a[field][rows]
    return codes


_GENDER_CACHE: dict[int, tuple[Encoding, dict[str, BoolArray]]] = {}


def _mentors_of_gender(enc: Encoding, gender: str) -> BoolArray:
    """Which mentors have ``gender`` (computed once per encoding)."""
    held = _GENDER_CACHE.get(id(enc))
    if held is None or held[0] is not enc:
        _GENDER_CACHE.clear()
        held = _GENDER_CACHE[id(enc)] = (enc, {})
    found = held[1].get(gender)
    if found is None:
        found = held[1][gender] = np.array([p.gender == gender for p in enc.problem.mentors])
    return found


def _people(count: int, word: str = "mentor") -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


class _Rows:
    """Pair facts for a few mentees against every mentor, computed in one batch by numpy.

    Without numba, and in the tests as the reference for ``_scan.explain_block``.
    """

    def __init__(self, enc: Encoding, rows: IntArray, excluded: dict[int, IntArray]) -> None:
        self.enc = enc
        m = enc.fit_b.shape[0]
        cols = np.arange(m)
        ng = len(enc.vocab["gender"])
        self.fit = (enc.fit_a[rows] @ enc.fit_b.T).astype(np.int64)
        self.lang_ok = (enc.lang_a[rows] @ enc.lang_b.T > 0) | ~enc.needs_language[rows][:, None]
        self.mentee_gender_ok = (enc.gender_a[rows, :ng] @ enc.gender_b[:, :ng].T) == 0
        self.mentor_gender_ok = (enc.gender_a[rows, ng:] @ enc.gender_b[:, ng:].T) == 0
        both = enc.located_a[rows][:, None] & enc.located_b[None, :]
        self.both = both
        self.chord2 = np.where(both, chord2_block(enc, rows, cols), 4.0)
        self.fit += np.where(both, distance_points(enc, self.chord2), 0)
        mentor_reach = self.chord2 <= enc.limit2_b[None, :]
        self.mentor_ok = np.where(both, mentor_reach, ~enc.has_limit_b[None, :])
        mentee_reach = self.chord2 <= enc.limit2_a[rows][:, None]
        self.mentee_ok = np.where(both, mentee_reach, ~enc.has_limit_a[rows][:, None])
        if not enc.travel_hard:
            self.mentor_ok[:] = True
            self.mentee_ok[:] = True
        # Language points alone, for the "accept a mentor who does not speak ..." change: one
        # product per batch (a contiguous copy of the columns, not a strided view per mentee).
        lo, hi = enc.columns["language"]
        self.lang_pts = np.zeros((rows.size, m), dtype=np.int64)
        if enc.needs_language[rows].any() and hi > lo:
            lang_b = np.ascontiguousarray(enc.fit_b[:, lo:hi])
            self.lang_pts = (enc.fit_a[rows, lo:hi] @ lang_b.T).astype(np.int64)
        self.not_excluded = np.ones((rows.size, m), dtype=bool)
        for r, row in enumerate(rows.tolist()):
            if row in excluded:
                self.not_excluded[r, excluded[row]] = False


def explain_unmatched(
    enc: Encoding,
    rows: list[int],
    *,
    capacity: IntArray,
    load: IntArray,
    high: IntArray,
    big: int,
    priority: IntArray,
    strict_priority: bool,
    excluded: dict[int, IntArray],
    kernel_data: tuple[Any, ...] | None = None,
) -> list[UnmatchedMentee]:
    """Reasons and checked changes for each unmatched mentee (see module doc).

    With ``kernel_data`` (``candidates.Scanner.kernel_data``) and numba, the facts come from one
    compiled pass per mentee (``_scan.explain_block``); otherwise from numpy, a batch of mentees
    at a time. Both give the same facts (tested), and the same words follow from them.
    """
    full = load >= capacity
    if kernel_data is not None and COMPILED_EXPLAIN:
        facts = _compiled_facts(enc, rows, full, high, big, priority, strict_priority, kernel_data)
    else:
        facts = []
        for lo in range(0, len(rows), _CHUNK):
            batch = np.array(rows[lo : lo + _CHUNK], dtype=np.int64)
            block = _Rows(enc, batch, excluded)
            facts += [
                _numpy_facts(
                    enc, block, r, row, full, high, big, int(priority[row]), strict_priority
                )
                for r, row in enumerate(batch.tolist())
            ]
    return [_explain_one(enc, row, f, strict_priority) for row, f in zip(rows, facts, strict=True)]


#: Take the unmatched mentees' facts from the compiled pass when it can run.
COMPILED_EXPLAIN = HAVE_JIT
#: Unmatched mentees per compiled call: pieces share the cores.
_PIECE = 32
# Typed loosely: it takes the scanner's kernel data spread out, as ``candidates`` does.
_EXPLAIN_KERNEL: Any = _scan.explain_block


@dataclass(frozen=True)
class _Facts:
    """What decides an unmatched mentee's reason and changes (see ``_scan.explain_block``)."""

    flags: int  # bits: language, + gender asked for, + accepts the mentee, + reach, + theirs
    language_change: bool
    genders: int  # bit k: also accepting gender k would work
    allowed: int
    free: int
    banned: int
    shown_allowed: list[int]
    shown_banned: list[int]
    nearest: int  # beyond the travel limit and would work, -1 for none
    nearest_distance: float
    nearest_chord2: float
    extra: int  # best fitting full mentor among the allowed, -1 for none


def _try_genders(enc: Encoding, row: int) -> int:
    """Bits of the genders the mentee could also accept (none when preferences are not hard)."""
    problem = enc.problem
    pref = problem.mentees[row].gender_preference
    if pref is None or not problem.hard.gender_preference:
        return 0
    out = 0
    for k, g in enumerate(enc.vocab["gender"]):
        if g != NO_GENDER and g not in pref:
            out |= 1 << k
    return out


def _compiled_facts(
    enc: Encoding,
    rows: list[int],
    full: BoolArray,
    high: IntArray,
    big: int,
    priority: IntArray,
    strict: bool,
    kernel_data: tuple[Any, ...],
) -> list[_Facts]:
    n, k = len(rows), _scan.SHOWN
    at = np.array(rows, dtype=np.int64)
    try_genders = np.zeros(enc.fit_a.shape[0], dtype=np.int64)
    for row in rows:
        try_genders[row] = _try_genders(enc, row)
    lo, hi = enc.columns["language"]
    la = enc.fit_a[:, lo:hi]
    la_pts = la.max(axis=1).astype(np.int64) if hi > lo else np.zeros(la.shape[0], np.int64)
    flags = np.zeros(n, dtype=np.int64)
    genders = np.zeros(n, dtype=np.int64)
    counts = np.zeros((n, 3), dtype=np.int64)
    shown = np.zeros((n, 2 * k), dtype=np.int64)
    picks = np.zeros((n, 2), dtype=np.int64)
    travel = np.zeros((n, 2), dtype=np.float64)
    gender_pts = round(enc.problem.weights.gender * POINTS_PER_UNIT)
    language = (_bits(la > 0), la_pts, _bits(enc.fit_b[:, lo:hi] > 0))
    high = high.astype(np.int64)

    def run(start: int) -> None:
        # Each piece writes its own rows of the outputs; the kernel releases Python's lock.
        part = slice(start, start + _PIECE)
        _EXPLAIN_KERNEL(
            at[part], priority, big, strict, full, high, gender_pts, try_genders, *language,
            *kernel_data,
            flags[part], genders[part], counts[part], shown[part], picks[part], travel[part],
        )  # fmt: skip

    for _ in in_order(run, list(range(0, n, _PIECE))):
        pass
    return [
        _Facts(
            flags=f & 31,
            language_change=bool(f & 32),
            genders=g,
            allowed=c[0],
            free=c[1],
            banned=c[2],
            shown_allowed=[j for j in s[:k] if j >= 0],
            shown_banned=[j for j in s[k:] if j >= 0],
            nearest=p[0],
            nearest_distance=t[0],
            nearest_chord2=t[1],
            extra=p[1],
        )
        for f, g, c, s, p, t in zip(
            flags.tolist(),
            genders.tolist(),
            counts.tolist(),
            shown.tolist(),
            picks.tolist(),
            travel.tolist(),
            strict=True,
        )
    ]


def _numpy_facts(
    enc: Encoding,
    f: _Rows,
    r: int,
    row: int,
    full: BoolArray,
    high: IntArray,
    big: int,
    priority: int,
    strict: bool,
) -> _Facts:
    """The facts from a batch's arrays, as ``_scan.explain_block`` finds them."""
    k = _scan.SHOWN
    lang, g_mentee, g_mentor = f.lang_ok[r], f.mentee_gender_ok[r], f.mentor_gender_ok[r]
    reach, mentor_reach, keep = f.mentee_ok[r], f.mentor_ok[r], f.not_excluded[r]
    near = lang & g_mentee & g_mentor
    opened = near & reach & mentor_reach
    flags = 0
    for bit, mask in enumerate((lang, lang & g_mentee, near, near & reach, opened)):
        flags |= int(bool(mask.any())) << bit
    allowed = np.flatnonzero(opened & keep)
    banned = np.flatnonzero(opened & ~keep)
    gain = big * priority + f.fit[r] - high
    works = gain >= big if strict else gain > 0

    def ok(value: IntArray) -> BoolArray:
        return value >= big if strict else value > 0

    mentee = enc.problem.mentees[row]
    nearest, distance, chord2 = -1, math.inf, 0.0
    if mentee.travel_limit is not None and mentee.location is not None and enc.travel_hard:
        base = lang & g_mentee & g_mentor & mentor_reach & keep & f.both[r] & works
        beyond = np.flatnonzero(base & ~reach)
        if beyond.size:
            d = great_circle_from_chord2(f.chord2[r, beyond], enc.problem.distance_unit)
            at = int(np.argmin(d))
            nearest, distance = int(beyond[at]), float(d[at])
            chord2 = float(f.chord2[r, nearest])
    genders = 0
    try_bits = _try_genders(enc, row)
    gender_pts = round(enc.problem.weights.gender * POINTS_PER_UNIT)
    for g_at, g in enumerate(enc.vocab["gender"]):
        if (try_bits >> g_at) & 1:
            of_g = _mentors_of_gender(enc, g)
            if (lang & of_g & g_mentor & reach & mentor_reach & keep & ok(gain + gender_pts)).any():
                genders |= 1 << g_at
    language_change = bool(enc.needs_language[row]) and bool(
        (g_mentee & g_mentor & reach & mentor_reach & keep & ok(gain - f.lang_pts[r]) & ~lang).any()
    )
    full_fit = np.flatnonzero(opened & keep & full)
    extra = int(full_fit[np.argmax(f.fit[r, full_fit])]) if full_fit.size else -1
    return _Facts(
        flags=flags,
        language_change=language_change,
        genders=genders,
        allowed=int(allowed.size),
        free=int(np.count_nonzero(~full[allowed])),
        banned=int(banned.size),
        shown_allowed=allowed[:k].tolist(),
        shown_banned=banned[:k].tolist(),
        nearest=nearest,
        nearest_distance=distance,
        nearest_chord2=chord2,
        extra=extra,
    )


def _names_of(enc: Encoding, shown: list[int], count: int) -> str:
    mentors = enc.problem.mentors
    text = ", ".join(mentors[j].id for j in shown[:5])
    return text + (f" and {count - 5} more" if count > 5 else "")


def _reason(enc: Encoding, row: int, f: _Facts, strict: bool) -> str:
    """The first hard constraint, in the order a coordinator thinks of them, that leaves no one."""
    problem = enc.problem
    mentee, unit = problem.mentees[row], problem.distance_unit
    who = "mentor"
    if enc.needs_language[row]:
        who += f" who speaks {describe_list(mentee.languages)}"
    if not f.flags & 1:
        return f"no {who}"
    pref = mentee.gender_preference if problem.hard.gender_preference else None
    if not f.flags & 2:
        return f"no {who} has the gender the mentee asked for ({describe_list(pref or ())})"
    if not f.flags & 4:
        return f"every {who} of the gender the mentee asked for wants a mentee of another gender"
    if pref is not None:
        who = f"{describe_list(pref)} {who}"
    if not f.flags & 16:
        if mentee.travel_limit is not None and mentee.location is not None:
            if f.flags & 8:
                return (
                    f"every {who} within {mentee.travel_limit:g} {unit} has a shorter travel "
                    "limit of their own"
                )
            return f"no {who} lives within {mentee.travel_limit:g} {unit}"
        if mentee.location is None:
            return f"the mentee has no location and every {who} has a travel limit"
        return f"every {who} has a travel limit that does not reach the mentee"
    if not f.allowed:
        return (
            f"the only {_people(f.banned)} who fit ({_names_of(enc, f.shown_banned, f.banned)}) "
            "must not be paired with this mentee (must-not-pair list or an earlier match)"
        )
    if not f.free:
        names = _names_of(enc, f.shown_allowed, f.allowed)
        who_fit = (
            f"the only mentor who fits ({names}) is full"
            if f.allowed == 1
            else f"all {f.allowed} mentors who fit ({names}) are full"
        )
        return f"{who_fit}, and giving this mentee a place would leave another mentee unmatched" + (
            " or matched worse" if strict else ""
        )
    # Only reachable when fairness is on: free places exist but only through weaker pairs.
    return "the mentors with free places who fit would lower the fairest worst-pair fit"


def _explain_one(enc: Encoding, row: int, f: _Facts, strict: bool) -> UnmatchedMentee:
    problem = enc.problem
    mentee = problem.mentees[row]
    mentors = problem.mentors
    unit = problem.distance_unit
    changes: list[Change] = []
    if f.nearest >= 0:
        near = mentors[f.nearest]
        limit = math.ceil(f.nearest_distance * (1 + 1e-9))
        if chord2_of_distance(limit, unit) < f.nearest_chord2:
            limit += 1
        changes.append(
            Change(
                "travel_limit",
                f"raise the travel limit from {mentee.travel_limit:g} to {limit} {unit} "
                f"(mentor {near.id} is {f.nearest_distance:.1f} {unit} away)",
                mentor=near.id,
                value=limit,
            )
        )
    for k, g in enumerate(enc.vocab["gender"]):
        if (f.genders >> k) & 1:
            changes.append(Change("gender_preference", f"also accept a {g} mentor", value=g))
    if f.language_change:
        changes.append(
            Change(
                "shared_language",
                f"accept a mentor who does not speak {describe_list(mentee.languages)} "
                "(for example with an interpreter)",
            )
        )
    if f.extra >= 0:
        cap = mentors[f.extra].capacity
        changes.append(
            Change(
                "extra_place",
                f"give mentor {mentors[f.extra].id} one more place ({cap + 1} instead of {cap}) "
                "and lock this pair: everyone matched now can stay matched",
                mentor=mentors[f.extra].id,
                value=cap + 1,
            )
        )
    return UnmatchedMentee(mentee.id, (_reason(enc, row, f, strict),), tuple(changes))
