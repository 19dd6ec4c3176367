from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peercircle.conftest import Cast
from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.models import Meeting
from peercircle.meetings.selectors import last_held_meeting_dates
from peercircle.relationships.choices import Purpose, Side
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import relationship_create


def _pair(cast: Cast) -> Relationship:
    return relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )


def _meeting(relationship: Relationship, at: datetime, status: str) -> Meeting:
    return Meeting.objects.create(
        organisation_id=relationship.organisation_id,
        relationship=relationship,
        starts_at=at,
        status=status,
    )


@pytest.mark.django_db
def test_it_gives_the_latest_held_meeting_per_relationship_in_one_query(
    cast: Cast,
) -> None:
    pair = _pair(cast)
    _meeting(pair, datetime(2026, 3, 2, 10, tzinfo=UTC), MeetingStatus.HELD)
    _meeting(pair, datetime(2026, 4, 6, 10, tzinfo=UTC), MeetingStatus.HELD)
    # Later but not held: a booked, a missed and a cancelled meeting do not count.
    _meeting(pair, datetime(2026, 5, 1, 10, tzinfo=UTC), MeetingStatus.MISSED)
    _meeting(pair, datetime(2026, 5, 2, 10, tzinfo=UTC), MeetingStatus.CANCELLED)
    _meeting(pair, datetime(2026, 6, 1, 10, tzinfo=UTC), MeetingStatus.BOOKED)
    silent = Relationship.objects.create(
        organisation=cast.org, scheme=cast.scheme, kind="mentoring", purpose="new_carer"
    )
    with CaptureQueriesContext(connection) as queries:
        found = last_held_meeting_dates([pair.pk, silent.pk])
    assert len(queries) == 1
    assert found == {pair.pk: date(2026, 4, 6)}


@pytest.mark.django_db
def test_it_uses_the_local_date_and_accepts_a_queryset(cast: Cast) -> None:
    pair = _pair(cast)
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time).
    _meeting(pair, datetime(2026, 5, 31, 23, 30, tzinfo=UTC), MeetingStatus.HELD)
    ids = Relationship.objects.filter(pk=pair.pk).values("pk")
    assert last_held_meeting_dates(ids) == {pair.pk: date(2026, 6, 1)}
    assert last_held_meeting_dates([]) == {}
