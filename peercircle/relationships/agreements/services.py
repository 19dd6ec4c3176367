"""Writes to agreements: the scheme's template, versions of a relationship's agreement, the
parties' acceptances and their confidentiality statements. Atomic and audited; no agreement
text ever reaches the history, the audit trail or a notification."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from peercircle.audit.services import audit_record
from peercircle.notifications.services import notify
from peercircle.people.models import Person
from peercircle.relationships.agreements.models import (
    AgreementAcceptance,
    AgreementTemplate,
    AgreementVersion,
    ConfidentialityStatement,
)
from peercircle.relationships.agreements.texts import (
    CONFIDENTIALITY_STATEMENT,
    SECTIONS,
    complete,
    default_sections,
)
from peercircle.relationships.choices import WORKING, Status
from peercircle.relationships.models import Participant, Relationship
from peercircle.relationships.services import ConcurrentChange, _event
from peercircle.relationships.versioning import actor_label, changed_since, update_versioned
from peercircle.schemes.models import Scheme

if TYPE_CHECKING:
    from peercircle.accounts.models import User

MAX_SECTION = 5000


def template_sections(scheme: Scheme) -> tuple[dict[str, str], int]:
    """The scheme's agreement template and its version (0: the scheme type's default text)."""
    template = AgreementTemplate.objects.filter(scheme=scheme).first()
    if template is None:
        return complete(default_sections(scheme.scheme_type)), 0
    return complete(template.sections), template.version


def _clean_sections(sections: dict[str, str]) -> dict[str, str]:
    cleaned = complete({k: (v or "").strip().replace("\r\n", "\n") for k, v in sections.items()})
    too_long = [s.title for s in SECTIONS if len(cleaned[s.key]) > MAX_SECTION]
    if too_long:
        raise ValidationError(
            f"Keep each section under {MAX_SECTION} characters; shorten: {', '.join(too_long)}."
        )
    if not any(cleaned.values()):
        raise ValidationError("Write at least one section of the agreement.")
    return cleaned


@transaction.atomic
def agreement_template_save(
    *, scheme: Scheme, sections: dict[str, str], actor: User | None, expected_version: int
) -> AgreementTemplate:
    """Replace the scheme's template; ``expected_version`` 0 means the default text was seen."""
    cleaned = _clean_sections(sections)
    change = f"{actor_label(actor)} saved the agreement template"
    template = AgreementTemplate.objects.select_for_update().filter(scheme=scheme).first()
    if template is None:
        if expected_version != 0:
            raise ConcurrentChange("The template was reset meanwhile; reload it and try again.")
        try:
            with transaction.atomic():
                template = AgreementTemplate.objects.create(
                    organisation_id=scheme.organisation_id,
                    scheme=scheme,
                    sections=cleaned,
                    updated_by=actor,
                    last_change=change,
                    last_change_at=timezone.now(),
                )
        except IntegrityError:
            # Someone saved the first template at the same moment.
            template = AgreementTemplate.objects.get(scheme=scheme)
            raise changed_since(template, "agreement template") from None
    else:
        update_versioned(
            template,
            expected_version=expected_version,
            what="agreement template",
            change=change,
            sections=cleaned,
            updated_by=actor,
        )
    audit_record(
        organisation=scheme.organisation,
        actor=actor,
        action="agreement_template.save",
        target=scheme,
        summary=f"Agreement template of {scheme.name} saved",
    )
    return template


def agreement_current(relationship: Relationship) -> AgreementVersion | None:
    return AgreementVersion.objects.filter(relationship=relationship).order_by("-number").first()


def agreement_draft(relationship: Relationship) -> tuple[dict[str, str], int]:
    """What the edit form starts from, and the version it is based on (0: none yet)."""
    current = agreement_current(relationship)
    if current is not None:
        return complete(current.sections), current.number
    sections, _ = template_sections(relationship.scheme)
    return sections, 0


def _parties(relationship: Relationship) -> list[Person]:
    return [
        p.person
        for p in Participant.objects.filter(relationship=relationship).select_related("person")
    ]


