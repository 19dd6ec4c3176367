"""Writes to concerns: raising, taking ownership, status, notes and escalation.

Every write is atomic, adds to the concern's history and the audit log, and names the version it
saw: if another coordinator changed the concern meanwhile, ``ConcernChanged`` tells the second
one what changed instead of overwriting it. Notifications name the scheme and the severity,
never a person, a flag or any text: they go by e-mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format

from peercircle.audit.services import audit_record
from peercircle.concerns.choices import (
    DUE_AFTER,
    FLAG_SEVERITY,
    OPEN,
    SEVERITY_RANK,
    TRANSITIONS,
    Flag,
    Severity,
    Source,
    Status,
    most_severe,
)
from peercircle.concerns.models import Concern, ConcernEvent, ConcernNote
from peercircle.notifications.services import notify
from peercircle.people.models import Membership, Person
from peercircle.people.viewer import INACTIVE
from peercircle.schemes.choices import Role
from peercircle.schemes.models import Scheme

if TYPE_CHECKING:
    from peercircle.accounts.models import User
    from peercircle.relationships.models import Relationship

# A request for support is a short message; longer conversations belong in a meeting or a call.
MESSAGE_MAX = 2000
NOTE_MAX = 5000


class FlaggedRecord(Protocol):
    """What ``concern_raise_for_flags`` needs of a meeting record: never its text."""

    @property
    def pk(self) -> Any: ...
    @property
    def relationship(self) -> Relationship: ...


class ConcernChanged(ValidationError):
    """Someone else changed the concern since the caller read it."""


def scheme_coordinators(scheme: Scheme) -> list[Person]:
    """The people who coordinate ``scheme`` now (suspended or departed coordinators excluded)."""
    current = Membership.objects.filter(scheme=scheme, role=Role.COORDINATOR).exclude(
        status__in=INACTIVE
    )
    # A handful of ids, read first: as a subquery the planner may scan every person.
    ids = list(current.values_list("person_id", flat=True))
    return list(Person.objects.filter(pk__in=ids).order_by("id"))


def organisation_admins(organisation_id: int) -> list[Person]:
    return list(
        Person.objects.filter(organisation_id=organisation_id, is_org_admin=True).order_by("id")
    )


def responsible_for(scheme: Scheme) -> list[Person]:
    """Who hears of a new concern: the scheme's coordinators, or the admins if it has none."""
    return scheme_coordinators(scheme) or organisation_admins(scheme.organisation_id)


def _person_of(actor: User | None) -> Person | None:
    if actor is None:
        return None
    return Person.objects.filter(user=actor).first()


def _event(concern: Concern, *, actor: User | None, action: str, summary: str) -> None:
    ConcernEvent.objects.create(
        organisation_id=concern.organisation_id,
        concern=concern,
        actor=actor,
        actor_label=actor.email if actor is not None else "PeerCircle",
        action=action,
        summary=summary[:300],
    )


def _audit(
    concern: Concern,
    *,
    actor: User | None,
    action: str,
    summary: str,
    changes: dict[str, Any] | None = None,
    source: str = "page",
) -> None:
    audit_record(
        organisation=concern.scheme.organisation,
        actor=actor,
        action=action,
        target=concern,
        summary=summary,
        changes=changes,
        source=source,
    )


def _tell_responsible(concern: Concern, people: Iterable[Person], *, occasion: str) -> None:
    severity = _a(Severity(concern.severity).label.lower()).capitalize()
    source = Source(concern.source).label.lower()
    for person in people:
        notify(
            person=person,
            kind="concern",
            title=f"A concern needs a coordinator in {concern.scheme.name}",
            body=(
                f"{severity} concern ({source}) needs someone to pick it up by "
                f"{when(concern.due_at)}. Open PeerCircle to see it."
            ),
            link=concern.get_absolute_url(),
            dedupe_key=f"concern:{concern.pk}:{occasion}:{person.pk}",
        )


def when(moment: datetime) -> str:
    """A moment in the organisation's time, as people write it: 5 January 2026, 14:30."""
    return date_format(timezone.localtime(moment), "j F Y, H:i")


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _check_flags(flags: Sequence[str]) -> list[str]:
    unknown = sorted(set(flags) - set(Flag.values))
    if unknown:
        raise ValueError(
            f"Unknown flag(s) {', '.join(unknown)}; known flags are {', '.join(Flag.values)}."
        )
    # Keep the order the handbook lists them in, whatever order the caller used.
    return [f for f in Flag.values if f in flags]


