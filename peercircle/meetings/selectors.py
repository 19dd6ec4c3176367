"""Reads of meetings: scoped by the caller, one query each."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db.models import Max, Q, QuerySet
from django.utils import timezone

from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.ical import summary_for
from peercircle.meetings.models import Meeting
from peercircle.people.models import Person
from peercircle.relationships.choices import WORKING
from peercircle.relationships.models import Participant, Relationship

FEED_HISTORY = datetime.timedelta(days=90)
# A feed is polled by calendar apps every hour or so: keep it small whatever happens.
FEED_LIMIT = 200


def last_held_meeting_dates(
    relationship_ids: Iterable[int] | QuerySet[Any],
) -> dict[int, datetime.date]:
    """The local date of the latest held meeting of each relationship, in one query.

    Relationships with no held meeting are absent from the result, so callers fall back to the
    relationship's start date themselves. A queryset of ids (``.values("pk")``) is used as a
    subquery, which spares sending tens of thousands of ids as parameters.
    """
    ids: list[int] | QuerySet[Any]
    if isinstance(relationship_ids, QuerySet):
        ids = relationship_ids
    else:
        ids = list(relationship_ids)
        if not ids:
            return {}
    rows = (
        Meeting.objects.filter(relationship_id__in=ids, status=MeetingStatus.HELD)
        .values("relationship_id")
        .annotate(last=Max("starts_at"))
        .order_by()
        .values_list("relationship_id", "last")
    )
    return {rid: timezone.localdate(last) for rid, last in rows}


def next_meeting_due(relationship: Relationship, last_held: datetime.date | None) -> datetime.date:
    """The date by which the pair should next meet, by the scheme's minimum frequency.

    Counted from the last held meeting, or from the start when they have not met yet.
    """
    since = last_held or relationship.started_on or timezone.localdate(relationship.created_at)
    return since + datetime.timedelta(days=relationship.scheme.meeting_every_days)


def meetings_of(relationship: Relationship) -> QuerySet[Meeting]:
    """Every meeting of a relationship, latest first."""
    return Meeting.objects.filter(relationship=relationship).order_by("-starts_at", "-id")


def feed_meetings(person: Person) -> list[tuple[Meeting, str]]:
    """The meetings in a person's calendar feed, each with its summary line.

    Booked meetings of relationships in which the pair works (active or ending), and the last
    90 days of held and cancelled ones. Nothing else: no record text, no paused relationships.
    """
    since = timezone.now() - FEED_HISTORY
    mine = Participant.objects.filter(person=person).values("relationship_id")
    meetings = list(
        Meeting.objects.filter(relationship_id__in=mine)
        .filter(
            Q(status=MeetingStatus.BOOKED, relationship__status__in=WORKING)
            | Q(status__in=(MeetingStatus.HELD, MeetingStatus.CANCELLED), starts_at__gte=since)
        )
        .order_by("starts_at")[:FEED_LIMIT]
    )
    names: dict[int, list[str]] = {}
    for relationship_id, given_name in (
        Participant.objects.filter(relationship_id__in={m.relationship_id for m in meetings})
        .exclude(person=person)
        .values_list("relationship_id", "person__given_name")
    ):
        names.setdefault(relationship_id, []).append(given_name)
    return [(m, summary_for(names.get(m.relationship_id, []))) for m in meetings]


def upcoming_for(person: Person, *, limit: int = 5) -> list[Meeting]:
    """A person's next booked meetings, soonest first (for their own page)."""
    mine = Participant.objects.filter(person=person).values("relationship_id")
    return list(
        Meeting.objects.filter(
            relationship_id__in=mine,
            status=MeetingStatus.BOOKED,
            relationship__status__in=WORKING,
            starts_at__gte=timezone.now(),
        )
        .select_related("relationship")
        .order_by("starts_at")[:limit]
    )
