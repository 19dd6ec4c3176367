"""Reading the JSON problem format into the model, refusing anything doubtful.

Every refusal is a ``ProblemError`` naming the item ("mentors[3] (id 'm-17').capacity") and what
is wrong with it. Unknown keys are refused rather than ignored: a misspelt weight silently ignored
would change who gets matched without anyone noticing.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from itertools import pairwise
from operator import attrgetter
from typing import Annotated, Any, TypeVar, cast

import msgspec

from matchengine._gc import gc_paused
from matchengine.errors import ProblemError
from matchengine.model import (
    CRITERIA,
    MAX_WEIGHT,
    DistanceUnit,
    HardRules,
    HourBlock,
    Location,
    MentoringProblem,
    Objective,
    PairRef,
    Person,
    Weights,
)

T = TypeVar("T")

_PERSON_KEYS = {
    "id",
    "languages",
    "culture",
    "gender",
    "gender_preference",
    "work_types",
    "experience",
    "needs",
    "background",
    "location",
    "travel_limit",
    "hours",
    "personality",
    "learning_style",
    "probation",
}
_MENTEE_KEYS = _PERSON_KEYS | {"waiting_days"}
_MENTOR_KEYS = _PERSON_KEYS | {"capacity"}
_TOP_KEYS = {
    "problem",
    "distance_unit",
    "distance_scale",
    "hard",
    "weights",
    "objective",
    "compatible_personalities",
    "mentees",
    "mentors",
    "must_not_pair",
    "history",
    "locked",
}
_HISTORY_OUTCOMES = {"ended", "failed"}


def _obj(value: object, item: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProblemError(item, f"must be a JSON object, got {_kind(value)}")
    return cast(Mapping[str, Any], value)


def _list(value: object, item: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise ProblemError(item, f"must be a JSON list, got {_kind(value)}")
    return value


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list):
        return "a list"
    return "an object"


def _check_keys(data: Mapping[str, Any], allowed: set[str], item: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ProblemError(
            f"{item}.{unknown[0]}",
            f"unknown attribute; expected one of: {', '.join(sorted(allowed))}",
        )


def _number(value: object, item: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProblemError(item, f"must be a number, got {_kind(value)}")
    number = float(value)
    if not math.isfinite(number):
        raise ProblemError(item, "must be a finite number")
    return number


def _int(value: object, item: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise ProblemError(item, f"must be a whole number, got {_kind(value)}")
    return value


def _bool(value: object, item: str) -> bool:
    if not isinstance(value, bool):
        raise ProblemError(item, f"must be true or false, got {_kind(value)}")
    return value


def _text(value: object, item: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(item, f"must be non-empty text, got {_kind(value)}")
    return value


def _optional(value: object, item: str, read: Callable[[object, str], T]) -> T | None:
    return None if value is None else read(value, item)


def _texts(value: object, item: str) -> tuple[str, ...]:
    # Fast path for the common, valid case; the slow path finds and names the bad entry.
    if type(value) is list and all(type(v) is str and v.strip() for v in value):
        return tuple(sorted(set(value)))
    items = [_text(v, f"{item}[{k}]") for k, v in enumerate(_list(value, item))]
    # Order and repeats carry no meaning; sorting makes equal inputs encode identically.
    return tuple(sorted(set(items)))


def _location(value: object, item: str) -> Location:
    if type(value) is dict and len(value) == 2:
        lat, lon = value.get("lat"), value.get("lon")
        if (
            type(lat) is float
            and type(lon) is float
            and -90.0 <= lat <= 90.0
            and -180.0 <= lon <= 180.0
        ):
            return Location(lat, lon)
    data = _obj(value, item)
    _check_keys(data, {"lat", "lon"}, item)
    if "lat" not in data or "lon" not in data:
        raise ProblemError(item, "needs both lat and lon")
    lat = _number(data["lat"], f"{item}.lat")
    lon = _number(data["lon"], f"{item}.lon")
    if not -90.0 <= lat <= 90.0:
        raise ProblemError(f"{item}.lat", f"must be between -90 and 90, got {lat}")
    if not -180.0 <= lon <= 180.0:
        raise ProblemError(f"{item}.lon", f"must be between -180 and 180, got {lon}")
    return Location(lat, lon)


def _valid_hours(value: object) -> bool:
    if type(value) is not list:
        return False
    for triple in value:
        if type(triple) is not list or len(triple) != 3:
            return False
        day, start, end = triple
        if type(day) is not int or type(start) is not int or type(end) is not int:
            return False
        if not (0 <= day <= 6 and 0 <= start < end <= 24):
            return False
    return True


#: Parsed text lists by their content: schemes repeat a few item lists across thousands of
#: people, and the results are immutable.
_TEXTS_SEEN: dict[tuple[str, ...], tuple[str, ...]] = {}
_CACHE_LIMIT = 100_000


def _hours(value: object, item: str) -> tuple[HourBlock, ...]:
    if _valid_hours(value):
        # Checked to be true ints in range, so the fast reader's cache applies.
        triples = tuple(map(tuple, cast(list[list[int]], value)))
        return _fast_hours(cast(tuple[tuple[int, int, int], ...], triples))
    blocks = []
    for k, raw in enumerate(_list(value, item)):
        where = f"{item}[{k}]"
        triple = _list(raw, where)
        if len(triple) != 3:
            raise ProblemError(where, "must be [day 0-6, start hour, end hour]")
        day, start, end = (_int(v, where) for v in triple)
        if not 0 <= day <= 6:
            raise ProblemError(where, f"day must be 0 (Monday) to 6 (Sunday), got {day}")
        if not 0 <= start < end <= 24:
            raise ProblemError(
                where, f"hours must satisfy 0 <= start < end <= 24, got {start}-{end}"
            )
        blocks.append(HourBlock(day, start, end))
    return tuple(sorted(set(blocks), key=lambda b: (b.day, b.start, b.end)))


def _field_texts(data: Mapping[str, Any], field: str, where: str) -> tuple[str, ...]:
    value = data.get(field)
    if value is None and field not in data:
        return ()
    if type(value) is list:
        try:
            key = tuple(value)
            hit = _TEXTS_SEEN.get(key)
        except TypeError:  # an unhashable entry: the slow path names it
            hit = None
        if hit is not None:  # equal entries were valid text before
            return hit
        if all(type(v) is str and v.strip() for v in value):
            hit = tuple(sorted(set(value)))
            if len(_TEXTS_SEEN) < _CACHE_LIMIT:
                _TEXTS_SEEN[key] = hit
            return hit
    return _texts(value, f"{where}.{field}")


def _person(raw: object, item: str, role: str) -> Person:
    data = _obj(raw, item)
    if "id" not in data:
        raise ProblemError(item, "has no id")
    pid = _text(data["id"], f"{item}.id")
    where = f"{role} {pid!r}"
    allowed = _MENTEE_KEYS if role == "mentee" else _MENTOR_KEYS
    if not data.keys() <= allowed:
        _check_keys(data, allowed, where)
    pref = data.get("gender_preference")
    raw_limit = data.get("travel_limit")
    if raw_limit is None or (type(raw_limit) in (int, float) and 0 <= raw_limit < math.inf):
        limit = None if raw_limit is None else float(raw_limit)
    else:
        limit = _optional(raw_limit, f"{where}.travel_limit", _number)
        if limit is not None and limit < 0:
            raise ProblemError(f"{where}.travel_limit", f"must not be negative, got {limit}")
    capacity = _count(data, "capacity", 2, where)
    waiting = _count(data, "waiting_days", 0, where)
    probation = data.get("probation", False)
    if type(probation) is not bool:
        probation = _bool(probation, f"{where}.probation")
    return Person(
        id=pid,
        languages=_field_texts(data, "languages", where),
        culture=_field_texts(data, "culture", where),
        gender=_opt_text(data, "gender", where),
        gender_preference=None if pref is None else _field_texts(data, "gender_preference", where),
        work_types=_field_texts(data, "work_types", where),
        experience=_field_texts(data, "experience", where),
        needs=_field_texts(data, "needs", where),
        background=_field_texts(data, "background", where),
        location=_optional(data.get("location"), f"{where}.location", _location),
        travel_limit=limit,
        hours=_hours(data.get("hours", []), f"{where}.hours"),
        personality=_opt_text(data, "personality", where),
        learning_style=_opt_text(data, "learning_style", where),
        probation=probation,
        capacity=capacity,
        waiting_days=waiting,
    )


def _opt_text(data: Mapping[str, Any], field: str, where: str) -> str | None:
    value = data.get(field)
    if value is None or (type(value) is str and value.strip()):
        return value
    return _text(value, f"{where}.{field}")


def _count(data: Mapping[str, Any], field: str, default: int, where: str) -> int:
    value = data.get(field, default)
    if type(value) is int and value >= 0:
        return value
    number = _int(value, f"{where}.{field}")
    if number < 0:
        raise ProblemError(f"{where}.{field}", f"must not be negative, got {number}")
    return number


# The people lists are most of a problem. They are read twice over if need be: first by
# msgspec, which checks types, ranges and unknown keys in C; anything it refuses, or that the
# checks after it find doubtful, is read again by ``_person``, which names the item and the
# problem (or accepts what msgspec is stricter about, such as a capacity of 2.0). Both readers
# give the same people for the same input (tested).
_Text = Annotated[str, msgspec.Meta(min_length=1)]
_Texts = tuple[_Text, ...]
_Count = Annotated[int, msgspec.Meta(ge=0)]
_Hour = Annotated[int, msgspec.Meta(ge=0, le=24)]
_Day = Annotated[int, msgspec.Meta(ge=0, le=6)]


class _LocationIn(msgspec.Struct, forbid_unknown_fields=True):
    lat: Annotated[float, msgspec.Meta(ge=-90.0, le=90.0)]
    lon: Annotated[float, msgspec.Meta(ge=-180.0, le=180.0)]


class _PersonIn(msgspec.Struct, forbid_unknown_fields=True):
    id: _Text
    languages: _Texts = ()
    culture: _Texts = ()
    gender: _Text | None = None
    gender_preference: _Texts | None = None
    work_types: _Texts = ()
    experience: _Texts = ()
    needs: _Texts = ()
    background: _Texts = ()
    location: _LocationIn | None = None
    travel_limit: Annotated[float, msgspec.Meta(ge=0.0, le=sys.float_info.max)] | None = None
    hours: tuple[tuple[_Day, _Hour, _Hour], ...] = ()
    personality: _Text | None = None
    learning_style: _Text | None = None
    probation: bool = False


class _MenteeIn(_PersonIn, forbid_unknown_fields=True):
    waiting_days: _Count = 0


class _MentorIn(_PersonIn, forbid_unknown_fields=True):
    capacity: _Count = 2


#: Hours already read, by their tuple of (day, start, end), for both readers: each has checked
#: every entry is a true int in range first (``True`` equals 1 as a key), so equal keys mean
#: equal input.
_HOUR_TUPLES_SEEN: dict[tuple[tuple[int, int, int], ...], tuple[HourBlock, ...]] = {}


class _Doubtful(Exception):
    """Something the fast reader leaves to ``_person`` to name."""


def _fast_texts(value: tuple[str, ...]) -> tuple[str, ...]:
    hit = _TEXTS_SEEN.get(value)
    if hit is None:
        if not all(v.strip() for v in value):
            raise _Doubtful
        hit = tuple(sorted(set(value)))
        if len(_TEXTS_SEEN) < _CACHE_LIMIT:
            _TEXTS_SEEN[value] = hit
    return hit


def _fast_hours(value: tuple[tuple[int, int, int], ...]) -> tuple[HourBlock, ...]:
    hit = _HOUR_TUPLES_SEEN.get(value)
    if hit is None:
        if not all(start < end for _, start, end in value):
            raise _Doubtful
        hit = tuple(HourBlock._make(t) for t in sorted(set(value)))
        if len(_HOUR_TUPLES_SEEN) < _CACHE_LIMIT:
            _HOUR_TUPLES_SEEN[value] = hit
    return hit


def _fast_people(value: object, role: str) -> list[Person] | None:
    """The people of a valid list, read by msgspec; None if anything needs a closer look."""
    texts = _TEXTS_SEEN.get
    hours = _HOUR_TUPLES_SEEN.get
    mentee = role == "mentee"
    new = object.__new__
    people = []
    try:
        raw: Sequence[_PersonIn] = (
            msgspec.convert(value, list[_MenteeIn])
            if mentee
            else msgspec.convert(value, list[_MentorIn])
        )
        for p in raw:
            loc = p.location
            pref = p.gender_preference
            if not p.id.strip():
                raise _Doubtful
            for text in (p.gender, p.personality, p.learning_style):
                if text is not None and not text.strip():
                    raise _Doubtful
            person = new(Person)
            # An empty tuple is cached as itself, which is falsy: ``and`` keeps it without a
            # call. Set as unpickling does: a frozen dataclass's __init__ costs five times as much,
            # and every field is given here, already checked.
            person.__dict__.update(
                id=p.id,
                languages=texts(p.languages) or (p.languages and _fast_texts(p.languages)),
                culture=texts(p.culture) or (p.culture and _fast_texts(p.culture)),
                gender=p.gender,
                gender_preference=None
                if pref is None
                else (texts(pref) or (pref and _fast_texts(pref))),
                work_types=texts(p.work_types) or (p.work_types and _fast_texts(p.work_types)),
                experience=texts(p.experience) or (p.experience and _fast_texts(p.experience)),
                needs=texts(p.needs) or (p.needs and _fast_texts(p.needs)),
                background=texts(p.background) or (p.background and _fast_texts(p.background)),
                location=None if loc is None else Location(loc.lat, loc.lon),
                travel_limit=p.travel_limit,
                hours=hours(p.hours) or (p.hours and _fast_hours(p.hours)),
                personality=p.personality,
                learning_style=p.learning_style,
                probation=p.probation,
                capacity=2 if mentee else cast(_MentorIn, p).capacity,
                waiting_days=cast(_MenteeIn, p).waiting_days if mentee else 0,
            )
            people.append(person)
    except (msgspec.ValidationError, _Doubtful):
        return None
    return people


_ID = attrgetter("id")


def _people(value: object, item: str, role: str) -> tuple[Person, ...]:
    people = _fast_people(value, role)
    if people is None:
        people = [_person(raw, f"{item}[{k}]", role) for k, raw in enumerate(_list(value, item))]
    people.sort(key=_ID)
    for before, person in pairwise(people):
        if before.id == person.id:
            raise ProblemError(f"{role} {person.id!r}", f"the id appears more than once in {item}")
    return tuple(people)


def _weights(value: object) -> Weights:
    data = _obj(value, "weights")
    _check_keys(data, set(CRITERIA), "weights")
    values: dict[str, float] = {}
    for name, raw in data.items():
        weight = _number(raw, f"weights.{name}")
        if not 0.0 <= weight <= MAX_WEIGHT:
            raise ProblemError(
                f"weights.{name}", f"must be between 0 and {MAX_WEIGHT:g}, got {weight}"
            )
        values[name] = weight
    return Weights(**values)


def _hard(value: object) -> HardRules:
    data = _obj(value, "hard")
    allowed = {"shared_language", "gender_preference", "travel_limit"}
    _check_keys(data, allowed, "hard")
    return HardRules(**{k: _bool(v, f"hard.{k}") for k, v in data.items()})


def _objective(value: object) -> Objective:
    data = _obj(value, "objective")
    _check_keys(data, {"waiting_days_per_point", "fairness"}, "objective")
    per_point = _optional(
        data.get("waiting_days_per_point"), "objective.waiting_days_per_point", _int
    )
    if per_point is not None and per_point < 1:
        raise ProblemError("objective.waiting_days_per_point", "must be at least 1 or null")
    return Objective(
        waiting_days_per_point=per_point,
        fairness=_bool(data.get("fairness", False), "objective.fairness"),
    )


def _pairs(
    value: object,
    item: str,
    mentees: set[str],
    mentors: set[str],
    extra: set[str] = frozenset(),  # type: ignore[assignment]
) -> tuple[PairRef, ...]:
    pairs = []
    for k, raw in enumerate(_list(value, item)):
        where = f"{item}[{k}]"
        data = _obj(raw, where)
        _check_keys(data, {"mentee", "mentor"} | extra, where)
        if "mentee" not in data or "mentor" not in data:
            raise ProblemError(where, "needs both mentee and mentor")
        mentee = _text(data["mentee"], f"{where}.mentee")
        mentor = _text(data["mentor"], f"{where}.mentor")
        if mentee not in mentees:
            raise ProblemError(f"{where}.mentee", f"no mentee has the id {mentee!r}")
        if mentor not in mentors:
            raise ProblemError(f"{where}.mentor", f"no mentor has the id {mentor!r}")
        note = ""
        if "outcome" in extra:
            if "outcome" not in data:
                raise ProblemError(where, "needs an outcome: ended or failed")
            note = _text(data["outcome"], f"{where}.outcome")
            if note not in _HISTORY_OUTCOMES:
                raise ProblemError(f"{where}.outcome", f"must be ended or failed, got {note!r}")
        pairs.append(PairRef(mentee, mentor, note))
    return tuple(sorted(set(pairs), key=lambda p: (p.mentee, p.mentor, p.note)))


@gc_paused
def parse_mentoring_problem(data: Mapping[str, Any]) -> MentoringProblem:
    """Build a ``MentoringProblem`` from the JSON format in docs/matching.md.

    Raises ``ProblemError`` for anything it cannot use. Hard-constraint checks on locked pairs
    happen in ``solve_mentoring``, which knows the rules.
    """
    data = _obj(data, "problem")
    _check_keys(data, _TOP_KEYS, "problem")
    kind = data.get("problem", "mentoring")
    if kind != "mentoring":
        raise ProblemError("problem", f"expected 'mentoring', got {_kind(kind)}")
    unit = data.get("distance_unit", "mi")
    if unit not in ("mi", "km"):
        raise ProblemError("distance_unit", f"must be 'mi' or 'km', got {_kind(unit)}")
    scale = _number(data.get("distance_scale", 30.0), "distance_scale")
    if scale <= 0:
        raise ProblemError("distance_scale", f"must be more than 0, got {scale}")
    if "mentees" not in data or "mentors" not in data:
        raise ProblemError("problem", "needs a mentees list and a mentors list")
    mentees = _people(data["mentees"], "mentees", "mentee")
    mentors = _people(data["mentors"], "mentors", "mentor")
    mentee_ids = {p.id for p in mentees}
    mentor_ids = {p.id for p in mentors}
    compatible = []
    for k, raw in enumerate(
        _list(data.get("compatible_personalities", []), "compatible_personalities")
    ):
        where = f"compatible_personalities[{k}]"
        pair = _list(raw, where)
        if len(pair) != 2:
            raise ProblemError(where, "must be a pair of personality names")
        a, b = (_text(v, where) for v in pair)
        compatible.append((min(a, b), max(a, b)))
    return MentoringProblem(
        mentees=mentees,
        mentors=mentors,
        weights=_weights(data.get("weights", {})),
        hard=_hard(data.get("hard", {})),
        objective=_objective(data.get("objective", {})),
        distance_unit=cast(DistanceUnit, unit),
        distance_scale=scale,
        compatible_personalities=tuple(sorted(set(compatible))),
        must_not_pair=_pairs(
            data.get("must_not_pair", []), "must_not_pair", mentee_ids, mentor_ids
        ),
        history=_pairs(data.get("history", []), "history", mentee_ids, mentor_ids, {"outcome"}),
        locked=_pairs(data.get("locked", []), "locked", mentee_ids, mentor_ids),
    )
