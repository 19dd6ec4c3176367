from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.organisations.models import TenantModel


def _new_uid() -> str:
    return f"{uuid.uuid4()}@peercircle"


class Meeting(TenantModel):
    """One meeting of a relationship: booked ahead, or logged afterwards as held.

    ``uid`` and ``sequence`` are the iCalendar identity of the invitation: every update or
    cancellation is sent with the same UID and the next SEQUENCE, so calendars replace the event
    instead of adding a second one. ``version`` guards against two people editing at once.
    """

    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="meetings"
    )
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveSmallIntegerField(
        "length (minutes)",
        default=60,
        validators=[MinValueValidator(5), MaxValueValidator(8 * 60)],
    )
    mode = models.CharField("how", max_length=20, choices=Mode.choices, default=Mode.IN_PERSON)
    place = models.CharField(
        max_length=200,
        blank=True,
        help_text="Where you meet, or the phone number or link for a call.",
    )
    status = models.CharField(
        max_length=20, choices=MeetingStatus.choices, default=MeetingStatus.BOOKED
    )
    uid = models.CharField(max_length=100, unique=True, default=_new_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            # The reminders read "last held meeting per relationship" for every active pair.
            models.Index(fields=["relationship", "status", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
        ]

    def __str__(self) -> str:
        return f"Meeting {self.pk} of relationship {self.relationship_id}"

    @property
    def ends_at(self) -> datetime:
        return self.starts_at + timedelta(minutes=self.duration_minutes)


class CalendarFeed(TenantModel):
    """A person's secret iCalendar feed link. Only a hash of the token is stored."""

    person = models.OneToOneField(
        "people.Person", on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed of person {self.person_id}"
