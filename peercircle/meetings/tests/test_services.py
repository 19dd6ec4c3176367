"""Booking, changing, cancelling and logging meetings; invitations as iCalendar attachments."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.meetings import ical
from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.meetings.models import Meeting
from peercircle.meetings.services import (
    MeetingChanged,
    meeting_book,
    meeting_log_held,
    meeting_reschedule,
    meeting_set_status,
)
from peercircle.meetings.tests.helpers import held_meeting, in_days, make_pair
from peercircle.notifications.models import Notification
from peercircle.relationships.choices import EndReason, Status
from peercircle.relationships.services import relationship_end, relationship_transition

pytestmark = pytest.mark.django_db


def _invites() -> dict[str, dict[str, object]]:
    """The iCalendar attachment of each e-mail sent, by recipient."""
    found = {}
    for message in mail.outbox:
        (filename, content, mimetype) = message.attachments[0]
        assert filename == "meeting.ics"
        assert mimetype.startswith("text/calendar")
        data = content if isinstance(content, bytes) else content.encode()
        found[message.to[0]] = ical.parse_first_event(data)
    return found


def _book(cast: Cast, pair: object, **overrides: object) -> Meeting:
    fields: dict[str, object] = {
        "starts_at": in_days(3),
        "duration_minutes": 60,
        "mode": Mode.IN_PERSON,
        "place": "Library, room 2",
        "actor": cast.mo.user,
    }
    fields.update(overrides)
    return meeting_book(relationship=pair, **fields)  # type: ignore[arg-type]


def test_booking_sends_each_party_an_invitation_naming_the_other(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    pair = make_pair(cast)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        meeting = _book(cast, pair)
    invites = _invites()
    assert set(invites) == {"mo@tri-borough.example", "mia@tri-borough.example"}
    for_mo, for_mia = invites["mo@tri-borough.example"], invites["mia@tri-borough.example"]
    assert for_mo["summary"] == "PeerCircle meeting with Mia"
    assert for_mia["summary"] == "PeerCircle meeting with Mo"
    for invite in (for_mo, for_mia):
        assert invite["method"] == "REQUEST"
        assert invite["uid"] == meeting.uid
        assert invite["sequence"] == 0
        assert invite["location"] == "Library, room 2"
        assert invite["start"] == meeting.starts_at
    assert Notification.objects.filter(kind="meeting.booked").count() == 2
    assert AuditEvent.objects.filter(action="meeting.book", target_id=str(meeting.pk)).exists()


def test_a_change_and_a_cancellation_update_the_same_calendar_event(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    pair = make_pair(cast)
    meeting = _book(cast, pair)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        meeting_reschedule(
            meeting=meeting,
            starts_at=in_days(4, hour=14),
            duration_minutes=45,
            mode=Mode.VIDEO,
            place="https://meet.example/abc",
            actor=cast.mia.user,
            expected_version=meeting.version,
        )
    changed = _invites()["mia@tri-borough.example"]
    assert (changed["uid"], changed["sequence"], changed["method"]) == (meeting.uid, 1, "REQUEST")
    assert changed["location"] == "Video call: https://meet.example/abc"
    assert changed["start"] == in_days(4, hour=14)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        meeting_set_status(
            meeting=meeting,
            status=MeetingStatus.CANCELLED,
            actor=cast.mo.user,
            expected_version=meeting.version,
        )
    cancelled = _invites()["mo@tri-borough.example"]
    assert (cancelled["uid"], cancelled["sequence"]) == (meeting.uid, 2)
    assert (cancelled["method"], cancelled["status"]) == ("CANCEL", "CANCELLED")
    assert len(mail.outbox) == 2


def test_booking_in_the_past_is_refused_and_changes_nothing(cast: Cast) -> None:
    pair = make_pair(cast)
    with pytest.raises(ValidationError) as refused:
        _book(cast, pair, starts_at=timezone.now() - timedelta(hours=1))
    assert refused.value.messages == [
        "A meeting in the past cannot be booked; record it as held instead."
    ]
    assert not Meeting.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"place": "  "}, "Say where you will meet"),
        ({"duration_minutes": 2}, "A meeting lasts between 5 minutes and 8 hours."),
        ({"mode": "carrier pigeon"}, "Choose how you will meet"),
    ],
)
def test_bad_details_are_refused_with_a_plain_message(
    cast: Cast, overrides: dict[str, object], message: str
) -> None:
    pair = make_pair(cast)
    with pytest.raises(ValidationError) as refused:
        _book(cast, pair, **overrides)
    assert message in " ".join(refused.value.messages)
    assert not Meeting.objects.exists()


def test_a_call_needs_no_place(cast: Cast) -> None:
    meeting = _book(cast, make_pair(cast), mode=Mode.PHONE, place="")
    assert ical.location_for(meeting) == "Phone call"


def test_nothing_is_booked_or_logged_in_a_paused_or_ended_relationship(cast: Cast) -> None:
    pair = make_pair(cast)
    relationship_transition(
        relationship=pair, to_status=Status.SUSPENDED, actor=None, expected_version=pair.version
    )
    with pytest.raises(ValidationError, match="This relationship is paused"):
        _book(cast, pair)
    relationship_end(
        relationship=pair, reason=EndReason.GOALS_MET, actor=None, expected_version=pair.version
    )
    with pytest.raises(ValidationError, match="This relationship has ended"):
        held_meeting(pair)
    with pytest.raises(ValidationError, match="This relationship has ended"):
        _book(cast, pair)
    assert not Meeting.objects.exists()


def test_a_past_meeting_is_logged_as_held_and_a_future_one_is_not(cast: Cast) -> None:
    pair = make_pair(cast, started_on=timezone.localdate() - timedelta(days=30))
    meeting = held_meeting(pair)
    assert meeting.status == MeetingStatus.HELD
    with pytest.raises(ValidationError, match="has not happened yet; book it"):
        meeting_log_held(
            relationship=pair,
            starts_at=in_days(1),
            duration_minutes=60,
            mode=Mode.PHONE,
            place="",
            actor=None,
        )
    with pytest.raises(ValidationError, match="before the relationship started"):
        meeting_log_held(
            relationship=pair,
            starts_at=timezone.now() - timedelta(days=60),
            duration_minutes=60,
            mode=Mode.PHONE,
            place="",
            actor=None,
        )


def test_a_meeting_is_marked_held_only_after_its_time_and_only_once(
    cast: Cast, time_machine: object
) -> None:
    pair = make_pair(cast)
    meeting = _book(cast, pair)
    with pytest.raises(ValidationError, match="has not started yet"):
        meeting_set_status(
            meeting=meeting,
            status=MeetingStatus.HELD,
            actor=None,
            expected_version=meeting.version,
        )
    time_machine.move_to(meeting.starts_at + timedelta(hours=2))  # type: ignore[attr-defined]
    meeting_set_status(
        meeting=meeting, status=MeetingStatus.HELD, actor=None, expected_version=meeting.version
    )
    with pytest.raises(ValidationError, match="already held; it cannot become missed"):
        meeting_set_status(
            meeting=meeting,
            status=MeetingStatus.MISSED,
            actor=None,
            expected_version=meeting.version,
        )
    assert Meeting.objects.get().status == MeetingStatus.HELD


def test_two_people_changing_a_meeting_at_once_lose_nothing(cast: Cast) -> None:
    pair = make_pair(cast)
    meeting = _book(cast, pair)
    seen_by_mia = Meeting.objects.get(pk=meeting.pk)
    meeting_reschedule(
        meeting=meeting,
        starts_at=in_days(5),
        duration_minutes=60,
        mode=Mode.IN_PERSON,
        place="Park café",
        actor=cast.mo.user,
        expected_version=meeting.version,
    )
    with pytest.raises(MeetingChanged) as told:
        meeting_set_status(
            meeting=seen_by_mia,
            status=MeetingStatus.CANCELLED,
            actor=cast.mia.user,
            expected_version=seen_by_mia.version,
        )
    message = told.value.messages[0]
    assert "mo@tri-borough.example" in message
    assert "Nothing you entered was saved" in message
    stored = Meeting.objects.get(pk=meeting.pk)
    assert (stored.status, stored.place, stored.sequence) == (MeetingStatus.BOOKED, "Park café", 1)


@pytest.mark.parametrize("stop", ["pause", "end"])
def test_pausing_or_ending_cancels_the_meetings_to_come_and_tells_calendars(
    cast: Cast, stop: str, django_capture_on_commit_callbacks: object
) -> None:
    pair = make_pair(cast)
    earlier = held_meeting(pair)
    soon = _book(cast, pair, starts_at=in_days(2))
    later = _book(cast, pair, starts_at=in_days(9))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        if stop == "pause":
            relationship_transition(
                relationship=pair,
                to_status=Status.SUSPENDED,
                actor=cast.cora.user,
                expected_version=pair.version,
                summary="Paused: allegation under investigation",
            )
        else:
            relationship_end(
                relationship=pair,
                reason=EndReason.PLANNED,
                actor=cast.cora.user,
                expected_version=pair.version,
            )
    statuses = dict(Meeting.objects.filter(relationship=pair).values_list("pk", "status"))
    assert statuses == {
        earlier.pk: MeetingStatus.HELD,
        soon.pk: MeetingStatus.CANCELLED,
        later.pk: MeetingStatus.CANCELLED,
    }
    # Both parties get both cancellations for their calendars, and never the reason.
    cancels = [m for m in mail.outbox if b"METHOD:CANCEL" in _ics_bytes(m)]
    assert sorted(m.to[0] for m in cancels) == sorted(
        [cast.mo.email, cast.mo.email, cast.mia.email, cast.mia.email]
    )
    assert not any("allegation" in f"{m.subject} {m.body}".lower() for m in mail.outbox)


def _ics_bytes(message: object) -> bytes:
    (_, content, _) = message.attachments[0]  # type: ignore[attr-defined]
    return content if isinstance(content, bytes) else content.encode()
