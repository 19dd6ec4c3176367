"""Writes to meeting records: write, edit, break-glass, and erasure after the retention period.

Each service is keyword-only, atomic and audited. Audit summaries, notifications and error
messages name *that* something happened, never what a record says. Edits name the version they
saw, so two devices saving the same record never lose a write: the second is told who changed
what, and nothing it sent is saved. Flags on a record reach the coordinator as a concern, in the
same transaction, so a flagged record never exists without its concern.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from peercircle.audit.services import audit_event, audit_record, audit_record_many
from peercircle.concerns.services import concern_raise_for_flags
from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.models import Meeting
from peercircle.meetings.services import when
from peercircle.notifications.services import notify
from peercircle.organisations.models import Organisation
from peercircle.people.eligibility import months_before
from peercircle.people.models import Person
from peercircle.records.choices import Flag, SafeguardingReason
from peercircle.records.models import ActionItem, BreakGlass, Record
from peercircle.relationships.choices import WORKING, Status
from peercircle.relationships.models import Participant, Relationship

if TYPE_CHECKING:
    from peercircle.accounts.models import User

MAX_TEXT = 20_000
MAX_ACTION = 1_000
BREAK_GLASS_MINUTES = 60
MIN_REASON = 20
TEXT_FIELDS = ("discussion", "helpful", "not_helpful")
LABELS = {
    "discussion": "key discussion points",
    "helpful": "what was helpful",
    "not_helpful": "what was not helpful",
    "flags": "flags",
    "actions": "actions",
}


class RecordChanged(ValidationError):
    """Someone else saved the record since the caller read it."""


@dataclass(frozen=True)
class NewAction:
    text: str
    owner: Person


@dataclass
class RecordInput:
    """What a party typed on the record sheet (never logged: see ``sensitive_variables``)."""

    discussion: str = ""
    helpful: str = ""
    not_helpful: str = ""
    flags: Sequence[str] = ()
    new_actions: Sequence[NewAction] = ()
    done_action_ids: Sequence[int] = field(default_factory=tuple)

    def __repr__(self) -> str:
        # Keeps record text out of tracebacks, debug pages and log lines that print objects.
        return f"RecordInput(flags={list(self.flags)!r}, {len(self.new_actions)} new actions)"


def _label(actor: User | None) -> str:
    return actor.email if actor is not None else "PeerCircle"


def _participants(relationship: Relationship) -> list[Person]:
    return [
        p.person
        for p in Participant.objects.filter(relationship=relationship)
        .select_related("person")
        .order_by("person_id")
    ]


@sensitive_variables()
def _check_input(data: RecordInput, relationship: Relationship) -> list[Person]:
    """Validate the sheet; returns the participants (action owners must be among them)."""
    errors: dict[str, list[str]] = {}
    for name in TEXT_FIELDS:
        if len(getattr(data, name)) > MAX_TEXT:
            errors.setdefault(name, []).append(
                f"Keep {LABELS[name]} under {MAX_TEXT:,} characters."
            )
    unknown = [f for f in data.flags if f not in Flag.values]
    if unknown:
        errors.setdefault("flags", []).append("Choose flags from the list only.")
    people = _participants(relationship)
    ids = {p.pk for p in people}
    for action in data.new_actions:
        if not action.text.strip():
            errors.setdefault("actions", []).append("Each new action needs a description.")
        elif len(action.text) > MAX_ACTION:
            errors.setdefault("actions", []).append(
                f"Keep each action under {MAX_ACTION:,} characters."
            )
        if action.owner.pk not in ids:
            errors.setdefault("actions", []).append(
                "Each action belongs to one of the people in this relationship."
            )
    if data.done_action_ids:
        open_ids = set(
            ActionItem.objects.filter(
                relationship=relationship, pk__in=data.done_action_ids
            ).values_list("pk", flat=True)
        )
        if open_ids != set(data.done_action_ids):
            errors.setdefault("actions", []).append(
                "An action marked done is not one of this relationship's actions; reload the "
                "page and try again."
            )
    if errors:
        raise ValidationError(errors)
    return people


def _check_working(relationship: Relationship) -> None:
    if relationship.status == Status.ENDED:
        raise ValidationError(
            "This relationship has ended: its records can be read but no longer written."
        )
    if relationship.status not in WORKING:
        raise ValidationError(
            f"This relationship is {relationship.get_status_display().lower()}: records can be "
            "written only while it is active or ending."
        )


@sensitive_variables()
def _apply_actions(record: Record, data: RecordInput, actor: User | None) -> None:
    ActionItem.objects.bulk_create(
        ActionItem(
            organisation_id=record.organisation_id,
            relationship_id=record.relationship_id,
            record=record,
            owner=action.owner,
            text=action.text.strip(),
        )
        for action in data.new_actions
    )
    if data.done_action_ids:
        # Only still-open actions: marking one done twice (two devices) keeps the first time.
        ActionItem.objects.filter(
            relationship_id=record.relationship_id,
            pk__in=data.done_action_ids,
            done_at__isnull=True,
        ).update(done_at=timezone.now(), done_in=record)


def _raise_concerns(record: Record, flags: Sequence[str], actor: User | None) -> None:
    """Tell the coordinator about newly raised flags, as a concern (never with record text)."""
    if flags:
        concern_raise_for_flags(record=record, flags=list(flags), actor=actor)


def _tell_other_parties(
    record: Record, people: Sequence[Person], author: Person, verb: str
) -> None:
    for person in people:
        if person.pk == author.pk:
            continue
        notify(
            person=person,
            kind=f"record.{verb}",
            title=f"{author.given_name} {verb} the record of your meeting",
            body=(
                f"{author.given_name} {verb} the record of your meeting on "
                f"{when(record.meeting.starts_at)}. Open PeerCircle to read it."
            ),
            link=reverse("records:detail", args=[record.pk]),
            dedupe_key=f"record:{record.pk}:{verb}:{record.version}:{person.pk}",
        )


@sensitive_variables()
@transaction.atomic
def record_create(
    *, meeting: Meeting, author: Person, actor: User | None, data: RecordInput
) -> Record:
    """Write the record sheet of a held meeting."""
    relationship = meeting.relationship
    _check_working(relationship)
    if meeting.status != MeetingStatus.HELD:
        raise ValidationError(
            "Mark the meeting held before writing its record; a record belongs to a meeting "
            "that happened."
        )
    if Record.objects.filter(meeting=meeting).exists():
        raise ValidationError("This meeting already has a record: open it to add to it.")
    people = _check_input(data, relationship)
    if author.pk not in {p.pk for p in people}:
        raise ValidationError("Only the people in this relationship write its records.")
    if not (
        any(getattr(data, name).strip() for name in TEXT_FIELDS)
        or data.flags
        or data.new_actions
        or data.done_action_ids
    ):
        raise ValidationError(
            "The record is empty: write a discussion point, an action or a check-out, or flag a "
            "difficulty."
        )
    flags = sorted(set(data.flags))
    try:
        with transaction.atomic():
            record = Record.objects.create(
                organisation_id=relationship.organisation_id,
                relationship=relationship,
                meeting=meeting,
                author=author,
                discussion=data.discussion.strip(),
                helpful=data.helpful.strip(),
                not_helpful=data.not_helpful.strip(),
                flags=flags,
                updated_by_label=author.full_name,
                last_change="written",
            )
    except IntegrityError:
        # The other party wrote the record of this meeting a moment ago.
        raise ValidationError(
            "The other person has just written the record of this meeting: open it to add to it."
        ) from None
    _apply_actions(record, data, actor)
    audit_record(
        organisation=relationship.scheme.organisation,
        actor=actor,
        action="record.create",
        target=record,
        summary=f"Record written for the meeting on {when(meeting.starts_at)}",
        changes={"flags": flags},
    )
    _raise_concerns(record, flags, actor)
    _tell_other_parties(record, people, author, "wrote")
    return record


@sensitive_variables()
@transaction.atomic
def record_update(
    *, record: Record, author: Person, actor: User | None, data: RecordInput, expected_version: int
) -> Record:
    """Save changes to a record, if nobody saved it since ``expected_version``."""
    _check_working(record.relationship)
    if record.text_erased_at is not None:
        raise ValidationError("This record's text was deleted after the retention period.")
    people = _check_input(data, record.relationship)
    if author.pk not in {p.pk for p in people}:
        raise ValidationError("Only the people in this relationship write its records.")
    current = Record.objects.select_for_update().get(pk=record.pk)
    if current.version != expected_version:
        raise _changed(current)
    flags = sorted(set(data.flags))
    changed = [
        LABELS[name]
        for name in TEXT_FIELDS
        if getattr(current, name) != getattr(data, name).strip()
    ]
    if flags != sorted(current.flags):
        changed.append(LABELS["flags"])
    if data.new_actions or data.done_action_ids:
        changed.append(LABELS["actions"])
    if not changed:
        return current
    added = [f for f in flags if f not in current.flags]
    Record.objects.filter(pk=record.pk, version=expected_version).update(
        discussion=data.discussion.strip(),
        helpful=data.helpful.strip(),
        not_helpful=data.not_helpful.strip(),
        flags=flags,
        version=F("version") + 1,
        updated_at=timezone.now(),
        updated_by_label=author.full_name,
        last_change=", ".join(changed)[:300],
    )
    current.refresh_from_db()
    _apply_actions(current, data, actor)
    audit_record(
        organisation=current.relationship.scheme.organisation,
        actor=actor,
        action="record.update",
        target=current,
        # Which parts changed, never what they say.
        summary=f"Record changed: {', '.join(changed)}",
        changes={"flags": flags, "changed": changed},
    )
    _raise_concerns(current, added, actor)
    _tell_other_parties(current, people, author, "changed")
    return current


def _changed(current: Record) -> RecordChanged:
    local = timezone.localtime(current.updated_at)
    return RecordChanged(
        f"{current.updated_by_label} saved this record at {local:%H:%M} on "
        f"{local:%d %B} while you were editing it (they changed: {current.last_change}). "
        "Nothing you entered has been saved yet: your text is still in the form below. Compare "
        "it with the saved record, then save again."
    )


# Break-glass --------------------------------------------------------------------------------------


@sensitive_variables()
@transaction.atomic
def record_break_glass(
    *, record: Record, person: Person, actor: User | None, reason: str, details: str
) -> BreakGlass:
    """Open a record one may not normally read, for a stated safeguarding reason.

    The access lasts an hour and every read in it is logged as safeguarding access. The parties
    are told that the record was opened for a safeguarding reason, when and by whom; not the
    reason itself, which could warn someone a child or adult is being protected from.
    """
    if reason not in SafeguardingReason.values:
        raise ValidationError({"reason": "Choose the risk: to a child or to an adult."})
    if len(details.strip()) < MIN_REASON:
        raise ValidationError(
            {
                "details": f"Describe the safeguarding concern in a sentence or two (at least "
                f"{MIN_REASON} characters): it is kept for the organisation's admins."
            }
        )
    if len(details) > MAX_ACTION:
        raise ValidationError({"details": f"Keep it under {MAX_ACTION:,} characters."})
    now = timezone.now()
    grant = BreakGlass.objects.create(
        organisation_id=record.organisation_id,
        record=record,
        person=person,
        reason=reason,
        details=details.strip(),
        expires_at=now + timedelta(minutes=BREAK_GLASS_MINUTES),
        created_by=actor,
    )
    audit_record(
        organisation=record.relationship.scheme.organisation,
        actor=actor,
        action="record.break_glass",
        target=record,
        summary=f"Opened for a safeguarding reason ({SafeguardingReason(reason).label.lower()})",
        changes={"reason": reason, "break_glass_id": grant.pk},
    )
    for party in _participants(record.relationship):
        notify(
            person=party,
            kind="record.break_glass",
            title="A meeting record of yours was opened for a safeguarding reason",
            body=(
                f"{person.full_name}, a coordinator, opened the record of your meeting on "
                f"{when(record.meeting.starts_at)} on {when(now)} for a safeguarding reason. "
                "PeerCircle's confidentiality statement allows this only where a child or an "
                "adult may be at risk. You can see every time your records were opened on the "
                "record's page."
            ),
            link=reverse("records:detail", args=[record.pk]),
            dedupe_key=f"break_glass:{grant.pk}:{party.pk}",
        )
    return grant


# Retention ---------------------------------------------------------------------------------------


def retention_cutoff(organisation: Organisation, today: date) -> date:
    """Relationships that ended before this date have passed the retention period."""
    return months_before(today, organisation.retention_months)


def records_erase_expired(*, today: date, batch_size: int = 500) -> int:
    """Erase the text of records whose relationship ended more than the organisation's retention
    period ago; keep that the record existed, its date and its flags. Returns how many.

    Runs across organisations (with scopes disabled) in batches, each in its own transaction.
    """
    erased = 0
    for organisation in Organisation.objects.order_by("pk"):
        cutoff = retention_cutoff(organisation, today)
        due = Record.objects.filter(
            organisation=organisation,
            text_erased_at__isnull=True,
            relationship__status=Status.ENDED,
            relationship__ended_on__lt=cutoff,
        ).order_by("pk")
        while True:
            ids = list(due.values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            erased += _erase(organisation, ids)
    return erased


@transaction.atomic
def _erase(organisation: Organisation, ids: list[int]) -> int:
    now = timezone.now()
    count = Record.objects.filter(pk__in=ids, text_erased_at__isnull=True).update(
        discussion="", helpful="", not_helpful="", text_erased_at=now
    )
    ActionItem.objects.filter(record_id__in=ids).update(text="")
    BreakGlass.objects.filter(record_id__in=ids).update(details="")
    audit_record_many(
        audit_event(
            organisation=organisation,
            actor=None,
            action="record.erase",
            target=record,
            summary="Record text deleted at the end of the retention period",
            source="task",
        )
        for record in Record.objects.filter(pk__in=ids).only("pk", "organisation_id")
    )
    return count
