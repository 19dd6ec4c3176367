from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from peercircle.conftest import Cast
from peercircle.people.eligibility import eligible_q, evaluate, months_before
from peercircle.people.models import Person
from peercircle.schemes.choices import Category, Role
from peercircle.schemes.models import EligibilityRule

TODAY = date(2026, 11, 22)


def person(**fields: object) -> Person:
    defaults: dict[str, object] = {
        "given_name": "Pat",
        "family_name": "Carer",
        "category": Category.MAINSTREAM,
        "approved_on": date(2020, 1, 1),
        "active_experience_months": 36,
    }
    defaults.update(fields)
    return Person(**defaults)


def test_months_before_clamps_to_the_end_of_a_short_month() -> None:
    assert months_before(date(2024, 3, 31), 1) == date(2024, 2, 29)
    assert months_before(date(2026, 11, 22), 24) == date(2024, 11, 22)
    assert months_before(date(2026, 1, 15), 13) == date(2024, 12, 15)


@pytest.mark.django_db
def test_the_fostering_template_applies_the_handbook_thresholds(cast: Cast) -> None:
    rules = list(EligibilityRule.objects.filter(scheme=cast.scheme))
    # Approved 2 years ago exactly, with 1 year of active fostering: eligible (§5A).
    ok = person(approved_on=date(2024, 11, 22), active_experience_months=12)
    assert evaluate(ok, cast.scheme, Role.MENTOR, rules, TODAY).eligible

    too_new = person(approved_on=date(2025, 7, 1), active_experience_months=6)
    result = evaluate(too_new, cast.scheme, Role.MENTOR, rules, TODAY)
    assert not result.eligible
    assert result.reasons == (
        "Approved 1 year 4 months ago; mentors need at least 2 years.",
        "Has 6 months of active experience; mentors need at least 1 year.",
    )


@pytest.mark.django_db
def test_respite_carers_need_three_years_and_two_years_active(cast: Cast) -> None:
    rules = list(EligibilityRule.objects.filter(scheme=cast.scheme))
    respite = person(
        category=Category.RESPITE, approved_on=date(2023, 6, 1), active_experience_months=30
    )
    result = evaluate(respite, cast.scheme, Role.MENTOR, rules, TODAY)
    # 3 years 5 months approved is enough; 2 years 6 months active is enough.
    assert result.eligible and result.rules_checked == 2

    newer = person(
        category=Category.RESPITE, approved_on=date(2024, 6, 1), active_experience_months=18
    )
    result = evaluate(newer, cast.scheme, Role.MENTOR, rules, TODAY)
    assert result.reasons == (
        "Approved 2 years 5 months ago; mentors who are respite carers need at least 3 years.",
        "Has 1 year 6 months of active experience; mentors who are respite carers need at "
        "least 2 years.",
    )


@pytest.mark.django_db
def test_a_missing_approval_date_is_a_reason_not_a_crash(cast: Cast) -> None:
    rules = list(EligibilityRule.objects.filter(scheme=cast.scheme))
    result = evaluate(person(approved_on=None), cast.scheme, Role.MENTOR, rules, TODAY)
    assert not result.eligible
    assert result.reasons[0].startswith("No approval date is recorded")


@pytest.mark.django_db
def test_roles_without_rules_are_eligible_and_say_so(cast: Cast) -> None:
    rules = list(EligibilityRule.objects.filter(scheme=cast.scheme))
    result = evaluate(person(approved_on=None), cast.scheme, Role.MENTEE, rules, TODAY)
    assert result.eligible and result.rules_checked == 0
    assert "no eligibility rules" in result.summary


@pytest.mark.django_db
def test_training_and_probation_rules_explain_themselves(cast: Cast) -> None:
    training = EligibilityRule(
        scheme=cast.scheme, organisation=cast.org, role=Role.MENTOR, criterion="training_current"
    )
    probation = EligibilityRule(
        scheme=cast.scheme, organisation=cast.org, role=Role.MENTOR, criterion="not_on_probation"
    )
    never = person(last_training_on=None, on_probation=True)
    result = evaluate(never, cast.scheme, Role.MENTOR, [training, probation], TODAY)
    assert result.reasons == (
        "No training is recorded; training must be kept up to date.",
        "Is on probation.",
    )
    stale = person(last_training_on=date(2025, 10, 1))
    assert evaluate(stale, cast.scheme, Role.MENTOR, [training], TODAY).reasons == (
        "Last training was on 1 October 2025; training is overdue.",
    )
    fresh = person(last_training_on=date(2026, 1, 1))
    assert evaluate(fresh, cast.scheme, Role.MENTOR, [training], TODAY).eligible


_RULES = st.lists(
    st.tuples(
        st.sampled_from(["years_approved", "years_active", "training_current", "not_on_probation"]),
        st.decimals(min_value=0, max_value=5, places=1),
        st.sampled_from(["", Category.RESPITE, Category.KINSHIP]),
        st.sampled_from(["", Category.RESPITE, Category.MAINSTREAM]),
    ),
    max_size=4,
)
_PEOPLE = st.lists(
    st.fixed_dictionaries(
        {
            "category": st.sampled_from([Category.MAINSTREAM, Category.RESPITE, Category.KINSHIP]),
            "approved_on": st.none() | st.dates(date(2015, 1, 1), date(2026, 11, 22)),
            "active_experience_months": st.integers(0, 80),
            "last_training_on": st.none() | st.dates(date(2024, 1, 1), date(2026, 11, 22)),
            "on_probation": st.booleans(),
        }
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.django_db
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rules=_RULES, people=_PEOPLE, per_year=st.integers(0, 3))
def test_the_database_filter_agrees_with_the_explanations(
    cast: Cast,
    rules: list[tuple[str, Decimal, str, str]],
    people: list[dict[str, object]],
    per_year: int,
) -> None:
    """Counting eligible people in SQL and explaining each one in Python must never disagree."""
    scheme = cast.scheme
    scheme.trainings_per_year = per_year
    built = [
        EligibilityRule(
            organisation=cast.org,
            scheme=scheme,
            role=Role.MENTOR,
            criterion=c,
            minimum=m,
            only_category=only,
            except_category=exc,
        )
        for c, m, only, exc in rules
    ]
    created = Person.objects.bulk_create(
        Person(organisation=cast.org, given_name=f"P{i}", family_name="H", **fields)
        for i, fields in enumerate(people)
    )
    ids = [p.pk for p in created]
    in_sql = set(
        Person.objects.filter(pk__in=ids)
        .filter(eligible_q(scheme, Role.MENTOR, built, TODAY))
        .values_list("pk", flat=True)
    )
    in_python = {
        p.pk
        for p in Person.objects.filter(pk__in=ids)
        if evaluate(p, scheme, Role.MENTOR, built, TODAY).eligible
    }
    Person.objects.filter(pk__in=ids).delete()
    assert in_sql == in_python
