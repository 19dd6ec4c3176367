"""From a mutual peer scheme to the engine's rotation problem, and back to people.

Everything is read in a fixed handful of queries, whatever the scheme's size (20,000 members
included): the members, their sensitive attributes when a criterion needs them, open
allegations, every earlier peer pair and every must-not-pair. History comes from the scheme's
relationships rather than from earlier rounds, so pairs imported from a spreadsheet or made by
hand count as well as the ones PeerCircle published.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from matchengine.errors import ProblemError
from matchengine.rotation import RotationProblem, parse_rotation_problem
from peercircle.people.models import Membership, Person, SensitiveProfile
from peercircle.relationships.allegations.models import Allegation, AllegationStatus
from peercircle.relationships.choices import Kind
from peercircle.relationships.models import PairExclusion, Participant
from peercircle.schemes.choices import Role, SchemeType, Status
from peercircle.schemes.criteria import HARD, OFF, describe
from peercircle.schemes.models import Scheme

KM_PER_MILE = 1.609344
# Must-not-pair goes to the engine as the most recent "round": the engine then avoids it like
# an earlier pair and, if nothing else is possible, uses it only after every real repeat.
EXCLUSION_ROUND = "9999-12-31"
ODD_RULES = ("trio", "one_way")


class RotationRefused(ValidationError):
    """The scheme cannot have a rotation round now; the message says why and what to do."""


@dataclass(frozen=True)
class Member:
    pk: int
    name: str
    probation: bool


@dataclass
class Built:
    problem: RotationProblem
    members: dict[int, Member]
    # Members left out before the engine runs (person id -> plain-words reason).
    left_out: dict[int, str]
    exclusions: dict[tuple[int, int], str]
    weights: dict[str, float]
    criteria_words: list[str]
    notes: list[str] = field(default_factory=list)


def check_rotation_scheme(scheme: Scheme) -> None:
    if scheme.scheme_type != SchemeType.ROTATION:
        raise RotationRefused(
            f"{scheme.name} is a {scheme.get_scheme_type_display().lower()} scheme. Rotations "
            "are for mutual peer schemes, where every member is paired with another peer."
        )
    if not scheme.is_active:
        raise RotationRefused(f"{scheme.name} is closed: open it again to rotate its pairs.")


def active_peers(scheme: Scheme) -> Any:
    """The ids of the scheme's active peers, as a subquery."""
    return Membership.objects.filter(scheme=scheme, role=Role.PEER, status=Status.ACTIVE).values(
        "person_id"
    )


def count_active_peers(scheme: Scheme) -> int:
    return Membership.objects.filter(scheme=scheme, role=Role.PEER, status=Status.ACTIVE).count()


def check_enough_members(scheme: Scheme, count: int) -> None:
    if count == 0:
        raise RotationRefused(
            f"{scheme.name} has no active peers, so there is nobody to pair. Add people to the "
            "scheme as peers with the status active, then preview again."
        )
    if count == 1:
        raise RotationRefused(
            f"{scheme.name} has only one active peer, and a rotation needs at least two. Add "
            "another active peer, then preview again."
        )


def _strings(value: object) -> list[str]:
    if not isinstance(value, list):
        return []
    return sorted({x.strip() for x in value if isinstance(x, str) and x.strip()})


