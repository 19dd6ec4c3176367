"""Writes to meetings: book, reschedule, cancel, mark held or missed, log a past meeting; feeds.

Each service is keyword-only and atomic, leaves an audit event, and refuses impossible steps with
a plain message. Edits name the version they saw (the pattern of ``relationships.services``), so
two people changing one meeting at once never lose a write: the second is told what changed.
Invitations go to the parties as iCalendar attachments after the transaction commits.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import formats, timezone

from peercircle.audit.services import audit_record
from peercircle.meetings import ical
from peercircle.meetings.choices import MEETING_TRANSITIONS, MeetingStatus, Mode
from peercircle.meetings.models import CalendarFeed, Meeting
from peercircle.notifications.services import notify
from peercircle.people.models import Person
from peercircle.relationships.choices import WORKING, Status
from peercircle.relationships.models import Relationship

if TYPE_CHECKING:
    from peercircle.accounts.models import User

MIN_MINUTES = 5
MAX_MINUTES = 8 * 60


STATUS_VERBS: dict[str, str] = {
    MeetingStatus.HELD: "marking a meeting held",
    MeetingStatus.MISSED: "marking a meeting missed",
    MeetingStatus.CANCELLED: "cancelling a meeting",
}


class MeetingChanged(ValidationError):
    """Someone else changed the meeting since the caller read it."""


def _label(actor: User | None) -> str:
    return actor.email if actor is not None else "PeerCircle"


def when(at: datetime) -> str:
    """'Tuesday 3 March 2026 at 10:00', in the site's time zone."""
    local = timezone.localtime(at)
    return f"{formats.date_format(local, 'l j F Y')} at {local:%H:%M}"


def _check_working(relationship: Relationship, doing: str) -> None:
    if relationship.status == Status.ENDED:
        raise ValidationError(f"This relationship has ended: {doing} is no longer possible.")
    if relationship.status not in WORKING:
        raise ValidationError(
            f"This relationship is {relationship.get_status_display().lower()}: {doing} is "
            "possible only while it is active or ending."
        )


def _check_details(*, starts_at: datetime, duration_minutes: int, mode: str, place: str) -> None:
    if timezone.is_naive(starts_at):
        raise ValidationError("Give the meeting's date and time.")
    if mode not in Mode.values:
        raise ValidationError("Choose how you will meet: in person, by phone or by video call.")
    if not MIN_MINUTES <= duration_minutes <= MAX_MINUTES:
        raise ValidationError(
            f"A meeting lasts between {MIN_MINUTES} minutes and {MAX_MINUTES // 60} hours."
        )
    if mode == Mode.IN_PERSON and not place.strip():
        raise ValidationError({"place": "Say where you will meet, e.g. a café or an address."})
    if len(place) > 200:
        raise ValidationError({"place": "Keep the place under 200 characters."})


def _participants(relationship: Relationship) -> list[Person]:
    return [
        p.person for p in relationship.participants.select_related("person").order_by("person_id")
    ]


def _invite(meeting: Meeting, *, method: str, kind: str, verb: str) -> None:
    """Send each party the meeting as an iCalendar attachment, once per version of it."""
    people = _participants(meeting.relationship)
    link = reverse("meetings:relationship", args=[meeting.relationship_id])
    for person in people:
        others = [p.given_name for p in people if p.pk != person.pk]
        summary = ical.summary_for(others)
        attachment = ical.invitation_ics(meeting, attendee=person, summary=summary, method=method)
        notify(
            person=person,
            kind=kind,
            title=f"{summary} {verb}: {when(meeting.starts_at)}",
            body=(
                f"{summary}\nWhen: {when(meeting.starts_at)} ({meeting.duration_minutes} "
                f"minutes)\nWhere: {ical.location_for(meeting) or 'not given'}\n\n"
                "The attached invitation adds it to your calendar."
            ),
            link=link,
            dedupe_key=f"meeting:{meeting.uid}:{meeting.sequence}:{method}:{person.pk}",
            attachments=[("meeting.ics", attachment, f"text/calendar; method={method}")],
        )


def _audit(meeting: Meeting, *, actor: User | None, action: str, summary: str) -> None:
    audit_record(
        organisation=meeting.relationship.scheme.organisation,
        actor=actor,
        action=action,
        target=meeting,
        summary=summary,
    )


