"""Reads of records: callers have passed the gate (``records.access``) first.

Lists never load record text (``defer``): a list page cannot show or leak what it never read.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils import timezone

from peercircle.people.models import Person
from peercircle.records.models import ActionItem, BreakGlass, Record, RecordRead
from peercircle.relationships.models import Participant, Relationship

TEXT = ("discussion", "helpful", "not_helpful")


def records_of(relationship: Relationship) -> QuerySet[Record]:
    """The records of a relationship, latest meeting first, without their text."""
    return (
        Record.objects.filter(relationship=relationship)
        .defer(*TEXT)
        .select_related("meeting", "author")
        .order_by("-meeting__starts_at", "-id")
    )


def open_actions(relationship: Relationship) -> list[ActionItem]:
    """Actions not yet done, oldest first: carried to every record until marked done."""
    return list(
        ActionItem.objects.filter(relationship=relationship, done_at__isnull=True)
        .select_related("owner", "record__meeting")
        .order_by("created_at", "id")
    )


def actions_of(record: Record) -> tuple[list[ActionItem], list[ActionItem]]:
    """The actions agreed in ``record``, and the earlier ones marked done in it."""
    agreed = list(record.actions.select_related("owner").order_by("created_at", "id"))
    done = list(record.actions_done.select_related("owner").order_by("created_at", "id"))
    return agreed, done


def reads_of(record: Record) -> QuerySet[RecordRead]:
    return RecordRead.objects.filter(record=record).order_by("-at", "-id")


def break_glass_granted(person: Person, records: list[Record]) -> set[int]:
    """Which of ``records`` ``person`` may read now through safeguarding access (one query)."""
    return set(
        BreakGlass.objects.filter(
            person=person, record__in=records, expires_at__gt=timezone.now()
        ).values_list("record_id", flat=True)
    )


def break_glass_all() -> QuerySet[BreakGlass]:
    """Every safeguarding access in the organisation in scope, newest first."""
    return BreakGlass.objects.select_related(
        "person", "record__meeting", "record__relationship__scheme"
    ).order_by("-at", "-id")


def parties(relationship: Relationship) -> list[Person]:
    return [
        p.person
        for p in Participant.objects.filter(relationship=relationship)
        .select_related("person")
        .order_by("side", "person_id")
    ]
