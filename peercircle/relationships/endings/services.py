"""Endings, asking for a different supporter, disagreements, exit feedback and the prompts
before planned endings (handbook §9, §10; 002: taking part is voluntary).

Notifications say that something happened, never why or what was written.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

import structlog
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from peercircle.audit.services import audit_record
from peercircle.notifications.services import notify
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people.models import Person
from peercircle.relationships.choices import EndReason, Status
from peercircle.relationships.endings.feedback import QUESTIONS, form_for
from peercircle.relationships.endings.models import (
    Disagreement,
    DisagreementOutcome,
    DisagreementStatus,
    ExitFeedback,
)
from peercircle.relationships.models import Participant, Relationship
from peercircle.relationships.selectors import coordinators_of, relationships_ending_soon
from peercircle.relationships.services import _event, relationship_end
from peercircle.relationships.versioning import actor_label, update_versioned

if TYPE_CHECKING:
    from peercircle.accounts.models import User

log = structlog.get_logger("peercircle.relationships")

MAX_TEXT = 5000


def _participants(relationship: Relationship) -> list[Participant]:
    return list(
        Participant.objects.filter(relationship=relationship)
        .select_related("person")
        .order_by("-side", "person_id")
    )


def _others(participants: Sequence[Participant], person: Person) -> str:
    names = [p.person.full_name for p in participants if p.person_id != person.pk]
    return " and ".join(names) or "your partner"


def _clean_text(text: str, what: str, *, required: bool) -> str:
    cleaned = (text or "").strip().replace("\r\n", "\n")
    if required and not cleaned:
        raise ValidationError(f"Write {what}.")
    if len(cleaned) > MAX_TEXT:
        raise ValidationError(f"Keep {what} under {MAX_TEXT} characters; it is {len(cleaned)} now.")
    return cleaned


@transaction.atomic
def relationship_close(
    *,
    relationship: Relationship,
    reason: str,
    actor: User | None,
    expected_version: int,
    requeue: Sequence[Person] = (),
    ended_on: date | None = None,
) -> Relationship:
    """End the relationship (``relationship_end``) and ask each party for their feedback."""
    relationship_end(
        relationship=relationship,
        reason=reason,
        actor=actor,
        expected_version=expected_version,
        requeue=requeue,
        ended_on=ended_on,
    )
    participants = _participants(relationship)
    link = reverse("relationships:feedback", args=[relationship.pk])
    for participant in participants:
        notify(
            person=participant.person,
            kind="relationship.ended",
            title=f"Your relationship with {_others(participants, participant.person)} has ended",
            body="It has come to an end; this is nobody's failure. Please tell us how it went: "
            "your feedback helps the scheme, and only the coordinators read it.",
            link=link,
            dedupe_key=f"ended:{relationship.pk}:{participant.person_id}",
        )
    return relationship


@transaction.atomic
def relationship_ask_for_change(
    *, relationship: Relationship, person: Person, actor: User | None
) -> Relationship:
    """``person`` asks for a different supporter (or peer): the relationship ends without
    fault, everyone in it waits for a new match, and the pair is never proposed again.

    Always honoured while the relationship has not ended, whatever else changed meanwhile.
    """
    locked = (
        Relationship.objects.select_for_update().select_related("scheme").get(pk=relationship.pk)
    )
    participants = _participants(locked)
    if person.pk not in {p.person_id for p in participants}:
        raise ValidationError("Only the people in this relationship can ask for a change.")
    if locked.status == Status.ENDED:
        raise ValidationError("This relationship has already ended.")
    relationship_close(
        relationship=locked,
        reason=EndReason.CHANGE_ASKED,
        actor=actor,
        expected_version=locked.version,
        requeue=[p.person for p in participants],
    )
    link = reverse("relationships:detail", args=[locked.pk])
    for coordinator in coordinators_of(locked.scheme):
        notify(
            person=coordinator,
            kind="relationship.change_asked",
            title=f"{person.full_name} asked for a different match in {locked.scheme.name}",
            body="The relationship has ended without fault, and its people are waiting for a "
            "new match. The pair will not be proposed again.",
            link=link,
            dedupe_key=f"change:{locked.pk}:{coordinator.pk}",
        )
    relationship.refresh_from_db()
    return locked


@transaction.atomic
def disagreement_record(
    *, relationship: Relationship, raised_by: Person, description: str, actor: User | None
) -> Disagreement:
    """Record a disagreement (or a conflict of interest); the coordinators are told that one was
    recorded, not what it says."""
    locked = (
        Relationship.objects.select_for_update().select_related("scheme").get(pk=relationship.pk)
    )
    if locked.status == Status.ENDED:
        raise ValidationError("This relationship has ended: there is nothing left to resolve.")
    text = _clean_text(description, "what the disagreement is about", required=True)
    disagreement = Disagreement.objects.create(
        organisation_id=locked.organisation_id,
        relationship=locked,
        raised_by=raised_by,
        description=text,
        last_change=f"{raised_by.full_name} recorded it",
        last_change_at=timezone.now(),
    )
    summary = f"Disagreement recorded by {raised_by.full_name}"
    _event(locked, actor=actor, action="disagreement", summary=summary)
    audit_record(
        organisation=locked.scheme.organisation,
        actor=actor,
        action="disagreement.record",
        target=disagreement,
        summary=summary,
    )
    link = reverse("relationships:disagreement", args=[disagreement.pk])
    for coordinator in coordinators_of(locked.scheme):
        if coordinator.pk == raised_by.pk:
            continue
        notify(
            person=coordinator,
            kind="disagreement.recorded",
            title=f"A disagreement was recorded in {locked.scheme.name}",
            body="Open it in PeerCircle to read it and, if needed, arrange a three-way meeting.",
            link=link,
            dedupe_key=f"disagreement:{disagreement.pk}:{coordinator.pk}",
        )
    return disagreement


@transaction.atomic
def disagreement_arrange_meeting(
    *,
    disagreement: Disagreement,
    meeting_on: date,
    meeting_with: str,
    actor: User | None,
    expected_version: int,
) -> Disagreement:
    """Set (or move) the three-way meeting; the parties are told its date."""
    if disagreement.status == DisagreementStatus.CLOSED:
        raise ValidationError("The outcome of this disagreement is recorded already.")
    others = _clean_text(meeting_with, "who else attends", required=False)[:200]
    change = f"{actor_label(actor)} set the three-way meeting for {meeting_on:%d %B %Y}"
    update_versioned(
        disagreement,
        expected_version=expected_version,
        what="disagreement",
        change=change,
        status=DisagreementStatus.MEETING,
        meeting_on=meeting_on,
        meeting_with=others,
    )
    relationship = disagreement.relationship
    _event(relationship, actor=actor, action="disagreement", summary=change)
    audit_record(
        organisation=relationship.scheme.organisation,
        actor=actor,
        action="disagreement.meeting",
        target=disagreement,
        summary=change,
    )
    link = reverse("relationships:disagreement", args=[disagreement.pk])
    for participant in _participants(relationship):
        notify(
            person=participant.person,
            kind="disagreement.meeting",
            title=f"A three-way meeting on {meeting_on:%d %B %Y}",
            body="Your coordinator has arranged a meeting with both of you to talk things through.",
            link=link,
            dedupe_key=f"meeting:{disagreement.pk}:{meeting_on}:{participant.person_id}",
        )
    return disagreement


@transaction.atomic
def disagreement_close(
    *,
    disagreement: Disagreement,
    outcome: str,
    outcome_notes: str,
    actor: User | None,
    expected_version: int,
) -> Disagreement:
    """Record how the disagreement ended. "Best to end" does not end the relationship by itself:
    the coordinator then ends it with a reason."""
    if outcome not in DisagreementOutcome.values:
        raise ValidationError("Choose one of the listed outcomes.")
    if disagreement.status == DisagreementStatus.CLOSED:
        raise ValidationError("The outcome of this disagreement is recorded already.")
    notes = _clean_text(outcome_notes, "the outcome notes", required=False)
    label = DisagreementOutcome(outcome).label
    change = f"{actor_label(actor)} recorded the outcome: {label.lower()}"
    update_versioned(
        disagreement,
        expected_version=expected_version,
        what="disagreement",
        change=change,
        status=DisagreementStatus.CLOSED,
        outcome=outcome,
        outcome_notes=notes,
        closed_on=timezone.localdate(),
    )
    relationship = disagreement.relationship
    _event(relationship, actor=actor, action="disagreement", summary=f"Disagreement: {label}")
    audit_record(
        organisation=relationship.scheme.organisation,
        actor=actor,
        action="disagreement.close",
        target=disagreement,
        summary=f"Outcome: {label}",
    )
    return disagreement


def _yes_no(value: str | bool | None) -> bool | None:
    if value in (True, "yes"):
        return True
    if value in (False, "no"):
        return False
    return None


@transaction.atomic
def exit_feedback_submit(
    *,
    relationship: Relationship,
    person: Person,
    usefulness: int,
    answers: dict[str, str],
    would_again: str | bool | None,
    would_recommend: str | bool | None,
    actor: User | None,
) -> ExitFeedback:
    """A party's feedback, once, when the relationship is ending or has ended."""
    participant = Participant.objects.filter(relationship=relationship, person=person).first()
    if participant is None:
        raise ValidationError("Only the people in this relationship give its exit feedback.")
    if relationship.status not in (Status.ENDING, Status.ENDED):
        raise ValidationError("Exit feedback is for when the relationship is ending or has ended.")
    if not 1 <= usefulness <= 5:
        raise ValidationError("Choose how useful it was, from 1 to 5.")
    existing = ExitFeedback.objects.filter(relationship=relationship, person=person).first()
    if existing is not None:
        raise ValidationError(
            f"You sent your feedback on {timezone.localtime(existing.submitted_at):%d %B %Y}; "
            "thank you. It cannot be changed."
        )
    form = form_for(participant.side)
    keys = [key for key, _ in QUESTIONS[form].texts]
    texts = {k: _clean_text(answers.get(k, ""), "each answer", required=False) for k in keys}
    try:
        with transaction.atomic():
            feedback = ExitFeedback.objects.create(
                organisation_id=relationship.organisation_id,
                relationship=relationship,
                person=person,
                form=form,
                usefulness=usefulness,
                would_again=_yes_no(would_again),
                would_recommend=_yes_no(would_recommend),
                answers=json.dumps(texts),
            )
    except IntegrityError:
        raise ValidationError(
            "Your feedback was sent a moment ago, from another window or device; thank you. "
            "It cannot be changed."
        ) from None
    summary = f"{person.full_name} gave exit feedback"
    _event(relationship, actor=actor, action="feedback", summary=summary)
    audit_record(
        organisation=relationship.scheme.organisation,
        actor=actor,
        action="feedback.submit",
        target=relationship,
        summary=summary,
    )
    return feedback