@transaction.atomic
def meeting_book(
    *,
    relationship: Relationship,
    starts_at: datetime,
    duration_minutes: int,
    mode: str,
    place: str,
    actor: User | None,
) -> Meeting:
    """Book a future meeting and send both parties an invitation."""
    _check_working(relationship, "booking a meeting")
    _check_details(starts_at=starts_at, duration_minutes=duration_minutes, mode=mode, place=place)
    if starts_at <= timezone.now():
        raise ValidationError(
            {"starts_at": "A meeting in the past cannot be booked; record it as held instead."}
        )
    meeting = Meeting.objects.create(
        organisation_id=relationship.organisation_id,
        relationship=relationship,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        mode=mode,
        place=place.strip(),
        created_by=actor,
        updated_by_label=_label(actor),
    )
    _audit(meeting, actor=actor, action="meeting.book", summary=f"Booked for {when(starts_at)}")
    _invite(meeting, method=ical.METHOD_REQUEST, kind="meeting.booked", verb="booked")
    return meeting


@transaction.atomic
def meeting_log_held(
    *,
    relationship: Relationship,
    starts_at: datetime,
    duration_minutes: int,
    mode: str,
    place: str,
    actor: User | None,
) -> Meeting:
    """Record a meeting that already happened (not booked in PeerCircle beforehand)."""
    _check_working(relationship, "logging a meeting")
    _check_details(starts_at=starts_at, duration_minutes=duration_minutes, mode=mode, place=place)
    if starts_at > timezone.now():
        raise ValidationError(
            {"starts_at": "This meeting has not happened yet; book it instead of logging it."}
        )
    if relationship.started_on and timezone.localdate(starts_at) < relationship.started_on:
        raise ValidationError(
            {"starts_at": "This date is before the relationship started; check the date."}
        )
    meeting = Meeting.objects.create(
        organisation_id=relationship.organisation_id,
        relationship=relationship,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        mode=mode,
        place=place.strip(),
        status=MeetingStatus.HELD,
        created_by=actor,
        updated_by_label=_label(actor),
    )
    _audit(meeting, actor=actor, action="meeting.log", summary=f"Held on {when(starts_at)}")
    return meeting


def _changed(meeting: Meeting) -> MeetingChanged:
    meeting.refresh_from_db()
    local = timezone.localtime(meeting.updated_at)
    return MeetingChanged(
        f"Someone changed this meeting while you were looking at it: {meeting.updated_by_label} "
        f"at {local:%H:%M} (it is now {meeting.get_status_display().lower()}, "
        f"{when(meeting.starts_at)}). Nothing you entered was saved; check the meeting and try "
        "again."
    )


def _apply(meeting: Meeting, expected_version: int, actor: User | None, **fields: object) -> None:
    """Write ``fields`` only if nobody changed the meeting since ``expected_version``."""
    updated = Meeting.objects.filter(pk=meeting.pk, version=expected_version).update(
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by_label=_label(actor),
        **fields,
    )
    if not updated:
        raise _changed(meeting)
    meeting.refresh_from_db()


def _check_step(meeting: Meeting, to_status: str) -> None:
    if to_status not in MEETING_TRANSITIONS[meeting.status]:
        raise ValidationError(
            f"This meeting is already {meeting.get_status_display().lower()}; it cannot become "
            f"{MeetingStatus(to_status).label.lower()}. Book or log another meeting instead."
        )


@transaction.atomic
def meeting_reschedule(
    *,
    meeting: Meeting,
    starts_at: datetime,
    duration_minutes: int,
    mode: str,
    place: str,
    actor: User | None,
    expected_version: int,
) -> Meeting:
    """Change a booked meeting; both parties get an update of the same calendar event."""
    _check_working(meeting.relationship, "changing a meeting")
    if meeting.version != expected_version:
        raise _changed(meeting)
    if meeting.status != MeetingStatus.BOOKED:
        raise ValidationError(
            f"This meeting is {meeting.get_status_display().lower()}; only a booked meeting "
            "can be changed."
        )
    _check_details(starts_at=starts_at, duration_minutes=duration_minutes, mode=mode, place=place)
    if starts_at <= timezone.now():
        raise ValidationError(
            {"starts_at": "A meeting cannot be moved into the past; mark it held instead."}
        )
    _apply(
        meeting,
        expected_version,
        actor,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        mode=mode,
        place=place.strip(),
        sequence=F("sequence") + 1,
    )
    _audit(meeting, actor=actor, action="meeting.change", summary=f"Moved to {when(starts_at)}")
    _invite(meeting, method=ical.METHOD_REQUEST, kind="meeting.changed", verb="changed")
    return meeting