@transaction.atomic
def concern_raise(
    *,
    scheme: Scheme,
    source: str,
    severity: str,
    actor: User | None,
    relationship: Relationship | None = None,
    about: Person | None = None,
    raised_by: Person | None = None,
    message: str = "",
    flags: Sequence[str] = (),
    record_id: int | None = None,
    source_key: str = "",
    audit_source: str = "page",
) -> Concern | None:
    """Raise a concern and tell the scheme's coordinators.

    Returns None when a concern with ``source_key`` already exists (a silence already raised):
    raising is idempotent, so a retried or doubled job raises once.
    """
    if source not in Source.values:
        raise ValidationError("Choose where the concern comes from.")
    if severity not in Severity.values:
        raise ValidationError("Choose how serious the concern is: low, medium, high or urgent.")
    message = message.strip()
    if source == Source.SUPPORT_REQUEST and not message:
        raise ValidationError({"message": "Say in a few words what you would like help with."})
    if len(message) > MESSAGE_MAX:
        raise ValidationError(
            {"message": f"Keep the message under {MESSAGE_MAX} characters ({len(message)} now)."}
        )
    if relationship is not None and relationship.scheme_id != scheme.pk:
        raise ValidationError("That relationship belongs to another scheme.")
    for person in (about, raised_by):
        if person is not None and person.organisation_id != scheme.organisation_id:
            raise ValidationError("That person belongs to another organisation.")
    now = timezone.now()
    try:
        with transaction.atomic():
            concern = Concern.objects.create(
                organisation_id=scheme.organisation_id,
                scheme=scheme,
                relationship=relationship,
                about=about,
                raised_by=raised_by,
                source=source,
                severity=severity,
                flags=_check_flags(flags),
                record_id=record_id,
                source_key=source_key,
                message=message,
                raised_at=now,
                due_at=now + DUE_AFTER[severity],
            )
    except IntegrityError:
        if source_key and Concern.objects.filter(source_key=source_key).exists():
            return None
        raise
    summary = f"Raised: {Source(source).label.lower()} ({Severity(severity).label.lower()})"
    _event(concern, actor=actor, action="raised", summary=summary)
    _audit(concern, actor=actor, action="concern.raise", summary=summary, source=audit_source)
    _tell_responsible(concern, responsible_for(scheme), occasion="raised")
    return concern


@transaction.atomic
def concern_raise_for_flags(
    *, record: FlaggedRecord, flags: list[str], actor: User | None
) -> Concern | None:
    """Raise (or add to) the concern for a meeting record saved with difficulty flags.

    One open concern per record: saving the record again adds any new flags to it (and makes it
    more urgent if a new flag is more serious), never a second concern. Flags already raised on
    a concern that was since resolved or closed are not raised again; new ones open a new
    concern. Returns the open concern, or None when there was nothing new to raise.
    The concern keeps the record's id and its flags, never its text.
    """
    wanted = _check_flags(flags)
    if not wanted:
        return None
    relationship = record.relationship
    record_id = int(record.pk)
    for _attempt in range(2):
        concern = (
            Concern.objects.select_for_update()
            .filter(record_id=record_id, status__in=OPEN)
            .select_related("scheme")
            .first()
        )
        if concern is not None:
            return _add_flags(concern, wanted, actor=actor)
        earlier = Concern.objects.filter(record_id=record_id).values_list("flags", flat=True)
        already = {f for raised in earlier for f in raised}
        if not set(wanted) - already:
            return None
        try:
            with transaction.atomic():
                return concern_raise(
                    scheme=relationship.scheme,
                    source=Source.FLAG,
                    severity=most_severe([FLAG_SEVERITY[f] for f in wanted]),
                    actor=actor,
                    relationship=relationship,
                    raised_by=_person_of(actor),
                    flags=wanted,
                    record_id=record_id,
                )
        except IntegrityError:
            # Another save of the same record opened the concern a moment ago: add to it.
            continue
    raise RuntimeError(f"Could not raise or find the open concern of record {record_id}.")


