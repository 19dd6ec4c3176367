from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django import forms
from django.utils import timezone

from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.meetings.models import Meeting
from peercircle.web.forms import AccessibleForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class MeetingForm(AccessibleForm):
    """When, how long, and how the pair meet. The date and time are in the site's time zone."""

    day = forms.DateField(
        label="Date", widget=DATE_WIDGET, error_messages={"invalid": "Enter a date, e.g. 3/3/2026."}
    )
    at = forms.TimeField(
        label="Time", widget=TIME_WIDGET, error_messages={"invalid": "Enter a time, e.g. 10:30."}
    )
    duration_minutes = forms.IntegerField(
        label="Length (minutes)",
        initial=60,
        min_value=5,
        max_value=480,
        error_messages={
            "min_value": "A meeting lasts at least 5 minutes.",
            "max_value": "A meeting lasts at most 8 hours (480 minutes).",
            "invalid": "Enter the length in minutes, e.g. 60.",
        },
    )
    mode = forms.ChoiceField(
        label="How you will meet",
        choices=Mode.choices,
        initial=Mode.IN_PERSON,
        widget=forms.RadioSelect,
    )
    place = forms.CharField(
        label="Place, phone number or link",
        max_length=200,
        required=False,
        help_text="Where you will meet in person, or how to join the call.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    @classmethod
    def for_meeting(cls, meeting: Meeting, data: Any = None) -> MeetingForm:
        local = timezone.localtime(meeting.starts_at)
        return cls(
            data,
            initial={
                "day": local.date(),
                "at": local.time().replace(second=0, microsecond=0),
                "duration_minutes": meeting.duration_minutes,
                "mode": meeting.mode,
                "place": meeting.place,
                "version": meeting.version,
            },
        )

    def starts_at(self) -> datetime:
        day = self.cleaned_data["day"]
        at: time = self.cleaned_data["at"]
        return timezone.make_aware(datetime.combine(day, at))


class MeetingStatusForm(AccessibleForm):
    status = forms.ChoiceField(
        choices=[
            (MeetingStatus.HELD, "Held"),
            (MeetingStatus.MISSED, "Missed"),
            (MeetingStatus.CANCELLED, "Cancelled"),
        ]
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
