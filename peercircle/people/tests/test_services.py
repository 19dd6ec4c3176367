from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.people import services
from peercircle.people.models import Membership, Person, RecruitmentRecord
from peercircle.schemes.choices import RecruitmentStep, Role, Status
from peercircle.schemes.services import scheme_create

pytestmark = pytest.mark.django_db


def test_person_create_refuses_a_duplicate_email_and_saves_nothing(cast: Cast) -> None:
    before = Person.objects.count()
    with pytest.raises(ValidationError) as exc:
        services.person_create(
            organisation=cast.org,
            actor=None,
            data={"given_name": "Copy", "family_name": "Cat", "email": "MO@tri-borough.example"},
        )
    assert "already uses this e-mail" in str(exc.value)
    assert Person.objects.count() == before


def test_the_same_email_may_exist_in_another_organisation(cast: Cast) -> None:
    person = services.person_create(
        organisation=cast.other_org,
        actor=None,
        data={"given_name": "Mo", "family_name": "Twin", "email": "mo@tri-borough.example"},
    )
    assert person.organisation == cast.other_org


def test_a_supervisor_from_another_organisation_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="same organisation"):
        services.person_update(person=cast.mia, actor=None, changes={"supervisor": cast.olga})
    cast.mia.refresh_from_db()
    assert cast.mia.supervisor == cast.sam


def test_person_update_audits_field_names_but_not_values(cast: Cast) -> None:
    services.person_update(
        person=cast.mo, actor=cast.cora.user, changes={"phone": "07700 900123", "place": "Ealing"}
    )
    event = AuditEvent.objects.filter(action="person.update").latest("at")
    assert event.changes == {"fields": ["phone", "place"]}
    assert "07700" not in str(event.changes) + event.summary
    assert event.actor == cast.cora.user


def test_a_role_the_scheme_type_lacks_is_refused_with_the_choices(cast: Cast) -> None:
    rotation = scheme_create(
        organisation=cast.org, name="Staff peers", scheme_type="rotation", actor=None
    )
    with pytest.raises(ValidationError) as exc:
        services.membership_add(person=cast.oz, scheme=rotation, role=Role.MENTEE, actor=None)
    assert "has no mentee role" in str(exc.value) and "peer" in str(exc.value)


def test_a_second_membership_in_the_same_role_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="already a mentor"):
        services.membership_add(person=cast.mo, scheme=cast.scheme, role=Role.MENTOR, actor=None)


@time_machine.travel(date(2026, 5, 1))
def test_mentees_wait_for_a_match_while_they_take_part(cast: Cast) -> None:
    membership = services.membership_add(
        person=cast.oz, scheme=cast.scheme, role=Role.MENTEE, status=Status.ACTIVE, actor=None
    )
    assert membership.waiting_since == date(2026, 5, 1)
    services.membership_set_status(membership=membership, status=Status.PAUSED, actor=None)
    assert membership.waiting_since is None
    services.membership_set_status(membership=membership, status=Status.ACTIVE, actor=None)
    assert membership.waiting_since == date(2026, 5, 1)


def test_mentors_do_not_wait(cast: Cast) -> None:
    assert Membership.objects.get(person=cast.mo).waiting_since is None


def test_recruitment_moves_an_applicant_through_training_to_approval(cast: Cast) -> None:
    membership = services.membership_add(
        person=cast.oz, scheme=cast.scheme, role=Role.MENTOR, actor=None
    )
    services.application_submit(
        membership=membership,
        actor=cast.oz.user,
        answers={
            "motivation": "To give back",
            "experience": "Ten years",
            "skills": "Listening",
            "availability": "Evenings",
            "agrees_to_training": True,
        },
    )
    assert RecruitmentRecord.objects.filter(
        membership=membership, step=RecruitmentStep.APPLICATION
    ).exists()
    assert membership.status == Status.APPLICANT
    services.recruitment_step_record(
        membership=membership,
        step=RecruitmentStep.INTERVIEW,
        completed_on=date(2026, 2, 1),
        actor=None,
    )
    assert membership.status == Status.IN_TRAINING
    services.recruitment_step_record(
        membership=membership,
        step=RecruitmentStep.APPROVAL,
        completed_on=date(2026, 3, 1),
        actor=None,
    )
    membership.refresh_from_db()
    assert membership.status == Status.APPROVED


def test_not_taking_an_applicant_forward_records_it_and_ends_the_membership(cast: Cast) -> None:
    membership = services.membership_add(
        person=cast.oz, scheme=cast.scheme, role=Role.MENTOR, actor=None
    )
    services.recruitment_step_record(
        membership=membership,
        step=RecruitmentStep.INTERVIEW,
        completed_on=date(2026, 2, 1),
        actor=None,
        outcome=RecruitmentRecord.Outcome.NOT_SUITABLE,
    )
    membership.refresh_from_db()
    assert membership.status == Status.LEFT


def test_a_step_in_the_future_is_refused(cast: Cast) -> None:
    membership = Membership.objects.get(person=cast.mo)
    with pytest.raises(ValidationError, match="future"):
        services.recruitment_step_record(
            membership=membership,
            step=RecruitmentStep.INTERVIEW,
            completed_on=date(2999, 1, 1),
            actor=None,
        )
    assert not RecruitmentRecord.objects.filter(membership=membership).exists()


def test_last_training_follows_adds_and_removals(cast: Cast) -> None:
    first = services.training_record_add(
        person=cast.mo, actor=None, title="Safeguarding", completed_on=date(2025, 6, 1)
    )
    second = services.training_record_add(
        person=cast.mo, actor=None, title="Attachment", completed_on=date(2026, 2, 1)
    )
    cast.mo.refresh_from_db()
    assert cast.mo.last_training_on == date(2026, 2, 1)
    services.training_record_delete(record=second, actor=None)
    cast.mo.refresh_from_db()
    assert cast.mo.last_training_on == date(2025, 6, 1)
    services.training_record_delete(record=first, actor=None)
    cast.mo.refresh_from_db()
    assert cast.mo.last_training_on is None


def test_an_admin_resets_two_factor_and_the_person_is_told(cast: Cast) -> None:
    from allauth.mfa.models import Authenticator
    from django.core import mail
    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        removed = services.person_two_factor_reset(person=cast.cora, actor=cast.ada.user)
    assert removed == 1
    assert not Authenticator.objects.filter(user=cast.cora.user).exists()
    assert mail.outbox[-1].to == [cast.cora.email]
    assert "reset" in mail.outbox[-1].subject
    assert AuditEvent.objects.filter(action="person.two_factor_reset").exists()
    with pytest.raises(ValidationError, match="has not set up two-factor"):
        services.person_two_factor_reset(person=cast.cora, actor=cast.ada.user)