def _add_flags(concern: Concern, wanted: list[str], *, actor: User | None) -> Concern:
    new = [f for f in wanted if f not in concern.flags]
    if not new:
        return concern
    flags = _check_flags([*concern.flags, *new])
    fields: dict[str, Any] = {"flags": flags}
    severity = most_severe([concern.severity, *(FLAG_SEVERITY[f] for f in new)])
    if SEVERITY_RANK[severity] > SEVERITY_RANK[concern.severity]:
        fields["severity"] = severity
        # A more serious flag brings the due date forward, never back.
        fields["due_at"] = min(concern.due_at, concern.raised_at + DUE_AFTER[severity])
    Concern.objects.filter(pk=concern.pk).update(version=F("version") + 1, **fields)
    concern.refresh_from_db()
    labels = ", ".join(Flag(f).label.lower() for f in new)
    summary = f"More flags on the record: {labels}"
    _event(concern, actor=actor, action="flags", summary=summary)
    _audit(concern, actor=actor, action="concern.flags", summary=summary, changes={"added": new})
    people = [concern.owner] if concern.owner is not None else responsible_for(concern.scheme)
    _tell_responsible(concern, people, occasion="flags-" + "-".join(flags))
    return concern


@transaction.atomic
def support_request_send(
    *,
    person: Person,
    scheme: Scheme,
    message: str,
    severity: str,
    actor: User | None,
    relationship: Relationship | None = None,
) -> Concern:
    """ "I need support": any participant, at any time, to the coordinators of their scheme."""
    if (
        not Membership.objects.filter(person=person, scheme=scheme)
        .exclude(status__in=INACTIVE)
        .exists()
    ):
        raise ValidationError({"scheme": "Choose one of your own schemes."})
    if relationship is not None and not relationship.participants.filter(person=person).exists():
        raise ValidationError({"relationship": "Choose one of your own relationships."})
    concern = concern_raise(
        scheme=scheme,
        source=Source.SUPPORT_REQUEST,
        severity=severity,
        actor=actor,
        relationship=relationship,
        about=person,
        raised_by=person,
        message=message,
    )
    if concern is None:  # pragma: no cover - without a source_key raising always creates one
        raise RuntimeError("The request for support was not raised.")
    return concern


def _changed_since(concern: Concern) -> ConcernChanged:
    latest = ConcernEvent.objects.filter(concern=concern).last()
    what = (
        f"{latest.actor_label} changed it at {timezone.localtime(latest.at):%H:%M}: "
        f"{latest.summary}."
        if latest is not None
        else "It was changed."
    )
    return ConcernChanged(
        f"Someone changed this concern while you were looking at it. {what} Nothing you "
        "entered was saved; check the concern and try again."
    )


