"""Allegations (handbook §12): recording one pauses the subject's relationships at once; the
outcome resumes or ends each of them; a supporter can be appointed for a carer under
investigation.

What is said about the subject never leaves this module: the history of a paused relationship
reads "Paused" as for any pause, and the other parties are told only that it is paused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Literal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from peercircle.audit.services import audit_record
from peercircle.notifications.services import notify
from peercircle.people.models import Person
from peercircle.relationships.allegations.models import (
    Allegation,
    AllegationPause,
    AllegationStatus,
    PauseOutcome,
)
from peercircle.relationships.choices import WORKING, EndReason, Purpose, Side, Status
from peercircle.relationships.endings.services import relationship_close
from peercircle.relationships.models import Participant, Relationship
from peercircle.relationships.services import relationship_create, relationship_transition
from peercircle.relationships.versioning import actor_label, update_versioned
from peercircle.schemes.models import Scheme

if TYPE_CHECKING:
    from peercircle.accounts.models import User

Decision = Literal["resume", "end"]
PAUSE_SUMMARY = "Paused by the coordinator"


def _clean(text: str, what: str, limit: int) -> str:
    cleaned = (text or "").strip()
    if len(cleaned) > limit:
        raise ValidationError(f"Keep {what} under {limit} characters; it is {len(cleaned)} now.")
    return cleaned


def paused_by_allegation(person: Person) -> list[Relationship]:
    """The subject's relationships that an allegation should pause: those in which they work
    with someone, except the support they receive while under investigation."""
    theirs = Participant.objects.filter(relationship=OuterRef("pk"), person=person)
    supported = theirs.filter(side=Side.SUPPORTED)
    relationships = Relationship.objects.filter(Exists(theirs), status__in=WORKING).exclude(
        Q(purpose=Purpose.INVESTIGATION) & Q(Exists(supported))
    )
    return list(relationships.select_related("scheme").order_by("id"))


@transaction.atomic
def allegation_record(
    *,
    subject: Person,
    received_on: date,
    reference: str,
    notes: str,
    actor: User | None,
) -> Allegation:
    """Record an allegation about ``subject`` and pause their relationships at once.

    The pause is committed with the allegation, so the subject's very next request finds the
    relationships paused: the ``work`` gate refuses meetings and records from then on.
    """
    reference = _clean(reference, "the reference", 100)
    if not reference:
        raise ValidationError("Give the organisation's reference for the allegation.")
    if received_on > timezone.localdate():
        raise ValidationError("The date the allegation was received cannot be in the future.")
    allegation = Allegation.objects.create(
        organisation_id=subject.organisation_id,
        subject=subject,
        received_on=received_on,
        reference=reference,
        notes=_clean(notes, "the notes", 5000),
        created_by=actor,
        last_change=f"{actor_label(actor)} recorded it",
        last_change_at=timezone.now(),
    )
    relationships = paused_by_allegation(subject)
    for relationship in relationships:
        locked = Relationship.objects.select_for_update().get(pk=relationship.pk)
        relationship_transition(
            relationship=locked,
            to_status=Status.SUSPENDED,
            actor=actor,
            expected_version=locked.version,
            summary=PAUSE_SUMMARY,
        )
        AllegationPause.objects.create(
            organisation_id=subject.organisation_id, allegation=allegation, relationship=locked
        )
        _tell_others(locked, subject, allegation, "paused")
    audit_record(
        organisation=subject.organisation,
        actor=actor,
        action="allegation.record",
        target=allegation,
        summary=f"Allegation recorded about {subject.full_name}; "
        f"{len(relationships)} relationship{'s' if len(relationships) != 1 else ''} paused",
    )
    return allegation


def _tell_others(
    relationship: Relationship, subject: Person, allegation: Allegation, what: str
) -> None:
    """Tell the other parties what happened to the relationship, never why."""
    link = reverse("relationships:detail", args=[relationship.pk])
    texts = {
        "paused": (
            f"Your relationship with {subject.full_name} is paused",
            "Your coordinator has paused it for now, so meetings and records wait. They will "
            "be in touch; you can contact them at any time.",
        ),
        "resumed": (
            f"Your relationship with {subject.full_name} has resumed",
            "You can book meetings and write records again.",
        ),
    }
    title, body = texts[what]
    others = Participant.objects.filter(relationship=relationship).exclude(person=subject)
    for participant in others.select_related("person"):
        notify(
            person=participant.person,
            kind=f"relationship.{what}",
            title=title,
            body=body,
            link=link,
            dedupe_key=f"{what}:{allegation.pk}:{relationship.pk}:{participant.person_id}",
        )


@transaction.atomic
def allegation_conclude(
    *,
    allegation: Allegation,
    decisions: Mapping[int, Decision],
    concluded_on: date,
    outcome_notes: str,
    actor: User | None,
    expected_version: int,
) -> Allegation:
    """Record the outcome: each paused relationship (by id in ``decisions``) resumes or ends.

    Ending requeues the other parties for a new match. The reason they see is "Circumstances
    changed": "after an investigation" would tell them what the pause was about. A relationship
    that ended meanwhile is noted as such.
    """
    if allegation.status != AllegationStatus.OPEN:
        raise ValidationError("The outcome of this allegation is recorded already.")
    if concluded_on > timezone.localdate():
        raise ValidationError("The date of the outcome cannot be in the future.")
    if concluded_on < allegation.received_on:
        raise ValidationError("The outcome cannot come before the allegation was received.")
    pauses = list(
        AllegationPause.objects.filter(allegation=allegation, outcome=PauseOutcome.PENDING)
        .select_related("relationship__scheme")
        .order_by("id")
    )
    missing = [p.relationship_id for p in pauses if decisions.get(p.relationship_id) is None]
    if missing:
        raise ValidationError(
            "Choose whether each paused relationship resumes or ends (relationship "
            + ", ".join(str(m) for m in missing)
            + ")."
        )
    update_versioned(
        allegation,
        expected_version=expected_version,
        what="allegation",
        change=f"{actor_label(actor)} recorded the outcome",
        status=AllegationStatus.CONCLUDED,
        concluded_on=concluded_on,
        outcome_notes=_clean(outcome_notes, "the outcome notes", 5000),
    )
    subject = allegation.subject
    for pause in pauses:
        relationship = Relationship.objects.select_for_update().get(pk=pause.relationship_id)
        if relationship.status == Status.ENDED:
            outcome = PauseOutcome.ALREADY_ENDED
        elif decisions[pause.relationship_id] == "resume":
            relationship_transition(
                relationship=relationship,
                to_status=Status.ACTIVE,
                actor=actor,
                expected_version=relationship.version,
                summary="Resumed by the coordinator",
            )
            _tell_others(relationship, subject, allegation, "resumed")
            outcome = PauseOutcome.RESUMED
        else:
            others = [
                p.person
                for p in relationship.participants.select_related("person")
                if p.person_id != subject.pk
            ]
            relationship_close(
                relationship=relationship,
                reason=EndReason.CIRCUMSTANCES,
                actor=actor,
                expected_version=relationship.version,
                requeue=others,
            )
            outcome = PauseOutcome.ENDED
        pause.outcome = outcome
        pause.decided_at = timezone.now()
        pause.save(update_fields=["outcome", "decided_at"])
    audit_record(
        organisation=subject.organisation,
        actor=actor,
        action="allegation.conclude",
        target=allegation,
        summary=f"Outcome of the allegation about {subject.full_name} recorded",
    )
    return allegation


def allegation_appoint_support(
    *, allegation: Allegation, supporter: Person, scheme: Scheme, actor: User | None
) -> Relationship:
    """Appoint ``supporter`` to support the subject while the allegation is investigated."""
    if allegation.status != AllegationStatus.OPEN:
        raise ValidationError("The allegation is concluded: support during it is no longer needed.")
    if supporter.pk == allegation.subject_id:
        raise ValidationError("Choose someone other than the person the allegation is about.")
    return relationship_create(
        scheme=scheme,
        members=[(supporter, Side.SUPPORTER), (allegation.subject, Side.SUPPORTED)],
        purpose=Purpose.INVESTIGATION,
        actor=actor,
    )