@transaction.atomic
def meeting_set_status(
    *, meeting: Meeting, status: str, actor: User | None, expected_version: int
) -> Meeting:
    """Mark a booked meeting held, missed or cancelled. A cancellation is sent to calendars."""
    verb = STATUS_VERBS.get(status)
    if verb is None:
        raise ValidationError("Choose held, missed or cancelled.")
    _check_working(meeting.relationship, verb)
    if meeting.version != expected_version:
        raise _changed(meeting)
    _check_step(meeting, status)
    if status in (MeetingStatus.HELD, MeetingStatus.MISSED) and meeting.starts_at > timezone.now():
        raise ValidationError(
            "This meeting has not started yet. Mark it held or missed after its time, or "
            "change its time if it happened earlier."
        )
    fields: dict[str, object] = {"status": status}
    if status == MeetingStatus.CANCELLED:
        fields["sequence"] = F("sequence") + 1
    _apply(meeting, expected_version, actor, **fields)
    _audit(
        meeting,
        actor=actor,
        action=f"meeting.{status}",
        summary=f"{MeetingStatus(status).label}: {when(meeting.starts_at)}",
    )
    if status == MeetingStatus.CANCELLED:
        _invite(meeting, method=ical.METHOD_CANCEL, kind="meeting.cancelled", verb="cancelled")
    return meeting


def cancel_future_meetings(relationship: Relationship, actor: User | None) -> None:
    """Cancel the booked meetings still to come of a relationship that was paused or ended.

    Registered as a ``relationships.hooks`` stop hook. The parties get the cancellation in their
    calendars with the meeting's time only: never why the relationship stopped (an allegation
    must not show, handbook §12).
    """
    cancel_future_meetings_many([relationship], actor)


# Relationships whose meetings one query looks up (well under every database's parameter limit).
_CHUNK = 1000


def cancel_future_meetings_many(relationships: Sequence[Relationship], actor: User | None) -> None:
    """``cancel_future_meetings`` for many relationships at once (a rotation ends thousands):
    one query finds the meetings to cancel, so relationships without any cost nothing more."""
    now = timezone.now()
    by_pk = {r.pk: r for r in relationships}
    pks = list(by_pk)
    upcoming: list[Meeting] = []
    for start in range(0, len(pks), _CHUNK):
        upcoming += Meeting.objects.filter(
            relationship_id__in=pks[start : start + _CHUNK],
            status=MeetingStatus.BOOKED,
            starts_at__gt=now,
        ).order_by("starts_at", "pk")
    upcoming.sort(key=lambda m: (m.starts_at, m.pk))
    for meeting in upcoming:
        meeting.relationship = by_pk[meeting.relationship_id]
        _apply(
            meeting,
            meeting.version,
            actor,
            status=MeetingStatus.CANCELLED,
            sequence=F("sequence") + 1,
        )
        _audit(
            meeting,
            actor=actor,
            action="meeting.cancelled",
            summary=f"Cancelled because the relationship stopped: {when(meeting.starts_at)}",
        )
        _invite(meeting, method=ical.METHOD_CANCEL, kind="meeting.cancelled", verb="cancelled")


# Personal calendar feeds ------------------------------------------------------------------------


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_reset(*, person: Person, actor: User | None) -> str:
    """Create the person's feed link, or replace it (the old link stops working at once).

    Returns the secret token; only its hash is stored, so it can be shown just this once.
    """
    token = secrets.token_urlsafe(32)
    feed, created = CalendarFeed.objects.update_or_create(
        person=person,
        defaults={
            "organisation_id": person.organisation_id,
            "token_hash": hash_token(token),
            "last_used_at": None,
        },
    )
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="calendar_feed.create" if created else "calendar_feed.reset",
        target=feed,
        summary="Calendar link created" if created else "Calendar link replaced",
    )
    return token


@transaction.atomic
def calendar_feed_revoke(*, person: Person, actor: User | None) -> bool:
    """Stop the person's feed link; False when they had none."""
    feed = CalendarFeed.objects.filter(person=person).first()
    if feed is None:
        return False
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="calendar_feed.revoke",
        target=feed,
        summary="Calendar link turned off",
    )
    feed.delete()
    return True


def calendar_feed_touch(feed: CalendarFeed) -> None:
    """Note when a feed was last fetched, at most every few minutes (calendars poll often)."""
    now = timezone.now()
    if feed.last_used_at is None or now - feed.last_used_at > timedelta(minutes=10):
        CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
