"""People and input checking shared by the rotation (P2) and groups (P3) problems.

The JSON vocabulary is the one P1 uses, so the app maps a Person once. Every refusal is a
``ProblemError`` naming the item and what is wrong with it; nothing here raises anything else for
bad input.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matchengine.errors import ProblemError

SET_FIELDS = ("languages", "culture", "work_types", "experience", "background")
SCALAR_FIELDS = ("gender", "personality", "learning_style")
PERSON_FIELDS = frozenset(
    {"id", "hours", "location", "probation", "attributes", "name", *SET_FIELDS, *SCALAR_FIELDS}
)
# Fields P1 uses that are harmless here: accepted so one Person record serves every problem.
TOLERATED_FIELDS = frozenset(
    {"gender_preference", "capacity", "needs", "max_distance_km", "waited_days", "role"}
)
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
Scalar = str | int | float | bool


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Person:
    """One member. ``hours`` is the set of weekly hour slots (day * 24 + hour) they work."""

    id: str
    languages: tuple[str, ...] = ()
    culture: tuple[str, ...] = ()
    work_types: tuple[str, ...] = ()
    experience: tuple[str, ...] = ()
    background: tuple[str, ...] = ()
    gender: str | None = None
    personality: str | None = None
    learning_style: str | None = None
    location: Location | None = None
    hours: frozenset[int] = frozenset()
    probation: bool = False
    attributes: tuple[tuple[str, Scalar], ...] = ()

    def set_field(self, name: str) -> tuple[str, ...]:
        value: tuple[str, ...] = getattr(self, name)
        return value

    def scalar_field(self, name: str) -> str | None:
        value: str | None = getattr(self, name)
        return value

    def attribute(self, name: str) -> Scalar | None:
        for key, value in self.attributes:
            if key == name:
                return value
        return None


def is_number(value: object) -> bool:
    """True for int/float that are finite; bool is not a number here."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return math.isfinite(value)


