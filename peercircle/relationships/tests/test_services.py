from __future__ import annotations

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from peercircle.conftest import Cast, join, make_person
from peercircle.people.models import Membership
from peercircle.relationships import services
from peercircle.relationships.choices import EndReason, Purpose, Side, Status
from peercircle.relationships.models import PairExclusion, Relationship, RelationshipEvent
from peercircle.schemes.choices import Role

pytestmark = pytest.mark.django_db


def mentoring(cast: Cast, **kwargs: object) -> Relationship:
    return services.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=cast.cora.user,
        **kwargs,  # type: ignore[arg-type]
    )


@time_machine.travel(date(2026, 3, 31))
def test_a_new_carer_relationship_is_planned_for_the_schemes_twelve_months(cast: Cast) -> None:
    relationship = mentoring(cast)
    assert relationship.status == Status.ACTIVE
    assert relationship.started_on == date(2026, 3, 31)
    assert relationship.planned_end_on == date(2027, 3, 31)
    assert Membership.objects.get(person=cast.mia).waiting_since is None
    specific = services.default_planned_end(cast.scheme, Purpose.SPECIFIC, date(2026, 8, 31))
    assert specific == date(2027, 2, 28)


def test_people_must_take_part_in_the_scheme_in_a_fitting_role(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="Oz Example is not an approved or active mentee"):
        services.relationship_create(
            scheme=cast.scheme,
            members=[(cast.mo, Side.MENTOR), (cast.oz, Side.MENTEE)],
            purpose=Purpose.NEW_CARER,
            actor=None,
        )
    with pytest.raises(ValidationError, match="a mentor and a mentee, two peers"):
        services.relationship_create(
            scheme=cast.scheme,
            members=[(cast.mo, Side.MENTOR), (cast.mia, Side.PEER)],
            purpose=Purpose.NEW_CARER,
            actor=None,
        )


def test_a_mentors_capacity_is_never_exceeded(cast: Cast) -> None:
    mentees = []
    for name in ("Nia", "Ola", "Pia"):
        person = make_person(cast.org, name)
        join(person, cast.scheme, Role.MENTEE)
        mentees.append(person)
    for mentee in mentees[:2]:
        services.relationship_create(
            scheme=cast.scheme,
            members=[(cast.mo, Side.MENTOR), (mentee, Side.MENTEE)],
            purpose=Purpose.NEW_CARER,
            actor=None,
        )
    with pytest.raises(ValidationError, match="the scheme's limit of 2"):
        services.relationship_create(
            scheme=cast.scheme,
            members=[(cast.mo, Side.MENTOR), (mentees[2], Side.MENTEE)],
            purpose=Purpose.NEW_CARER,
            actor=None,
        )
    assert services.giving_load(cast.scheme, cast.mo) == 2


def test_impossible_transitions_are_refused_in_plain_words(cast: Cast) -> None:
    relationship = mentoring(cast)
    services.relationship_end(
        relationship=relationship,
        reason=EndReason.GOALS_MET,
        actor=None,
        expected_version=relationship.version,
    )
    with pytest.raises(ValidationError, match="An ended relationship cannot become active"):
        services.relationship_transition(
            relationship=relationship,
            to_status=Status.ACTIVE,
            actor=None,
            expected_version=relationship.version,
        )
    with pytest.raises(ValidationError, match="already ended"):
        services.relationship_end(
            relationship=relationship,
            reason=EndReason.PLANNED,
            actor=None,
            expected_version=relationship.version,
        )


def test_the_second_of_two_people_acting_at_once_is_told_what_changed(cast: Cast) -> None:
    relationship = mentoring(cast)
    seen = relationship.version
    services.relationship_transition(
        relationship=relationship,
        to_status=Status.SUSPENDED,
        actor=cast.cora.user,
        expected_version=seen,
    )
    stale = type(relationship).objects.get(pk=relationship.pk)
    stale.version = seen
    with pytest.raises(services.ConcurrentChange) as exc:
        services.relationship_transition(
            relationship=stale,
            to_status=Status.ENDING,
            actor=cast.ada.user,
            expected_version=seen,
        )
    assert "cora@tri-borough.example changed it" in str(exc.value)
    assert "Active → Paused" in str(exc.value)
    relationship.refresh_from_db()
    assert relationship.status == Status.SUSPENDED


def test_asking_for_a_different_supporter_requeues_and_excludes_the_pair(cast: Cast) -> None:
    relationship = mentoring(cast)
    services.relationship_end(
        relationship=relationship,
        reason=EndReason.CHANGE_ASKED,
        actor=cast.mia.user,
        expected_version=relationship.version,
        requeue=[cast.mia],
    )
    assert Membership.objects.get(person=cast.mia).waiting_since is not None
    assert PairExclusion.objects.filter(scheme=cast.scheme).count() == 1
    with pytest.raises(ValidationError, match="not to be matched again"):
        mentoring(cast)
    history = [e.action for e in RelationshipEvent.objects.filter(relationship=relationship)]
    assert history == ["created", "ended"]


def test_a_planned_ending_does_not_exclude_the_pair(cast: Cast) -> None:
    relationship = mentoring(cast)
    services.relationship_end(
        relationship=relationship,
        reason=EndReason.PLANNED,
        actor=None,
        expected_version=relationship.version,
    )
    assert not PairExclusion.objects.exists()
    assert Membership.objects.get(person=cast.mia).waiting_since is None


def test_a_carer_under_investigation_may_be_supported_outside_the_scheme(cast: Cast) -> None:
    relationship = services.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.SUPPORTER), (cast.oz, Side.SUPPORTED)],
        purpose=Purpose.INVESTIGATION,
        actor=cast.cora.user,
    )
    assert relationship.kind == "support" and relationship.planned_end_on is None


def test_two_people_have_one_current_relationship_in_a_scheme(cast: Cast) -> None:
    relationship = mentoring(cast)
    with pytest.raises(ValidationError, match="already have a relationship in Carer mentoring"):
        mentoring(cast)
    services.relationship_end(
        relationship=relationship,
        reason=EndReason.GOALS_MET,
        actor=None,
        expected_version=relationship.version,
    )
    assert mentoring(cast).status == Status.ACTIVE  # after an ending that excludes nobody