def _apply(concern: Concern, expected_version: int, **fields: Any) -> Concern:
    """Write ``fields`` only if nobody changed the concern since ``expected_version``."""
    updated = Concern.objects.filter(pk=concern.pk, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if not updated:
        raise _changed_since(concern)
    concern.refresh_from_db()
    return concern


def _tell_raiser(concern: Concern, what: str) -> None:
    """The person who asked for support hears how it stands; never a coordinator's notes."""
    if concern.source != Source.SUPPORT_REQUEST or concern.raised_by is None:
        return
    notify(
        person=concern.raised_by,
        kind="support_request",
        title=f"Your request for support: {what}",
        body=f"Your request for support in {concern.scheme.name} is now "
        f"{Status(concern.status).label.lower()}.",
        link=concern.get_absolute_url(),
        dedupe_key=f"concern:{concern.pk}:raiser:{concern.version}",
    )


def _check_owner(concern: Concern, owner: Person) -> None:
    if owner.is_org_admin and owner.organisation_id == concern.organisation_id:
        return
    if owner not in scheme_coordinators(concern.scheme):
        raise ValidationError(
            {"owner": f"{owner.full_name} does not coordinate {concern.scheme.name}."}
        )


@transaction.atomic
def concern_assign(
    *, concern: Concern, owner: Person, actor: User | None, expected_version: int
) -> Concern:
    """Make ``owner`` (a coordinator of the scheme, or an admin) responsible for the concern."""
    _check_owner(concern, owner)
    if not concern.is_open:
        raise ValidationError("Reopen the concern before giving it an owner.")
    if concern.owner_id == owner.pk:
        raise ValidationError(f"{owner.full_name} already owns this concern.")
    before = concern.status
    fields: dict[str, Any] = {"owner": owner}
    if concern.status == Status.NEW:
        fields["status"] = Status.IN_PROGRESS
    _apply(concern, expected_version, **fields)
    summary = f"Owner: {owner.full_name}"
    _event(concern, actor=actor, action="owner", summary=summary)
    _audit(concern, actor=actor, action="concern.owner", summary=summary)
    if actor is None or owner.user_id != actor.pk:
        notify(
            person=owner,
            kind="concern",
            title=f"A concern in {concern.scheme.name} is yours",
            body="You were made the owner of a concern. Open PeerCircle to see it.",
            link=concern.get_absolute_url(),
            dedupe_key=f"concern:{concern.pk}:owner:{concern.version}",
        )
    if before != concern.status:
        _tell_raiser(concern, "a coordinator is on it")
    return concern


@transaction.atomic
def concern_set_status(
    *, concern: Concern, to_status: str, actor: User | None, expected_version: int
) -> Concern:
    current = concern.status
    if to_status not in Status.values:
        raise ValidationError({"status": "Choose one of the listed statuses."})
    if to_status not in TRANSITIONS[current]:
        if to_status == current:
            raise ValidationError(
                {"status": f"The concern is already {Status(current).label.lower()}."}
            )
        hint = (
            " A closed concern stays closed: raise a new one if it comes back."
            if current == Status.CLOSED
            else ""
        )
        raise ValidationError(
            {
                "status": f"{_a(Status(current).label.lower()).capitalize()} concern cannot become "
                f"{Status(to_status).label.lower()}.{hint}"
            }
        )
    if (
        to_status in OPEN
        and concern.record_id is not None
        and Concern.objects.filter(record_id=concern.record_id, status__in=OPEN)
        .exclude(pk=concern.pk)
        .exists()
    ):
        raise ValidationError(
            "A newer concern about the same record is open: carry on with that one instead."
        )
    _apply(concern, expected_version, status=to_status)
    summary = f"{Status(current).label} → {Status(to_status).label}"
    _event(concern, actor=actor, action="status", summary=summary)
    _audit(
        concern,
        actor=actor,
        action="concern.status",
        summary=summary,
        changes={"status": [current, to_status]},
    )
    _tell_raiser(concern, Status(to_status).label.lower())
    return concern


@transaction.atomic
def concern_note_add(
    *, concern: Concern, author: Person, text: str, actor: User | None
) -> ConcernNote:
    """Add a note. Notes only ever add, so two coordinators writing at once both keep theirs."""
    text = text.strip()
    if not text:
        raise ValidationError({"text": "Write the note before saving it."})
    if len(text) > NOTE_MAX:
        raise ValidationError(
            {"text": f"Keep a note under {NOTE_MAX} characters ({len(text)} now)."}
        )
    note = ConcernNote.objects.create(
        organisation_id=concern.organisation_id, concern=concern, author=author, text=text
    )
    Concern.objects.filter(pk=concern.pk).update(updated_at=timezone.now())
    _event(concern, actor=actor, action="note", summary=f"Note added by {author.full_name}")
    _audit(concern, actor=actor, action="concern.note", summary="Note added")
    return note


def concerns_escalate_overdue(*, now: datetime | None = None) -> int:
    """Tell the admins about every concern nobody picked up by its due date; once each.

    Runs in the organisation scope of its caller (the periodic job scopes each organisation).
    Each concern is claimed with a conditional UPDATE of ``escalated_at``, so two workers running
    this at once escalate it once (healthchecks' ``sendalerts`` pattern), and the notifications'
    dedupe keys stop a retried job from telling anyone twice.
    """
    now = now or timezone.now()
    overdue = list(
        Concern.objects.filter(
            status=Status.NEW, owner__isnull=True, escalated_at__isnull=True, due_at__lte=now
        )
        .select_related("scheme__organisation")
        .order_by("due_at")
    )
    escalated = 0
    for concern in overdue:
        with transaction.atomic():
            claimed = Concern.objects.filter(
                pk=concern.pk, escalated_at__isnull=True, owner__isnull=True, status=Status.NEW
            ).update(escalated_at=now)
            if not claimed:
                continue  # another worker escalated it, or a coordinator picked it up
            concern.escalated_at = now
            severity = Severity(concern.severity).label.lower()
            for admin in organisation_admins(concern.organisation_id):
                notify(
                    person=admin,
                    kind="concern_escalated",
                    title=f"Nobody has picked up a concern in {concern.scheme.name}",
                    body=(
                        f"{_a(severity).capitalize()} concern was due to be picked up by "
                        f"{when(concern.due_at)} and still has "
                        "no owner. Open PeerCircle to see it and give it one."
                    ),
                    link=concern.get_absolute_url(),
                    dedupe_key=f"concern:{concern.pk}:escalated:{admin.pk}",
                )
            summary = "Escalated to the organisation's admins: nobody picked it up in time"
            _event(concern, actor=None, action="escalated", summary=summary)
            _audit(concern, actor=None, action="concern.escalate", summary=summary, source="task")
            escalated += 1
    return escalated
