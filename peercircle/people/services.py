"""Writes to people, memberships, recruitment, training and invitations.

Each service is keyword-only, atomic, validates before it writes and leaves an audit event.
Invalid input raises ``ValidationError`` and changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from peercircle.accounts.models import User
from peercircle.audit.services import audit_record
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.people.models import (
    Application,
    Invitation,
    Membership,
    Person,
    RecruitmentRecord,
    SensitiveProfile,
    TrainingRecord,
)
from peercircle.schemes.choices import PARTICIPATING, RecruitmentStep, Role, SchemeType, Status
from peercircle.schemes.models import Scheme

PERSON_FIELDS = (
    "external_id",
    "given_name",
    "family_name",
    "email",
    "phone",
    "category",
    "approved_on",
    "active_experience_months",
    "supervisor",
    "languages",
    "work_types",
    "experience",
    "needs",
    "background",
    "place",
    "latitude",
    "longitude",
    "travel_limit",
    "working_hours",
    "personality",
    "learning_style",
    "on_probation",
    "probation_ends",
    "is_org_admin",
)
SENSITIVE_FIELDS = ("gender", "gender_preference", "ethnicity", "culture", "relationship_status")


def _check_person(person: Person) -> None:
    person.full_clean(exclude=["organisation", "user", "supervisor"])
    if (
        person.supervisor is not None
        and person.supervisor.organisation_id != person.organisation_id
    ):
        raise ValidationError(
            {"supervisor": "The supervisor must belong to the same organisation."}
        )
    if person.supervisor_id is not None and person.supervisor_id == person.pk:
        raise ValidationError({"supervisor": "A person cannot supervise themselves."})
    if person.email:
        clash = Person.objects.filter(
            organisation_id=person.organisation_id, email__iexact=person.email
        ).exclude(pk=person.pk)
        if clash.exists():
            raise ValidationError({"email": "Another person already uses this e-mail address."})
    if person.external_id:
        clash = Person.objects.filter(
            organisation_id=person.organisation_id, external_id=person.external_id
        ).exclude(pk=person.pk)
        if clash.exists():
            raise ValidationError({"external_id": "Another person already has this ID."})


def waits_for_match(scheme: Scheme, role: str) -> bool:
    """Whether someone in ``role`` waits in the queue for a match, a pair or a group."""
    if scheme.scheme_type == SchemeType.MENTORING:
        return role == Role.MENTEE
    if scheme.scheme_type in (SchemeType.GROUPS, SchemeType.TEAMS):
        return role == Role.PEER
    return False


@transaction.atomic
def person_create(
    *,
    organisation: Organisation,
    actor: User | None,
    data: dict[str, Any],
    sensitive: dict[str, Any] | None = None,
    source: str = "page",
) -> Person:
    unknown = set(data) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    person = Person(organisation=organisation, **data)
    if person.email:
        person.email = person.email.strip().lower()
    _check_person(person)
    person.save()
    if sensitive:
        sensitive_update(person=person, actor=actor, changes=sensitive, source=source, audit=False)
    audit_record(
        organisation=organisation,
        actor=actor,
        action="person.create",
        target=person,
        summary=f"Added {person.full_name}",
        source=source,
    )
    return person


@transaction.atomic
def person_update(
    *, person: Person, actor: User | None, changes: dict[str, Any], source: str = "page"
) -> Person:
    unknown = set(changes) - set(PERSON_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown person fields: {', '.join(sorted(unknown))}.")
    before = {f: getattr(person, f) for f in changes}
    for field, value in changes.items():
        setattr(person, field, value)
    if person.email:
        person.email = person.email.strip().lower()
    _check_person(person)
    changed = [f for f in changes if before[f] != getattr(person, f)]
    if not changed:
        return person
    person.save(update_fields=[*changed, "updated_at"])
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="person.update",
        target=person,
        summary=f"Changed {', '.join(changed)} of {person.full_name}",
        source=source,
        # Field names only: values may be personal.
        changes={"fields": changed},
    )
    return person


@transaction.atomic
def sensitive_update(
    *,
    person: Person,
    actor: User | None,
    changes: dict[str, Any],
    source: str = "page",
    audit: bool = True,
) -> SensitiveProfile:
    unknown = set(changes) - set(SENSITIVE_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown sensitive fields: {', '.join(sorted(unknown))}.")
    profile = SensitiveProfile.objects.filter(person=person).first() or SensitiveProfile(
        organisation=person.organisation, person=person
    )
    for field, value in changes.items():
        setattr(profile, field, value)
    profile.full_clean(exclude=["organisation", "person"])
    profile.save()
    if audit:
        audit_record(
            organisation=person.organisation,
            actor=actor,
            action="person.sensitive",
            target=person,
            summary=f"Changed sensitive details of {person.full_name}",
            changes={"fields": sorted(changes)},
            source=source,
        )
    return profile


@transaction.atomic
def membership_add(
    *,
    person: Person,
    scheme: Scheme,
    role: str,
    actor: User | None,
    status: str = Status.APPLICANT,
    joined_on: date | None = None,
    source: str = "page",
) -> Membership:
    if scheme.organisation_id != person.organisation_id:
        raise ValidationError("The person and the scheme belong to different organisations.")
    if role not in scheme.roles:
        raise ValidationError(
            f"A {scheme.get_scheme_type_display()} scheme has no "
            f"{Role(role).label.lower()} role. Choose one of: "
            f"{', '.join(Role(r).label.lower() for r in scheme.roles)}."
        )
    if Membership.objects.filter(person=person, scheme=scheme, role=role).exists():
        raise ValidationError(
            f"{person.full_name} is already a {Role(role).label.lower()} in {scheme.name}."
        )
    today = timezone.localdate()
    membership = Membership(
        organisation=person.organisation,
        person=person,
        scheme=scheme,
        role=role,
        status=status,
        joined_on=joined_on or today,
        status_changed_on=today,
    )
    if status in PARTICIPATING and waits_for_match(scheme, role):
        membership.waiting_since = today
    membership.full_clean(exclude=["organisation", "person", "scheme"])
    membership.save()
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="membership.create",
        target=membership,
        source=source,
        summary=f"Added {person.full_name} to {scheme.name} as {Role(role).label.lower()}",
    )
    return membership


@transaction.atomic
def membership_set_status(
    *, membership: Membership, status: str, actor: User | None, source: str = "page"
) -> Membership:
    if status not in Status.values:
        raise ValidationError(
            f"'{status}' is not a status. Choose one of {', '.join(Status.values)}."
        )
    if membership.status == status:
        return membership
    before = membership.status
    membership.status = status
    membership.status_changed_on = timezone.localdate()
    fields = ["status", "status_changed_on"]
    waiting = status in PARTICIPATING and waits_for_match(membership.scheme, membership.role)
    if waiting and membership.waiting_since is None:
        membership.waiting_since = membership.status_changed_on
        fields.append("waiting_since")
    elif not waiting and membership.waiting_since is not None:
        membership.waiting_since = None
        fields.append("waiting_since")
    membership.save(update_fields=fields)
    audit_record(
        organisation=membership.organisation,
        actor=actor,
        action="membership.status",
        target=membership,
        source=source,
        changes={"status": [before, status]},
        summary=(
            f"{membership.person.full_name} is now {Status(status).label.lower()} as "
            f"{Role(membership.role).label.lower()} in {membership.scheme.name}"
        ),
    )
    return membership


@transaction.atomic
def recruitment_step_record(
    *,
    membership: Membership,
    step: str,
    completed_on: date,
    actor: User | None,
    outcome: str = RecruitmentRecord.Outcome.DONE,
    note: str = "",
) -> RecruitmentRecord:
    """Date one recruitment step. Approval moves the person to "approved"; "not taken forward"
    moves them to "left"; preparation training moves an applicant to "in training"."""
    if step not in RecruitmentStep.values:
        raise ValidationError(f"'{step}' is not a recruitment step.")
    if completed_on > timezone.localdate():
        raise ValidationError("A step cannot be completed in the future: check the date.")
    record = RecruitmentRecord.objects.filter(membership=membership, step=step).first()
    if record is None:
        record = RecruitmentRecord(
            organisation=membership.organisation,
            membership=membership,
            step=step,
            completed_on=completed_on,
        )
    record.completed_on = completed_on
    record.outcome = outcome
    record.note = note
    record.recorded_by = actor
    record.full_clean(exclude=["organisation", "membership", "recorded_by"])
    record.save()
    audit_record(
        organisation=membership.organisation,
        actor=actor,
        action="recruitment.step",
        target=membership,
        summary=(
            f"{RecruitmentStep(step).label} for {membership.person.full_name} on {completed_on}"
        ),
    )
    if outcome == RecruitmentRecord.Outcome.NOT_SUITABLE:
        membership_set_status(membership=membership, status=Status.LEFT, actor=actor)
    elif step == RecruitmentStep.APPROVAL:
        membership_set_status(membership=membership, status=Status.APPROVED, actor=actor)
    elif step in (RecruitmentStep.INTERVIEW, RecruitmentStep.PREPARATION) and (
        membership.status == Status.APPLICANT
    ):
        membership_set_status(membership=membership, status=Status.IN_TRAINING, actor=actor)
    return record


@transaction.atomic
def application_submit(
    *, membership: Membership, actor: User | None, answers: dict[str, Any]
) -> Application:
    """Save the application form; the first submission dates the "application" step."""
    application = Application.objects.filter(membership=membership).first() or Application(
        organisation=membership.organisation, membership=membership
    )
    for field, value in answers.items():
        setattr(application, field, value)
    application.full_clean(exclude=["organisation", "membership"])
    first = application.pk is None
    application.save()
    if first:
        recruitment_step_record(
            membership=membership,
            step=RecruitmentStep.APPLICATION,
            completed_on=timezone.localdate(),
            actor=actor,
        )
    return application


def _refresh_last_training(person: Person) -> None:
    latest = TrainingRecord.objects.filter(person=person).aggregate(m=Max("completed_on"))["m"]
    if latest != person.last_training_on:
        person.last_training_on = latest
        person.save(update_fields=["last_training_on"])


@transaction.atomic
def training_record_add(
    *,
    person: Person,
    actor: User | None,
    title: str,
    completed_on: date,
    kind: str = TrainingRecord.Kind.TRAINING,
    hours: Any = None,
    source: str = "page",
) -> TrainingRecord:
    if completed_on > timezone.localdate():
        raise ValidationError("Training cannot be recorded for a future date: check the date.")
    record = TrainingRecord(
        organisation=person.organisation,
        person=person,
        kind=kind,
        title=title,
        completed_on=completed_on,
        hours=hours,
        recorded_by=actor,
    )
    record.full_clean(exclude=["organisation", "person", "recorded_by"])
    record.save()
    _refresh_last_training(person)
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="training.add",
        target=person,
        summary=f"Recorded {record.get_kind_display().lower()} '{title}' on {completed_on}",
        source=source,
    )
    return record


@transaction.atomic
def training_record_delete(*, record: TrainingRecord, actor: User | None) -> None:
    person = record.person
    summary = f"Removed training '{record.title}' of {record.completed_on}"
    record.delete()
    _refresh_last_training(person)
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="training.delete",
        target=person,
        summary=summary,
    )


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(*, person: Person, actor: User | None) -> tuple[Invitation, str]:
    """Invite ``person`` to set up a sign-in account; earlier open invitations are revoked.

    Returns the invitation and the raw token, which exists only in the e-mail sent.
    """
    if not person.email:
        raise ValidationError("Add an e-mail address for this person before inviting them.")
    if person.user_id is not None:
        raise ValidationError(f"{person.full_name} already has a sign-in account.")
    now = timezone.now()
    revoked = Invitation.objects.filter(person=person, accepted_at=None, revoked_at=None).update(
        revoked_at=now
    )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organisation=person.organisation,
        person=person,
        email=person.email,
        token_hash=_hash_token(token),
        created_by=actor,
        expires_at=now + timedelta(days=settings.INVITATION_DAYS),
    )
    # Only the given name and the organisation: the e-mail may be read by anyone with the inbox.
    context = {
        "person": person,
        "organisation": person.organisation,
        "link": settings.SITE_URL + reverse("invitation_accept", args=[token]),
        "days": settings.INVITATION_DAYS,
    }
    # On commit: a rolled-back invitation must not leave an e-mail with a dead link behind.
    transaction.on_commit(
        lambda: send_mail(
            subject=f"Your PeerCircle account at {person.organisation.name}",
            message=render_to_string("people/email/invitation.txt", context),
            from_email=None,
            recipient_list=[person.email],
        )
    )
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="invitation.create",
        target=person,
        summary=f"Invited {person.full_name} to set up an account",
        changes={"revoked_earlier": revoked} if revoked else None,
    )
    return invitation, token


def invitation_find(token: str) -> Invitation | None:
    """The invitation for ``token`` in whatever state, or None if no invitation has it.

    Searched across organisations: the token is the key, and its holder is not signed in.
    """
    with scopes_disabled():
        return (
            Invitation.objects.select_related("person", "organisation")
            .filter(token_hash=_hash_token(token))
            .first()
        )


def invitation_problem(invitation: Invitation) -> str | None:
    """Why ``invitation`` can no longer be used, in plain words; None while it can."""
    if invitation.accepted_at is not None:
        return (
            "This invitation has been used already, so your account is set up. Sign in with "
            "your e-mail address and the password you chose."
        )
    if invitation.revoked_at is not None:
        return (
            "This invitation was replaced by a newer invitation. Use the link in the most recent "
            "e-mail from PeerCircle, or ask your scheme coordinator to invite you again."
        )
    if invitation.expires_at <= timezone.now():
        expired = timezone.localtime(invitation.expires_at)
        return (
            f"This invitation expired on {expired:%d %B %Y}. Ask your scheme coordinator to "
            "send you a new one."
        )
    return None


def invitation_accept(*, invitation: Invitation, password: str) -> User:
    """Create the invited person's account with ``password`` and use up the invitation.

    Raises ``ValidationError`` (changing nothing) if the invitation can no longer be used, the
    password breaks a password rule (under the key "password"), or the address has an account.
    """
    # The person accepting is not signed in yet, so no request scope names their organisation.
    with organisation_scope(invitation.organisation):
        return _invitation_accept(invitation=invitation, password=password)


@transaction.atomic
def _invitation_accept(*, invitation: Invitation, password: str) -> User:
    # Locked and read again: a second invitation or a second tab may have got here first.
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    person = Person.objects.select_for_update().get(pk=invitation.person_id)
    problem = invitation_problem(invitation)
    if problem is None and person.user_id is not None:
        problem = f"{person.full_name} already has an account. Sign in instead."
    if problem is None and (person.email or "").lower() != invitation.email.lower():
        problem = (
            "This invitation was sent to an address that is no longer this person's. Ask your "
            "scheme coordinator to send a new invitation to the current address."
        )
    if problem is not None:
        raise ValidationError(problem, code="invitation")
    # Names only for the "too similar" rule; the account itself stores just the address.
    candidate = User(
        email=invitation.email, first_name=person.given_name, last_name=person.family_name
    )
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    taken = ValidationError(
        "An account with this e-mail address already exists. Sign in instead, or ask your "
        "coordinator to check the address."
    )
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise taken
    try:
        with transaction.atomic():
            user = User.objects.create_user(invitation.email, password)
    except IntegrityError:
        raise taken from None
    person.user = user
    person.save(update_fields=["user"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    audit_record(
        organisation=person.organisation,
        actor=user,
        action="invitation.accept",
        target=person,
        summary=f"{person.full_name} set up their account",
    )
    return user


@transaction.atomic
def person_create_in_scheme(
    *,
    scheme: Scheme,
    role: str,
    status: str,
    actor: User | None,
    data: dict[str, Any],
    sensitive: dict[str, Any] | None = None,
) -> Person:
    """Add a person together with their first role, so whoever added them can see them."""
    person = person_create(
        organisation=scheme.organisation, actor=actor, data=data, sensitive=sensitive
    )
    membership_add(person=person, scheme=scheme, role=role, status=status, actor=actor)
    return person


@transaction.atomic
def person_two_factor_reset(*, person: Person, actor: User | None) -> int:
    """Remove a person's two-factor devices and recovery codes, for a lost phone.

    They set it up again at their next sign-in (the middleware insists where their role needs
    it). The person is told by e-mail, so a reset they did not ask for does not go unnoticed.
    Returns how many authenticators were removed.
    """
    from allauth.mfa.models import Authenticator

    if person.user is None:
        raise ValidationError(f"{person.full_name} has no sign-in account.")
    removed, _ = Authenticator.objects.filter(user=person.user).delete()
    if removed == 0:
        raise ValidationError(f"{person.full_name} has not set up two-factor sign-in.")
    audit_record(
        organisation=person.organisation,
        actor=actor,
        action="person.two_factor_reset",
        target=person,
        summary=f"Reset two-factor sign-in of {person.full_name}",
    )
    email = person.user.email
    transaction.on_commit(
        lambda: send_mail(
            subject="Your PeerCircle two-factor sign-in was reset",
            message=render_to_string(
                "people/email/two_factor_reset.txt",
                {"person": person, "organisation": person.organisation},
            ),
            from_email=None,
            recipient_list=[email],
        )
    )
    return int(removed)