def _text(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _hours(value: object) -> list[list[int]]:
    """Only well-formed intervals: one mistyped row must not stop the whole rotation."""
    if not isinstance(value, list):
        return []
    out = []
    for interval in value:
        if (
            isinstance(interval, list | tuple)
            and len(interval) == 3
            and all(type(x) is int for x in interval)
            and 0 <= interval[0] <= 6
            and 0 <= interval[1] < interval[2] <= 24
        ):
            out.append([interval[0], interval[1], interval[2]])
    return out


def weights_for(scheme: Scheme) -> tuple[dict[str, float], list[str], list[str]]:
    """Engine weights from the scheme's criteria, the criteria in words, and notes."""
    weights: dict[str, float] = {}
    words: list[str] = []
    notes: list[str] = []
    hard = False
    unit = scheme.organisation.distance_unit
    for key, setting in scheme.criteria().items():
        mode = setting.get("mode", OFF)
        weight = float(setting.get("weight") or 0)
        if mode == OFF or weight <= 0:
            continue
        hard = hard or mode == HARD
        words.append(describe(key, setting, unit))
        if key == "language":
            weights["languages"] = weight
        elif key == "work_type":
            weights["work_types"] = weight
        elif key == "distance":
            weights["location"] = weight
        elif key == "personality":
            weights["personality"] = weight
            weights["learning_style"] = weight
        elif key in ("hours", "culture", "gender", "experience", "background"):
            weights[key] = weight
    if hard:
        notes.append(
            "In a rotation everybody gets a peer, so rules set to \u201cmust\u201d count as "
            "strong preferences with their weight."
        )
    if not weights:
        weights = {"hours": 1.0}
        notes.append(
            "No matching criterion has a weight, so pairs are chosen on similar working hours."
        )
    return weights, words, notes


def _location_limit_km(scheme: Scheme) -> float:
    limit = scheme.criteria().get("distance", {}).get("limit")
    if not isinstance(limit, int | float) or isinstance(limit, bool) or limit <= 0:
        return 50.0
    if scheme.organisation.distance_unit == "mi":
        return float(limit) * KM_PER_MILE
    return float(limit)


def _history(scheme: Scheme, member_ids: set[int]) -> dict[str, list[list[str]]]:
    """Earlier pairs among today's members, grouped by the day they started (a round)."""
    people: dict[int, list[int]] = defaultdict(list)
    started: dict[int, date] = {}
    rows = Participant.objects.filter(
        relationship__scheme=scheme,
        relationship__kind__in=(Kind.PEER_PAIR, Kind.SUPPORT),
        relationship__started_on__isnull=False,
    ).values_list("relationship_id", "relationship__started_on", "person_id")
    for relationship_id, started_on, person_id in rows.iterator(chunk_size=5000):
        people[relationship_id].append(person_id)
        if started_on is not None:
            started[relationship_id] = started_on
    rounds: dict[str, list[list[str]]] = defaultdict(list)
    for relationship_id, pair in people.items():
        if (
            len(pair) != 2
            or relationship_id not in started
            or not all(p in member_ids for p in pair)
        ):
            continue
        rounds[started[relationship_id].isoformat()].append([str(pair[0]), str(pair[1])])
    return rounds


def _exclusions(scheme: Scheme, member_ids: set[int]) -> dict[tuple[int, int], str]:
    return {
        (low, high): reason
        for low, high, reason in PairExclusion.objects.filter(scheme=scheme).values_list(
            "person_low_id", "person_high_id", "reason"
        )
        if low in member_ids and high in member_ids
    }


def build_problem(scheme: Scheme, *, odd_member: str = "trio", on: date | None = None) -> Built:
    """The rotation problem for ``scheme``'s next round, starting ``on`` (for probation ends)."""
    check_rotation_scheme(scheme)
    if odd_member not in ODD_RULES:
        raise RotationRefused("Choose what happens to an odd member out: a trio or one-way.")
    weights, words, notes = weights_for(scheme)
    fields = ["pk", "given_name", "family_name", "on_probation", "probation_ends"]
    if "hours" in weights:
        fields.append("working_hours")
    for name in ("languages", "work_types", "experience", "background"):
        if name in weights:
            fields.append(name)
    if "personality" in weights:
        fields += ["personality", "learning_style"]
    if "location" in weights:
        fields += ["latitude", "longitude"]
    rows = list(Person.objects.filter(pk__in=active_peers(scheme)).order_by("pk").values(*fields))
    check_enough_members(scheme, len(rows))
    sensitive: dict[int, dict[str, Any]] = {}
    if "culture" in weights or "gender" in weights:
        sensitive = {
            row["person_id"]: dict(row)
            for row in SensitiveProfile.objects.filter(person_id__in=active_peers(scheme)).values(
                "person_id", "gender", "culture"
            )
        }
    paused = set(
        Allegation.objects.filter(
            subject_id__in=active_peers(scheme), status=AllegationStatus.OPEN
        ).values_list("subject_id", flat=True)
    )
    left_out = {
        pk: "their relationships are paused while an allegation is looked into, so they are "
        "left out of this round"
        for pk in paused
    }
    members: dict[int, Member] = {}
    engine_members: list[dict[str, Any]] = []
    for row in rows:
        pk = row["pk"]
        probation = bool(row["on_probation"]) and not (
            on is not None and row["probation_ends"] is not None and row["probation_ends"] <= on
        )
        name = f"{row['given_name']} {row['family_name']}".strip()
        if pk in paused:
            continue
        members[pk] = Member(pk, name, probation)
        entry: dict[str, Any] = {"id": str(pk), "probation": probation}
        if "hours" in weights:
            entry["hours"] = _hours(row["working_hours"])
        for name_ in ("languages", "work_types", "experience", "background"):
            if name_ in weights:
                entry[name_] = _strings(row[name_])
        if "personality" in weights:
            entry["personality"] = _text(row["personality"])
            entry["learning_style"] = _text(row["learning_style"])
        if "location" in weights and row["latitude"] is not None and row["longitude"] is not None:
            entry["location"] = {"lat": row["latitude"], "lon": row["longitude"]}
        if "culture" in weights:
            entry["culture"] = _strings(sensitive.get(pk, {}).get("culture"))
        if "gender" in weights:
            entry["gender"] = _text(sensitive.get(pk, {}).get("gender"))
        engine_members.append(entry)
    if len(members) < 2:
        raise RotationRefused(
            f"Only {len(members)} of the {len(rows)} active peers of {scheme.name} can take "
            "part now (the others' relationships are paused), and a rotation needs at least "
            "two."
        )
    ids = set(members)
    history = _history(scheme, ids)
    exclusions = _exclusions(scheme, ids)
    if exclusions:
        history[EXCLUSION_ROUND] = [[str(a), str(b)] for a, b in exclusions]
    data = {
        "problem": "rotation",
        "members": engine_members,
        "weights": weights,
        "history": [{"round": label, "pairs": pairs} for label, pairs in sorted(history.items())],
        "options": {"odd_member": odd_member, "location_limit_km": _location_limit_km(scheme)},
    }
    try:
        problem = parse_rotation_problem(data)
    except ProblemError as exc:  # pragma: no cover - the data above is cleaned first
        raise RotationRefused(f"The members' details could not be used: {exc}.") from exc
    return Built(
        problem=problem,
        members=members,
        left_out=left_out,
        exclusions=exclusions,
        weights=weights,
        criteria_words=words,
        notes=notes,
    )


def name_of(members: Mapping[int, Member], person_id: str | int) -> str:
    member = members.get(int(person_id))
    return member.name if member is not None else "someone"


def pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def round_label(label: str) -> str:
    """An engine round label (an ISO start date) in words."""
    try:
        day = date.fromisoformat(label)
    except ValueError:
        return f"round {label}"
    return f"the round that started on {day.day} {day:%B %Y}"
