from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.people.models import Person
from peercircle.schemes import services
from peercircle.schemes.criteria import describe
from peercircle.schemes.models import EligibilityRule, Scheme

pytestmark = pytest.mark.django_db


def settings_post(scheme: Scheme, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "s-name": scheme.name,
        "s-description": scheme.description,
        "s-is_active": "on",
        "s-mentor_capacity": 2,
        "s-planned_duration_months": 12,
        "s-meeting_every_days": 30,
        "s-trainings_per_year": 1,
        "s-specific_purpose_months": 6,
        "s-records_readable_by_supervisor": "on",
        "s-nudge_after_days": 35,
        "s-prompt_coordinator_after_days": 50,
        "s-concern_after_days": 70,
        "s-ending_notice_days": 28,
        "s-supervision_every_weeks": 6,
    }
    for key, setting in scheme.criteria().items():
        data[f"c-{key}_mode"] = setting["mode"]
        data[f"c-{key}_weight"] = setting.get("weight", 0)
        if key == "distance":
            data["c-distance_limit"] = setting.get("limit") or ""
    data.update(overrides)
    return data


def test_every_template_gives_a_scheme_its_rules_and_criteria(cast: Cast) -> None:
    for scheme_type in ("mentoring", "rotation", "teams", "groups"):
        scheme = services.scheme_create(
            organisation=cast.org, name=f"New {scheme_type}", scheme_type=scheme_type, actor=None
        )
        assert set(scheme.criteria()) >= {"language", "hours", "distance"}
        assert scheme.slug == f"new-{scheme_type}"
    mentoring = Scheme.objects.get(organisation=cast.org, slug="new-mentoring")
    assert EligibilityRule.objects.filter(scheme=mentoring).count() == 4
    assert describe("distance", mentoring.criteria()["distance"]) == "must live within 25 miles"


def test_a_coordinator_changes_a_weight_and_the_change_is_audited(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    url = reverse("schemes:settings", args=["mentoring"])
    response = client_for(cast.cora).post(
        url, settings_post(cast.scheme, **{"c-experience_weight": 9, "s-mentor_capacity": 3})
    )
    assert response.status_code == 302
    cast.scheme.refresh_from_db()
    assert cast.scheme.criteria()["experience"]["weight"] == 9
    assert cast.scheme.mentor_capacity == 3
    event = AuditEvent.objects.get(action="scheme.settings")
    assert event.changes["mentor_capacity"] == ["2", "3"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"c-experience_weight": 11}, "less than or equal to 10"),
        ({"c-experience_weight": "lots"}, "Enter a number"),
        ({"c-distance_mode": "must", "c-distance_limit": ""}, "Give a travel limit"),
        ({"s-mentor_capacity": 0}, "greater than or equal to 1"),
        ({"c-personality_mode": "must"}, "Select a valid choice"),
        ({"s-concern_after_days": 40}, "Reminders must come in order"),
    ],
)
def test_bad_settings_are_explained_and_nothing_is_saved(
    cast: Cast, client_for: Callable[[Person], Client], overrides: dict[str, Any], message: str
) -> None:
    before = (cast.scheme.mentor_capacity, dict(cast.scheme.matching_criteria))
    url = reverse("schemes:settings", args=["mentoring"])
    response = client_for(cast.cora).post(url, settings_post(cast.scheme, **overrides))
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and message in body
    cast.scheme.refresh_from_db()
    assert (cast.scheme.mentor_capacity, cast.scheme.matching_criteria) == before


def test_the_criteria_service_refuses_unknown_criteria(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="not a matching criterion"):
        services.scheme_update_settings(
            scheme=cast.scheme,
            actor=None,
            changes={"matching_criteria": {"star_sign": {"mode": "must", "weight": 1}}},
        )


def test_group_sizes_must_be_in_order(cast: Cast) -> None:
    groups = services.scheme_create(
        organisation=cast.org, name="Circles", scheme_type="groups", actor=None
    )
    with pytest.raises(ValidationError):
        services.scheme_update_settings(
            scheme=groups, actor=None, changes={"group_min_size": 8, "group_max_size": 6}
        )
    groups.refresh_from_db()
    assert (groups.group_min_size, groups.group_max_size) == (4, 6)


def test_eligibility_rules_are_replaced_as_a_whole_or_not_at_all(cast: Cast) -> None:
    before = list(EligibilityRule.objects.filter(scheme=cast.scheme).values_list("pk", flat=True))
    with pytest.raises(ValidationError, match="Rule 2"):
        services.eligibility_rules_replace(
            scheme=cast.scheme,
            actor=None,
            rules=[
                {"role": "mentor", "criterion": "years_approved", "minimum": 1},
                {"role": "peer", "criterion": "years_approved", "minimum": 1},
            ],
        )
    assert (
        list(EligibilityRule.objects.filter(scheme=cast.scheme).values_list("pk", flat=True))
        == before
    )
    services.eligibility_rules_replace(
        scheme=cast.scheme,
        actor=None,
        rules=[{"role": "mentor", "criterion": "training_current", "minimum": 0}],
    )
    assert [r.criterion for r in EligibilityRule.objects.filter(scheme=cast.scheme)] == [
        "training_current"
    ]


def test_the_eligibility_page_saves_rules(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    url = reverse("schemes:eligibility", args=["mentoring"])
    data = {
        "form-TOTAL_FORMS": 2,
        "form-INITIAL_FORMS": 0,
        "form-0-role": "mentor",
        "form-0-criterion": "years_approved",
        "form-0-minimum": "1.5",
        "form-0-only_category": "",
        "form-0-except_category": "",
        "form-1-role": "mentor",
        "form-1-criterion": "not_on_probation",
        "form-1-minimum": "0",
        "form-1-only_category": "",
        "form-1-except_category": "",
        "form-1-DELETE": "on",
    }
    response = client_for(cast.cora).post(url, data)
    assert response.status_code == 302
    rules = list(EligibilityRule.objects.filter(scheme=cast.scheme))
    assert [(r.criterion, float(r.minimum)) for r in rules] == [("years_approved", 1.5)]