def ending_prompts_send(*, today: date) -> int:
    """Prompt both parties and the scheme's coordinators once about each planned ending that is
    near (or past); returns how many relationships were prompted.

    Each relationship is claimed with a conditional UPDATE before anyone is told, so two
    workers running this at once prompt each relationship once; the notifications' dedupe keys
    make a retried job harmless too. Moving the planned end prompts again for the new date.
    """
    prompted = 0
    coordinators: dict[int, list[Person]] = {}
    with scopes_disabled():
        due = relationships_ending_soon(today).exclude(ending_prompt_for=F("planned_end_on"))
        for relationship in due:
            with transaction.atomic():
                claimed = (
                    Relationship.objects.filter(
                        pk=relationship.pk, planned_end_on=relationship.planned_end_on
                    )
                    .exclude(ending_prompt_for=F("planned_end_on"))
                    .update(ending_prompt_for=F("planned_end_on"))
                )
                if not claimed:
                    continue  # another worker got there first, or the date moved meanwhile
                if relationship.scheme_id not in coordinators:
                    coordinators[relationship.scheme_id] = coordinators_of(relationship.scheme)
                _prompt(relationship, today, coordinators[relationship.scheme_id])
                prompted += 1
    log.info("relationships.ending_prompts", prompted=prompted, today=today.isoformat())
    return prompted


