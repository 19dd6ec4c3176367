"""Reads for a person's own page: a fixed number of queries whatever the person's history."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from peercircle.people.models import Person
from peercircle.records.models import ActionItem
from peercircle.relationships.agreements.models import (
    AgreementAcceptance,
    AgreementVersion,
    ConfidentialityStatement,
)
from peercircle.relationships.choices import Side, Status
from peercircle.relationships.models import Participant, Relationship


@dataclass(frozen=True)
class MyRelationship:
    relationship: Relationship
    side: str
    others: list[Person]

    @property
    def side_label(self) -> str:
        return Side(self.side).label

    @property
    def label(self) -> str:
        names = " and ".join(p.full_name for p in self.others) or "nobody yet"
        return f"{self.relationship.get_kind_display()} with {names}"


def relationships_of(person: Person, *, include_ended: bool = False) -> list[MyRelationship]:
    """The person's relationships with the other parties, current ones first (two queries)."""
    mine = Participant.objects.filter(person=person).select_related("relationship__scheme")
    if not include_ended:
        mine = mine.exclude(relationship__status=Status.ENDED)
    own = {p.relationship_id: p for p in mine}
    others: dict[int, list[Person]] = {pk: [] for pk in own}
    for participant in (
        Participant.objects.filter(relationship_id__in=own)
        .exclude(person=person)
        .select_related("person")
        .order_by("id")
    ):
        others[participant.relationship_id].append(participant.person)
    rows = [MyRelationship(p.relationship, p.side, others[pk]) for pk, p in own.items()]
    order: dict[str, int] = {
        Status.ACTIVE: 0,
        Status.ENDING: 1,
        Status.SUSPENDED: 2,
        Status.PROPOSED: 3,
    }
    rows.sort(
        key=lambda r: (
            order.get(r.relationship.status, 4),
            r.relationship.scheme.name,
            -r.relationship.pk,
        )
    )
    return rows


@dataclass(frozen=True)
class ToSign:
    agreement_version: int | None  # the version of the agreement waiting for the person
    statement: bool  # their confidentiality statement is not signed yet


def still_to_sign(person: Person, relationship_ids: list[int]) -> dict[int, ToSign]:
    """What ``person`` has yet to accept in each relationship (three queries, no agreement text)."""
    if not relationship_ids:
        return {}
    latest: dict[int, tuple[int, int]] = {}
    for version_id, relationship_id, number in (
        AgreementVersion.objects.filter(relationship_id__in=relationship_ids)
        .order_by("relationship_id", "-number")
        .values_list("pk", "relationship_id", "number")
    ):
        latest.setdefault(relationship_id, (version_id, number))
    accepted = set(
        AgreementAcceptance.objects.filter(
            person=person, version_id__in=[v for v, _ in latest.values()]
        ).values_list("version_id", flat=True)
    )
    signed = set(
        ConfidentialityStatement.objects.filter(
            person=person, relationship_id__in=relationship_ids
        ).values_list("relationship_id", flat=True)
    )
    found = {}
    for relationship_id in relationship_ids:
        version = latest.get(relationship_id)
        waiting = version[1] if version is not None and version[0] not in accepted else None
        if waiting is not None or relationship_id not in signed:
            found[relationship_id] = ToSign(waiting, relationship_id not in signed)
    return found


@dataclass(frozen=True)
class OpenActions:
    total: int
    mine: int


def open_action_counts(person: Person, relationship_ids: list[int]) -> dict[int, OpenActions]:
    """How many agreed actions are still open in each relationship, and how many are the
    person's. Counts only: the actions' words are record text, read through the records gate
    (which logs the read), never on a summary page."""
    found: dict[int, OpenActions] = {}
    for relationship_id, total, mine in (
        ActionItem.objects.filter(relationship_id__in=relationship_ids, done_at__isnull=True)
        .values("relationship_id")
        .annotate(total=Count("pk"), mine=Count("pk", filter=Q(owner=person)))
        .order_by()
        .values_list("relationship_id", "total", "mine")
    ):
        found[relationship_id] = OpenActions(total, mine)
    return found


def relationship_parties(relationship: Relationship) -> list[Person]:
    return [
        p.person
        for p in Participant.objects.filter(relationship=relationship)
        .select_related("person")
        .order_by("id")
    ]