@transaction.atomic
def agreement_revise(
    *,
    relationship: Relationship,
    sections: dict[str, str],
    actor: User | None,
    based_on: int,
) -> AgreementVersion:
    """Save a new version of the agreement; every party must accept it again.

    ``based_on`` is the version the writer started from: if someone saved another version
    meanwhile, nothing is saved and the writer is told who did it.
    """
    locked = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if locked.status == Status.ENDED:
        raise ValidationError("This relationship has ended: its agreement can no longer change.")
    cleaned = _clean_sections(sections)
    current = agreement_current(locked)
    latest = current.number if current is not None else 0
    if latest != based_on:
        if current is None:  # pragma: no cover (latest > 0 means a current version)
            raise ConcurrentChange("The agreement changed meanwhile; reload it.")
        raise ConcurrentChange(
            f"{current.created_by_label} saved version {current.number} of the agreement at "
            f"{timezone.localtime(current.created_at):%H:%M} while you were writing. Your text "
            f"was not saved; it is still in the form. Compare it with version {current.number} "
            "and save again."
        )
    if current is not None and complete(current.sections) == cleaned:
        raise ValidationError(f"Nothing has changed: version {latest} stays as it is.")
    number = latest + 1
    try:
        with transaction.atomic():
            version = AgreementVersion.objects.create(
                organisation_id=locked.organisation_id,
                relationship=locked,
                number=number,
                content=json.dumps(cleaned),
                created_by=actor,
                created_by_label=actor_label(actor),
            )
    except IntegrityError:
        raise ConcurrentChange(
            f"Someone saved version {number} of the agreement at the same moment. Your text was "
            "not saved; it is still in the form. Compare and save again."
        ) from None
    _event(locked, actor=actor, action="agreement", summary=f"Agreement version {number} written")
    audit_record(
        organisation=locked.scheme.organisation,
        actor=actor,
        action="agreement.revise",
        target=locked,
        summary=f"Agreement version {number} written",
    )
    link = reverse("relationships:agreement", args=[locked.pk])
    for person in _parties(locked):
        if actor is not None and person.user_id == actor.pk:
            continue
        notify(
            person=person,
            kind="agreement.version",
            title="Your agreement has a new version to read and accept",
            body=f"Version {number} of your agreement is ready. Please read it and accept it.",
            link=link,
            dedupe_key=f"agreement:{locked.pk}:{number}:{person.pk}",
        )
    return version


@transaction.atomic
def agreement_accept(
    *, relationship: Relationship, person: Person, number: int, actor: User | None
) -> AgreementAcceptance:
    """``person`` accepts version ``number``: only the current version can be accepted."""
    locked = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if not Participant.objects.filter(relationship=locked, person=person).exists():
        raise ValidationError("Only the people in this relationship can accept its agreement.")
    if locked.status not in WORKING:
        raise ValidationError(
            f"This relationship is {locked.get_status_display().lower()}: its agreement cannot "
            "be accepted now."
        )
    current = agreement_current(locked)
    if current is None:
        raise ValidationError("There is no agreement to accept yet: write it first.")
    if number != current.number:
        when = timezone.localtime(current.created_at)
        raise ValidationError(
            f"Version {number} is no longer the agreement: {current.created_by_label} replaced "
            f"it with version {current.number} on {when:%d %B %Y at %H:%M}. Read version "
            f"{current.number} and accept that one."
        )
    existing = AgreementAcceptance.objects.filter(version=current, person=person).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            acceptance = AgreementAcceptance.objects.create(
                organisation_id=locked.organisation_id, version=current, person=person
            )
    except IntegrityError:
        # The same person accepted from a second device at the same moment.
        return AgreementAcceptance.objects.get(version=current, person=person)
    summary = f"{person.full_name} accepted agreement version {current.number}"
    _event(locked, actor=actor, action="agreement_accepted", summary=summary)
    audit_record(
        organisation=locked.scheme.organisation,
        actor=actor,
        action="agreement.accept",
        target=locked,
        summary=summary,
    )
    return acceptance


@transaction.atomic
def statement_sign(
    *, relationship: Relationship, person: Person, actor: User | None
) -> ConfidentialityStatement:
    """``person`` signs the confidentiality statement for this relationship (once)."""
    locked = Relationship.objects.select_for_update().get(pk=relationship.pk)
    if not Participant.objects.filter(relationship=locked, person=person).exists():
        raise ValidationError("Only the people in this relationship sign its statement.")
    if locked.status not in WORKING:
        raise ValidationError(
            f"This relationship is {locked.get_status_display().lower()}: the statement cannot "
            "be signed now."
        )
    statement, created = ConfidentialityStatement.objects.get_or_create(
        relationship=locked,
        person=person,
        defaults={"organisation_id": locked.organisation_id, "wording": CONFIDENTIALITY_STATEMENT},
    )
    if created:
        summary = f"{person.full_name} signed the confidentiality statement"
        _event(locked, actor=actor, action="confidentiality", summary=summary)
        audit_record(
            organisation=locked.scheme.organisation,
            actor=actor,
            action="confidentiality.sign",
            target=locked,
            summary=summary,
        )
    return statement
