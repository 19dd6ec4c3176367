"""iCalendar for meetings: invitations, updates and cancellations (RFC 5546), and the feed.

Every invitation a person receives for one meeting carries the meeting's UID, and each change
the next SEQUENCE, so a calendar replaces its copy instead of adding a second event. The text is
only time, place and "PeerCircle meeting with <first name>": never anything from a record.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import timezone

from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.meetings.models import Meeting
from peercircle.people.models import Person

PRODID = "-//PeerCircle//Meetings//EN"
METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"


def summary_for(other_first_names: Iterable[str]) -> str:
    names = " and ".join(n for n in other_first_names if n) or "your peer"
    return f"PeerCircle meeting with {names}"


def location_for(meeting: Meeting) -> str:
    if meeting.mode == Mode.IN_PERSON:
        return meeting.place
    label = Mode(meeting.mode).label
    return f"{label}: {meeting.place}" if meeting.place else label


def _calendar(method: str | None) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    return calendar


def _organizer() -> icalendar.vCalAddress:
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = icalendar.vCalAddress(f"mailto:{address or 'peercircle@localhost'}")
    organizer.params["cn"] = icalendar.vText("PeerCircle")
    return organizer


def _event(
    meeting: Meeting, *, summary: str, cancelled: bool, attendee: Person | None
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", timezone.now().astimezone(UTC))
    event.add("dtstart", meeting.starts_at.astimezone(UTC))
    event.add("dtend", meeting.ends_at.astimezone(UTC))
    event.add("summary", summary)
    location = location_for(meeting)
    if location:
        event.add("location", location)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    if attendee is not None:
        event.add("organizer", _organizer())
        address = icalendar.vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = icalendar.vText(attendee.given_name)
        address.params["role"] = icalendar.vText("REQ-PARTICIPANT")
        address.params["partstat"] = icalendar.vText("ACCEPTED")
        event.add("attendee", address)
    return event


def invitation_ics(meeting: Meeting, *, attendee: Person, summary: str, method: str) -> bytes:
    """One meeting as an invitation (REQUEST) or cancellation (CANCEL) for ``attendee``."""
    calendar = _calendar(method)
    calendar.add_component(
        _event(
            meeting,
            summary=summary,
            cancelled=method == METHOD_CANCEL,
            attendee=attendee,
        )
    )
    return bytes(calendar.to_ical())


def feed_ics(items: Iterable[tuple[Meeting, str]], *, name: str) -> bytes:
    """A personal feed: each (meeting, summary) as an event; cancelled ones marked so."""
    calendar = _calendar(None)
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", icalendar.vDuration(timedelta(hours=1)))
    for meeting, summary in items:
        calendar.add_component(
            _event(
                meeting,
                summary=summary,
                cancelled=meeting.status == MeetingStatus.CANCELLED,
                attendee=None,
            )
        )
    return bytes(calendar.to_ical())


def parse_first_event(data: bytes) -> dict[str, object]:
    """The method and main properties of the first event (tests and diagnostics)."""
    calendar = icalendar.Calendar.from_ical(data)
    event = calendar.walk("VEVENT")[0]
    start = event.decoded("dtstart")
    if not isinstance(start, datetime):
        raise ValueError("The event has a date but no time.")
    return {
        "method": str(calendar.get("method", "")),
        "uid": str(event["uid"]),
        "sequence": int(str(event["sequence"])),
        "status": str(event["status"]),
        "summary": str(event["summary"]),
        "location": str(event.get("location", "")),
        "start": start,
    }
