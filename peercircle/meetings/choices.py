from __future__ import annotations

from django.db import models


class Mode(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    PHONE = "phone", "Phone call"
    VIDEO = "video", "Video call"


class MeetingStatus(models.TextChoices):
    BOOKED = "booked", "Booked"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed"


# What a meeting may become. A held, cancelled or missed meeting is settled: a mistake is
# corrected by booking or logging another, so the history the reminders read never flips back.
MEETING_TRANSITIONS: dict[str, frozenset[str]] = {
    MeetingStatus.BOOKED: frozenset(
        {MeetingStatus.HELD, MeetingStatus.CANCELLED, MeetingStatus.MISSED}
    ),
    MeetingStatus.HELD: frozenset(),
    MeetingStatus.CANCELLED: frozenset(),
    MeetingStatus.MISSED: frozenset(),
}
