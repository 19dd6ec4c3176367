"""Reads for rotation pages: fixed query counts, whatever the size of the scheme."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Q, QuerySet

from peercircle.people.models import Person
from peercircle.relationships.choices import Kind, Side
from peercircle.relationships.models import Relationship
from peercircle.relationships.selectors import participants_prefetch
from peercircle.rotations.models import OPEN, PairKind, RotationRound, RoundPair
from peercircle.schemes.models import Scheme

# Lists of people shown in full on the round page before "and N more".
SHORT_LIST = 200


def scheme_rounds(scheme: Scheme) -> QuerySet[RotationRound]:
    return (
        RotationRound.objects.filter(scheme=scheme)
        .select_related("scheme", "approved_by")
        .order_by("-number", "-id")
    )


def open_round(scheme: Scheme) -> RotationRound | None:
    return RotationRound.objects.filter(scheme=scheme, status__in=OPEN).first()


def round_pairs(rotation_round: RotationRound, kind: str = "") -> QuerySet[RoundPair]:
    pairs = RoundPair.objects.filter(round=rotation_round)
    if kind == "repeats":
        pairs = pairs.filter(is_repeat=True)
    elif kind in PairKind.values:
        pairs = pairs.filter(kind=kind)
    return pairs.select_related("person_a", "person_b").order_by("kind", "id")


def round_counts(rotation_round: RotationRound) -> dict[str, int]:
    """Links of each kind, repeats and must-not-pair conflicts, in one query."""
    return RoundPair.objects.filter(round=rotation_round).aggregate(
        **{kind: Count("id", filter=Q(kind=kind)) for kind in PairKind.values},
        repeats=Count("id", filter=Q(is_repeat=True)),
        conflicts=Count("id", filter=Q(breaks_exclusion=True)),
    )


@dataclass(frozen=True)
class LeftOut:
    person: Person | None
    reason: str


def left_out(rotation_round: RotationRound) -> tuple[list[LeftOut], int]:
    """The first people the round leaves without a peer, with why, and how many in all."""
    rows: list[dict[str, Any]] = rotation_round.summary.get("unpaired", [])
    shown = rows[:SHORT_LIST]
    people = Person.objects.in_bulk([int(r["person"]) for r in shown])
    return [LeftOut(people.get(int(r["person"])), str(r["reason"])) for r in shown], len(rows)


def odd_member(rotation_round: RotationRound) -> Person | None:
    pk = rotation_round.summary.get("odd_member")
    return Person.objects.filter(pk=pk).first() if pk is not None else None


@dataclass(frozen=True)
class HistoryEntry:
    relationship: Relationship
    round_number: int | None
    others: list[Person]
    role: str  # the person's part, in words


def person_history(scheme: Scheme, person: Person) -> list[HistoryEntry]:
    """Every peer relationship of ``person`` in ``scheme``, newest first, with the round that
    made it (none for pairs imported or made by hand). Three queries."""
    found = list(
        Relationship.objects.filter(
            scheme=scheme,
            kind__in=(Kind.PEER_PAIR, Kind.SUPPORT),
            participants__person=person,
        )
        .prefetch_related(participants_prefetch())
        .order_by("-started_on", "-id")
    )
    rounds = dict(
        RoundPair.objects.filter(relationship__in=[r.pk for r in found]).values_list(
            "relationship_id", "round__number"
        )
    )
    entries = []
    for relationship in found:
        participants = list(relationship.participants.all())
        mine = next((p for p in participants if p.person_id == person.pk), None)
        side = mine.side if mine is not None else ""
        role = {
            Side.PEER: "mutual peers",
            Side.SUPPORTER: "supports one way",
            Side.SUPPORTED: "supported one way by",
        }.get(Side(side) if side else Side.PEER, "")
        entries.append(
            HistoryEntry(
                relationship=relationship,
                round_number=rounds.get(relationship.pk),
                others=[p.person for p in participants if p.person_id != person.pk],
                role=role,
            )
        )
    return entries


def next_rotation_date(scheme: Scheme, today: date) -> date:
    """The scheme's next rotation: its rotation period after the latest published round."""
    from peercircle.relationships.services import months_after

    latest = (
        RotationRound.objects.filter(scheme=scheme, status="published", rotation_date__isnull=False)
        .order_by("-rotation_date")
        .values_list("rotation_date", flat=True)
        .first()
    )
    if latest is None:
        return today
    return max(today, months_after(latest, scheme.rotation_months))
