"""From PeerCircle's people to the engine's groups problem (docs/matching-groups.md).

Who is placed: people with a participating membership (approved or active) in one of the
scheme's group roles (peer, mentor, mentee; ``choices.GROUP_ROLES``). With the scope "waiting"
people already in an active group of the scheme are left out; with "everyone" they are placed
again and their current group-mates count as earlier co-members, so the new groups mix people.

Everything is read in a handful of set-based queries, whatever the size of the scheme: the
members, their sensitive profile (only when gender is balanced), the scheme's group history and
its must-not-pair list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from peercircle.groups.choices import GROUP_ROLES, GroupStatus, Scope
from peercircle.groups.models import GroupMembership
from peercircle.people.models import Membership, Person, SensitiveProfile
from peercircle.relationships.models import PairExclusion
from peercircle.schemes.choices import PARTICIPATING, Category, Role
from peercircle.schemes.models import Scheme


@dataclass(frozen=True)
class AttributeSpec:
    key: str
    label: str
    hint: str
    numeric: bool = False
    # Read from the sensitive profile: shown to coordinators as counts, never to members.
    sensitive: bool = False


ATTRIBUTES: tuple[AttributeSpec, ...] = (
    AttributeSpec("role", "Role in the scheme", "Mix peers and peer supporters (mentors)."),
    AttributeSpec("area", "Town or area", "Mix people from different places."),
    AttributeSpec(
        "experience",
        "Years of experience",
        "Give every group about the scheme's average experience.",
        numeric=True,
    ),
    AttributeSpec("category", "Kind of carer or worker", "Mix, say, kinship and respite carers."),
    AttributeSpec("work_type", "Main type of fostering or work", "The first one listed."),
    AttributeSpec("gender", "Gender", "Needs gender on people's personal details.", sensitive=True),
    AttributeSpec("personality", "Personality", ""),
    AttributeSpec("learning_style", "Learning style", ""),
    AttributeSpec("on_probation", "On probation or not", "Spread people on probation out."),
)
BY_KEY = {a.key: a for a in ATTRIBUTES}
# The engine reads these from a member's own fields rather than its ``attributes``.
TOP_LEVEL = frozenset({"gender", "personality", "learning_style"})
NOT_GIVEN = "(not given)"


@dataclass(frozen=True)
class GroupsInput:
    """The engine's problem plus what the app needs around it."""

    problem: dict[str, Any]
    person_ids: tuple[int, ...]
    # Attribute keys that nobody placed has a value for (balancing on them means nothing).
    empty_attributes: tuple[str, ...]


def group_role_memberships(scheme: Scheme) -> QuerySet[Membership]:
    return Membership.objects.filter(scheme=scheme, role__in=GROUP_ROLES, status__in=PARTICIPATING)


def in_active_group(scheme: Scheme) -> QuerySet[GroupMembership]:
    return GroupMembership.objects.filter(
        group__scheme=scheme, group__status=GroupStatus.ACTIVE, left_at=None
    )


def candidate_memberships(scheme: Scheme, scope: str) -> QuerySet[Membership]:
    memberships = group_role_memberships(scheme)
    if scope == Scope.WAITING:
        memberships = memberships.exclude(person_id__in=in_active_group(scheme).values("person_id"))
    return memberships


def _role_label(roles: set[str]) -> str:
    # Someone both peer and mentor is counted as a mentor: that is the scarcer skill to spread.
    for role in (Role.MENTOR, Role.MENTEE, Role.PEER):
        if role in roles:
            return str(Role(role).label)
    return NOT_GIVEN  # pragma: no cover - GROUP_ROLES are all listed above


def _category_label(value: str) -> str | None:
    if not value:
        return None
    try:
        return str(Category(value).label)
    except ValueError:
        return value


