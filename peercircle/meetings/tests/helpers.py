"""Builders shared by the meetings and records tests."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from peercircle.conftest import Cast
from peercircle.meetings.choices import Mode
from peercircle.meetings.models import Meeting
from peercircle.meetings.services import meeting_log_held
from peercircle.relationships.choices import Purpose, Side
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import relationship_create


def make_pair(cast: Cast, **kwargs: object) -> Relationship:
    """Mo mentors Mia in the cast's scheme, since two months ago."""
    kwargs.setdefault("started_on", timezone.localdate() - timedelta(days=60))
    return relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
        **kwargs,  # type: ignore[arg-type]
    )


def held_meeting(relationship: Relationship, *, days_ago: int = 2) -> Meeting:
    """A meeting that took place ``days_ago`` days ago, logged by the mentor."""
    return meeting_log_held(
        relationship=relationship,
        starts_at=timezone.now() - timedelta(days=days_ago),
        duration_minutes=60,
        mode=Mode.IN_PERSON,
        place="Café on the High Street",
        actor=None,
    )


def in_days(days: int, hour: int = 10) -> datetime:
    local = timezone.localtime(timezone.now() + timedelta(days=days))
    return local.replace(hour=hour, minute=0, second=0, microsecond=0)