def _prompt(relationship: Relationship, today: date, coordinators: list[Person]) -> None:
    end = relationship.planned_end_on
    if end is None:  # pragma: no cover (the selector only returns planned ends)
        return
    when = f"on {end:%d %B %Y}" if end >= today else f"on {end:%d %B %Y}, which has passed"
    link = reverse("relationships:detail", args=[relationship.pk])
    participants = list(relationship.participants.all())
    key = f"ending:{relationship.pk}:{end.isoformat()}"
    for participant in participants:
        notify(
            person=participant.person,
            kind="relationship.ending_soon",
            title=f"Your relationship with {_others(participants, participant.person)} is "
            f"planned to end {when}",
            body="Use your next meetings to look back at your goals and plan the ending "
            "together. If you would both like to go on, ask your coordinator.",
            link=link,
            dedupe_key=f"{key}:{participant.person_id}",
        )
    names = " and ".join(p.person.full_name for p in participants)
    for coordinator in coordinators:
        notify(
            person=coordinator,
            kind="relationship.ending_soon",
            title=f"The relationship of {names} is planned to end {when}",
            body="Plan the ending with them: end it, or move the planned end if it goes on.",
            link=link,
            dedupe_key=f"{key}:{coordinator.pk}",
        )
    summary = f"Prompted: planned end {when}"
    _event(relationship, actor=None, action="ending_prompt", summary=summary)
