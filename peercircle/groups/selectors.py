"""Reads for the group pages, each a fixed number of queries whatever the size of the scheme."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.formats import date_format

from peercircle.groups.adapter import (
    BY_KEY,
    NOT_GIVEN,
    candidate_memberships,
    group_role_memberships,
)
from peercircle.groups.balance import gap_percent
from peercircle.groups.choices import WEIGHTS, GroupStatus, Scope
from peercircle.groups.models import FormationGroup, GroupFormation, GroupMembership, PeerGroup
from peercircle.people.models import Person
from peercircle.schemes.models import Scheme


def scheme_groups(scheme: Scheme) -> QuerySet[PeerGroup]:
    return (
        PeerGroup.objects.filter(scheme=scheme, status=GroupStatus.ACTIVE)
        .annotate(size=Count("memberships", filter=Q(memberships__left_at=None)))
        .order_by("name", "pk")
    )


def scheme_formations(scheme: Scheme) -> QuerySet[GroupFormation]:
    return (
        GroupFormation.objects.filter(scheme=scheme)
        .select_related("created_by")
        .defer("problem")
        .order_by("-created_at", "-pk")
    )


@dataclass(frozen=True)
class Headcount:
    taking_part: int
    waiting: int


def headcount(scheme: Scheme) -> Headcount:
    return Headcount(
        taking_part=group_role_memberships(scheme).values("person_id").distinct().count(),
        waiting=candidate_memberships(scheme, Scope.WAITING).values("person_id").distinct().count(),
    )


def group_members(group: PeerGroup) -> QuerySet[GroupMembership]:
    return (
        GroupMembership.objects.filter(group=group, left_at=None)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "person__pk")
    )


def names_for(ids: Iterable[str]) -> dict[str, str]:
    rows = Person.objects.filter(pk__in=[int(i) for i in ids]).values_list(
        "pk", "given_name", "family_name"
    )
    return {str(pk): f"{given} {family}".strip() for pk, given, family in rows}


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def attribute_words(key: str, data: dict[str, Any]) -> str:
    """One attribute of one group in plain words: "Town or area: Leeds 3 (fair share 2.5), ..."."""
    label = BY_KEY[key].label if key in BY_KEY else key
    if data.get("kind") == "numeric":
        return (
            f"{label}: average {data['mean']:.1f} (whole scheme {data['scheme_mean']:.1f}), "
            f"balance {percent(data['balance'])}"
        )
    shares: dict[str, float] = data.get("fair_share", {})
    counts: dict[str, int] = data.get("counts", {})
    # "Not recorded" last: it is the value the coordinator can least act on.
    ordered = sorted(shares.items(), key=lambda item: (item[0] == NOT_GIVEN, item[0]))
    parts = [
        f"{'not recorded' if value == NOT_GIVEN else value} {counts.get(value, 0)} "
        f"(fair share {share:.1f})"
        for value, share in ordered
        if counts.get(value, 0) or share >= 0.05
    ]
    return f"{label}: " + ", ".join(parts) + f"; balance {percent(data['balance'])}"


@dataclass(frozen=True)
class ProposedGroup:
    row: FormationGroup
    members: list[tuple[str, str]]  # (person id, name) in name order
    attributes: list[str]
    together_before: list[str]


def proposed_groups(
    formation: GroupFormation, rows: Iterable[FormationGroup]
) -> list[ProposedGroup]:
    """One page of proposed groups with names: one query for all their members' names."""
    rows = list(rows)
    names = names_for(m for row in rows for m in row.members)
    out = []
    for row in rows:
        members = sorted(
            ((m, names.get(m, "Someone who has left")) for m in row.members),
            key=lambda pair: (pair[1].split(" ")[-1], pair[1], pair[0]),
        )
        out.append(
            ProposedGroup(
                row=row,
                members=members,
                attributes=[attribute_words(k, v) for k, v in row.report.items()],
                together_before=[
                    f"{names.get(t['a'], t['a'])} and {names.get(t['b'], t['b'])} ({t['round']})"
                    for t in row.together_before
                ],
            )
        )
    return out


def balance_lines(formation: GroupFormation) -> list[str]:
    """What the run balanced, in words: "Role in the scheme (matters)"."""
    words = dict(WEIGHTS)
    balance: dict[str, int] = formation.settings.get("balance", {})
    return [
        f"{BY_KEY[k].label if k in BY_KEY else k} ({words.get(int(w), str(w)).lower()})"
        for k, w in balance.items()
        if w
    ]


def formation_words(formation: GroupFormation) -> list[str]:
    """The whole partition's balance and its distance from the bound, in sentences."""
    summary = formation.summary
    if not summary:
        return []
    balance = float(summary.get("balance", 0.0))
    bound = float(summary.get("upper_bound", 1.0))
    gap = gap_percent(balance, bound)
    sizes = summary.get("group_sizes", [])
    size_words = " or ".join(str(s) for s in sizes)
    lines = [
        f"{summary.get('members', formation.member_count)} people in {summary.get('groups', 0)} "
        f"groups of {size_words}.",
        f"Overall balance {percent(balance)}: 100% would mean every group mirrors the whole "
        "scheme on what you chose to balance.",
    ]
    if gap < 0.05:
        lines.append(
            f"No split of these people into groups of these sizes can do better (the best "
            f"possible is at most {percent(bound)})."
        )
    else:
        lines.append(
            f"No split can do better than {percent(bound)}, so this one is within {gap:.1f}% "
            "of the best possible (the search is not guaranteed to find the very best)."
        )
    by_attribute = summary.get("balance_by_attribute", {})
    if by_attribute:
        lines.append(
            "By what you balanced: "
            + "; ".join(
                f"{BY_KEY[k].label if k in BY_KEY else k} {percent(v)}"
                for k, v in by_attribute.items()
            )
            + "."
        )
    repeats = int(summary.get("repeated_co_members", 0))
    if repeats:
        lines.append(
            f"{repeats} pair(s) of earlier group-mates are together again: no split kept "
            "everyone apart. The groups concerned say who."
        )
    else:
        lines.append("Nobody shares a group with someone they were in a group with before.")
    if summary.get("edited"):
        lines.append("You have moved people since the run; the figures above include your moves.")
    return lines


def edit_lines(formation: GroupFormation) -> list[str]:
    """The moves made by hand, oldest first, in words (one query for the names)."""
    names = names_for({e["person"] for e in formation.edits})
    lines = []
    for edit in formation.edits:
        at = datetime.fromisoformat(edit["at"])
        lines.append(
            f"{date_format(timezone.localtime(at), 'j M Y, H:i')}, {edit['by']}: moved "
            f"{names.get(edit['person'], 'someone who has left')} from group {edit['from']} "
            f"to group {edit['to']}"
        )
    return lines


# People offered in the "add someone" list of a group page; more are found by a new formation.
ADDABLE_LIMIT = 500


def addable_people(group: PeerGroup) -> QuerySet[Person]:
    """People of the group's scheme who could join it by hand: taking part, in no active group."""
    waiting = candidate_memberships(group.scheme, Scope.WAITING).values("person_id")
    return Person.objects.filter(pk__in=waiting).order_by("family_name", "given_name", "pk")[
        :ADDABLE_LIMIT
    ]