def _member(
    person: Mapping[str, Any], roles: set[str], gender: str | None, keys: list[str]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in keys:
        if key == "role":
            values[key] = _role_label(roles)
        elif key == "area":
            values[key] = person["place"].strip() or None
        elif key == "experience":
            values[key] = round(person["active_experience_months"] / 12, 1)
        elif key == "category":
            values[key] = _category_label(person["category"])
        elif key == "work_type":
            work = person["work_types"] or []
            values[key] = str(work[0]) if work else None
        elif key == "gender":
            values[key] = gender or None
        elif key == "personality":
            values[key] = person["personality"] or None
        elif key == "learning_style":
            values[key] = person["learning_style"] or None
        elif key == "on_probation":
            values[key] = "on probation" if person["on_probation"] else "not on probation"
    member: dict[str, Any] = {"id": str(person["pk"])}
    attributes = {}
    for key, value in values.items():
        if value is None:
            continue
        if key in TOP_LEVEL:
            member[key] = value
        else:
            attributes[key] = value
    if attributes:
        member["attributes"] = attributes
    return member


def build_input(
    scheme: Scheme, *, scope: str, balance: dict[str, int], seed: int = 0
) -> GroupsInput:
    """The groups problem for ``scheme``: members, sizes, balance, history and must-not pairs."""
    keys = [k for k, w in balance.items() if w and k in BY_KEY]
    roles: dict[int, set[str]] = defaultdict(set)
    for person_id, role in candidate_memberships(scheme, scope).values_list("person_id", "role"):
        roles[person_id].add(role)
    people = list(
        Person.objects.filter(pk__in=candidate_memberships(scheme, scope).values("person_id"))
        .order_by("pk")
        .values(
            "pk",
            "place",
            "active_experience_months",
            "category",
            "work_types",
            "personality",
            "learning_style",
            "on_probation",
        )
    )
    genders: dict[int, str] = {}
    if "gender" in keys:
        genders = dict(
            SensitiveProfile.objects.filter(
                person_id__in=candidate_memberships(scheme, scope).values("person_id")
            ).values_list("person_id", "gender")
        )
    members = [_member(p, roles[p["pk"]], genders.get(p["pk"]), keys) for p in people]
    placed = {p["pk"] for p in people}
    empty = tuple(
        key
        for key in keys
        if not BY_KEY[key].numeric
        and not any(key in m or key in m.get("attributes", {}) for m in members)
    )
    problem: dict[str, Any] = {
        "problem": "groups",
        "members": members,
        "sizes": {"min": scheme.group_min_size, "max": scheme.group_max_size},
        "balance": {k: balance[k] for k in keys},
        "history": _history(scheme, placed),
        "must_not_group": _must_not(scheme, placed),
        "options": {"seed": seed},
    }
    return GroupsInput(problem, tuple(sorted(placed)), empty)


def _history(scheme: Scheme, placed: set[int]) -> list[dict[str, Any]]:
    """Every earlier (or current) group of the scheme, as one engine round each."""
    groups: dict[int, list[str]] = defaultdict(list)
    labels: dict[int, str] = {}
    rows = (
        GroupMembership.objects.filter(group__scheme=scheme)
        .order_by("group_id", "person_id")
        .values_list("group_id", "person_id", "group__name", "group__formed_at")
    )
    for group_id, person_id, name, formed_at in rows:
        labels[group_id] = f"{name}, formed {date_format(timezone.localtime(formed_at), 'j M Y')}"
        if person_id in placed:
            groups[group_id].append(str(person_id))
    return [
        {"round": labels[g], "groups": [members]}
        for g, members in sorted(groups.items())
        if len(members) > 1
    ]


def _must_not(scheme: Scheme, placed: set[int]) -> list[list[str]]:
    pairs = PairExclusion.objects.filter(scheme=scheme).values_list(
        "person_low_id", "person_high_id"
    )
    return [[str(a), str(b)] for a, b in pairs if a in placed and b in placed]


def member_value(member: dict[str, Any], key: str) -> Any:
    """A member's value for ``key`` in a stored problem (None when not given)."""
    if key in TOP_LEVEL:
        return member.get(key)
    return member.get("attributes", {}).get(key)