def require_mapping(value: object, item: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ProblemError(item, f"must be an object, got {type(value).__name__}")
    return value


def require_list(value: object, item: str) -> Sequence[Any]:
    if not isinstance(value, list | tuple):
        raise ProblemError(item, f"must be a list, got {type(value).__name__}")
    return value


def require_keys(data: Mapping[str, Any], allowed: frozenset[str], item: str) -> None:
    if allowed.issuperset(data):
        return
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise ProblemError(
            f"{item}.{unknown[0]}",
            f"unknown field; expected one of: {', '.join(sorted(allowed))}",
        )


def number(value: object, item: str, *, minimum: float | None = None) -> float:
    if not is_number(value):
        raise ProblemError(item, f"must be a number, got {value!r}")
    result = float(value)  # type: ignore[arg-type]
    if minimum is not None and result < minimum:
        raise ProblemError(item, f"must be at least {minimum:g}, got {result:g}")
    return result


def integer(value: object, item: str, *, minimum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(item, f"must be a whole number, got {value!r}")
    if minimum is not None and value < minimum:
        raise ProblemError(item, f"must be at least {minimum}, got {value}")
    return value


def _strings(value: object, who: str, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if type(value) is list and all(type(x) is str and x and x == x.strip() for x in value):
        return tuple(sorted(set(value)))  # the common case, already clean
    item = f"{who}.{name}"
    items = require_list(value, item)
    out = []
    for k, entry in enumerate(items):
        if not isinstance(entry, str) or not entry.strip():
            raise ProblemError(f"{item}[{k}]", f"must be a non-empty string, got {entry!r}")
        out.append(entry.strip())
    return tuple(sorted(set(out)))


def _optional_string(value: object, who: str, name: str) -> str | None:
    if value is None:
        return None
    if type(value) is str and value and value == value.strip():
        return value
    item = f"{who}.{name}"
    if not isinstance(value, str) or not value.strip():
        raise ProblemError(item, f"must be a non-empty string or null, got {value!r}")
    return value.strip()


@functools.lru_cache(maxsize=65536)
def _clean_hours(intervals: tuple[tuple[int, int, int], ...]) -> frozenset[int] | None:
    """Slots of well-formed intervals (the common case, shared by many people); None if any
    interval is out of range, so the caller can name it."""
    slots: set[int] = set()
    for day, start, end in intervals:
        if not (0 <= day <= 6 and 0 <= start < end <= 24):
            return None
        slots.update(range(day * 24 + start, day * 24 + end))
    return frozenset(slots)


def _hours(value: object, who: str) -> frozenset[int]:
    if value is None:
        return frozenset()
    if type(value) is list and all(
        type(x) is list
        and len(x) == 3
        and type(x[0]) is int
        and type(x[1]) is int
        and type(x[2]) is int
        for x in value
    ):
        found = _clean_hours(tuple((x[0], x[1], x[2]) for x in value))
        if found is not None:
            return found
    item = f"{who}.hours"
    slots: set[int] = set()
    for k, interval in enumerate(require_list(value, item)):
        if type(interval) is list and len(interval) == 3 and all(type(p) is int for p in interval):
            day, start, end = interval
            if 0 <= day <= 6 and 0 <= start < end <= 24:
                slots.update(range(day * 24 + start, day * 24 + end))
                continue
        else:
            where = f"{item}[{k}]"
            parts = require_list(interval, where)
            if len(parts) != 3 or not all(is_number(p) and float(p).is_integer() for p in parts):
                raise ProblemError(where, "must be [day 0-6, start hour 0-23, end hour 1-24]")
            day, start, end = (int(p) for p in parts)
        if not 0 <= day <= 6:
            raise ProblemError(f"{item}[{k}]", f"day must be 0 (Monday) to 6 (Sunday), got {day}")
        if not 0 <= start < end <= 24:
            raise ProblemError(
                f"{item}[{k}]", f"hours must satisfy 0 <= start < end <= 24, got {start}-{end}"
            )
        slots.update(range(day * 24 + start, day * 24 + end))
    return frozenset(slots)


def _location(value: object, item: str) -> Location | None:
    if value is None:
        return None
    data = require_mapping(value, item)
    require_keys(data, frozenset({"lat", "lon"}), item)
    lat = number(data.get("lat"), f"{item}.lat")
    lon = number(data.get("lon"), f"{item}.lon")
    if not -90 <= lat <= 90 or not -180 <= lon <= 180:
        raise ProblemError(item, f"latitude/longitude out of range: {lat}, {lon}")
    return Location(lat, lon)


def _attributes(value: object, item: str) -> tuple[tuple[str, Scalar], ...]:
    if value is None:
        return ()
    data = require_mapping(value, item)
    out: list[tuple[str, Scalar]] = []
    for key in sorted(data):
        entry = data[key]
        if entry is None:
            continue
        if isinstance(entry, str):
            if not entry.strip():
                raise ProblemError(f"{item}.{key}", "must not be an empty string")
            out.append((str(key), entry.strip()))
        elif isinstance(entry, bool) or is_number(entry):
            out.append((str(key), entry))
        else:
            raise ProblemError(
                f"{item}.{key}", f"must be a string, number or true/false, got {entry!r}"
            )
    return tuple(out)


def parse_person(data: object, item: str) -> Person:
    record = require_mapping(data, item)
    require_keys(record, PERSON_FIELDS | TOLERATED_FIELDS, item)
    raw_id = record.get("id")
    if not isinstance(raw_id, str) or not raw_id.strip():
        raise ProblemError(f"{item}.id", f"must be a non-empty string, got {raw_id!r}")
    who = f"member {raw_id}"
    probation = record.get("probation", False)
    if not isinstance(probation, bool):
        raise ProblemError(f"{who}.probation", f"must be true or false, got {probation!r}")
    get = record.get
    return Person(
        id=raw_id,
        languages=_strings(get("languages"), who, "languages"),
        culture=_strings(get("culture"), who, "culture"),
        work_types=_strings(get("work_types"), who, "work_types"),
        experience=_strings(get("experience"), who, "experience"),
        background=_strings(get("background"), who, "background"),
        gender=_optional_string(get("gender"), who, "gender"),
        personality=_optional_string(get("personality"), who, "personality"),
        learning_style=_optional_string(get("learning_style"), who, "learning_style"),
        location=_location(get("location"), f"{who}.location") if "location" in record else None,
        hours=_hours(get("hours"), who),
        probation=probation,
        attributes=_attributes(get("attributes"), f"{who}.attributes")
        if "attributes" in record
        else (),
    )


def parse_members(value: object, item: str = "members") -> tuple[Person, ...]:
    """Parse and sort by id, so the same people in any order give the same answer."""
    people = [
        parse_person(entry, f"{item}[{k}]") for k, entry in enumerate(require_list(value, item))
    ]
    seen: set[str] = set()
    for person in people:
        if person.id in seen:
            raise ProblemError(f"member {person.id}", "duplicate id: every member needs its own id")
        seen.add(person.id)
    return tuple(sorted(people, key=lambda p: p.id))


def member_ids(
    raw: object, item: str, known: Mapping[str, int], size: int | None = None
) -> list[int]:
    """Resolve a list of member ids to indices, refusing unknown or repeated ids."""
    entries = require_list(raw, item)
    if size is not None and len(entries) != size:
        raise ProblemError(item, f"must list exactly {size} member ids, got {len(entries)}")
    out = []
    for entry in entries:
        if not isinstance(entry, str) or entry not in known:
            raise ProblemError(item, f"unknown member {entry!r}: list only members of this problem")
        out.append(known[entry])
    if len(set(out)) != len(out):
        raise ProblemError(item, "names the same member twice")
    return out


@functools.lru_cache(maxsize=65536)
def describe_hours(slots: frozenset[int]) -> str:
    """'Mon-Fri 9-17' style summary of a set of weekly hour slots."""
    if not slots:
        return "no hours given"
    by_day: dict[int, list[int]] = {}
    for slot in sorted(slots):
        by_day.setdefault(slot // 24, []).append(slot % 24)
    spans: dict[str, list[int]] = {}
    for day, hours in by_day.items():
        runs, start, prev = [], hours[0], hours[0]
        for h in hours[1:]:
            if h != prev + 1:
                runs.append(f"{start}-{prev + 1}")
                start = h
            prev = h
        runs.append(f"{start}-{prev + 1}")
        spans.setdefault(",".join(runs), []).append(day)
    parts = []
    for label, days in spans.items():
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            parts.append(f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]} {label}")
        else:
            parts.append(f"{'/'.join(DAY_NAMES[d] for d in days)} {label}")
    return "; ".join(parts)
