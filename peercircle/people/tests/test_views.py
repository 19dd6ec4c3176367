from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from peercircle.conftest import Cast
from peercircle.people import services
from peercircle.people.models import Membership, Person, RecruitmentRecord, TrainingRecord
from peercircle.schemes.choices import Status

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]


def new_person_post(**overrides: str) -> dict[str, str]:
    data = {
        "scheme": "",
        "role": "mentee",
        "status": "active",
        "given_name": "Nia",
        "family_name": "Okafor",
        "email": "nia@example.org",
        "languages": "English; Igbo",
        "working_hours": "Mon-Fri 9-17",
        "active_experience_months": "3",
    }
    data.update(overrides)
    return data


def test_a_coordinator_adds_a_person_to_their_scheme(cast: Cast, client_for: ClientFor) -> None:
    response = client_for(cast.cora).post(
        reverse("people:create"), new_person_post(scheme=str(cast.scheme.pk))
    )
    person = Person.objects.get(email="nia@example.org")
    assert response.status_code == 302 and response["Location"] == person.get_absolute_url()
    assert person.languages == ["English", "Igbo"]
    assert person.working_hours == [[d, 9, 17] for d in range(5)]
    membership = Membership.objects.get(person=person)
    assert (membership.role, membership.status) == ("mentee", "active")
    assert membership.waiting_since is not None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"working_hours": "weekdays"}, "is not a working-hours entry"),
        ({"given_name": ""}, "This field is required"),
        ({"role": "peer"}, "has no peer role"),
        ({"email": "mo@tri-borough.example"}, "already uses this e-mail"),
        ({"latitude": "51.5"}, "Give both latitude and longitude"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(
    cast: Cast, client_for: ClientFor, overrides: dict[str, str], message: str
) -> None:
    before = Person.objects.count()
    response = client_for(cast.cora).post(
        reverse("people:create"), new_person_post(scheme=str(cast.scheme.pk), **overrides)
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body and message in body
    assert Person.objects.count() == before


def test_a_coordinator_cannot_add_people_to_another_organisations_scheme(
    cast: Cast, client_for: ClientFor
) -> None:
    response = client_for(cast.cora).post(
        reverse("people:create"), new_person_post(scheme=str(cast.other_scheme.pk))
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Person.objects.filter(email="nia@example.org").exists()


def test_personal_details_are_shown_to_coordinators_not_supervisors(
    cast: Cast, client_for: ClientFor
) -> None:
    services.sensitive_update(
        person=cast.mia, actor=None, changes={"gender": "Female", "ethnicity": "Kurdish"}
    )
    url = reverse("people:detail", args=[cast.mia.pk])
    assert "Kurdish" in client_for(cast.cora).get(url).content.decode()
    assert "Kurdish" in client_for(cast.mia).get(url).content.decode()
    supervisor_view = client_for(cast.sam).get(url).content.decode()
    assert "Mia Example" in supervisor_view and "Kurdish" not in supervisor_view


def test_the_mentee_edits_her_own_personal_details(cast: Cast, client_for: ClientFor) -> None:
    response = client_for(cast.mia).post(
        reverse("people:sensitive", args=[cast.mia.pk]),
        {
            "gender": "Female",
            "gender_preference": "female",
            "ethnicity": "",
            "culture": "",
            "relationship_status": "",
        },
    )
    assert response.status_code == 302
    assert cast.mia.sensitive.gender_preference == ["female"]


def test_the_person_page_explains_eligibility(cast: Cast, client_for: ClientFor) -> None:
    services.person_update(
        person=cast.mo,
        actor=None,
        changes={"approved_on": date(2025, 6, 1), "active_experience_months": 4},
    )
    body = client_for(cast.cora).get(reverse("people:detail", args=[cast.mo.pk])).content.decode()
    assert "Not eligible" in body
    assert "mentors need at least 2 years" in body


def test_status_changes_and_recruitment_steps_from_the_person_page(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    membership = Membership.objects.get(person=cast.mo)
    client.post(reverse("people:membership_status", args=[membership.pk]), {"status": "paused"})
    membership.refresh_from_db()
    assert membership.status == Status.PAUSED
    response = client.post(
        reverse("people:recruitment_step", args=[membership.pk]),
        {"step": "interview", "completed_on": "2026-01-10", "outcome": "done", "note": ""},
    )
    assert response.status_code == 302
    assert RecruitmentRecord.objects.filter(membership=membership, step="interview").exists()
    bad = client.post(
        reverse("people:recruitment_step", args=[membership.pk]),
        {"step": "interview", "completed_on": "not a date", "outcome": "done"},
        follow=True,
    )
    assert "The step was not recorded: Date: Enter a valid date." in bad.content.decode()


def test_training_cannot_be_recorded_in_the_future(cast: Cast, client_for: ClientFor) -> None:
    response = client_for(cast.cora).post(
        reverse("people:training_add", args=[cast.mo.pk]),
        {"kind": "training", "title": "Safer caring", "completed_on": "2999-01-01"},
    )
    assert response.status_code == 200
    assert "future date" in response.content.decode()
    assert not TrainingRecord.objects.filter(person=cast.mo).exists()


def test_a_mentor_fills_in_his_own_application(cast: Cast, client_for: ClientFor) -> None:
    membership = Membership.objects.get(person=cast.mo)
    response = client_for(cast.mo).post(
        reverse("people:application", args=[membership.pk]),
        {
            "motivation": "I was helped once",
            "experience": "8 years",
            "skills": "Patience",
            "availability": "Weekday evenings",
            "support_needs": "",
            "agrees_to_training": "on",
        },
    )
    assert response.status_code == 302
    assert membership.application.motivation == "I was helped once"
    assert RecruitmentRecord.objects.filter(membership=membership, step="application").exists()


def test_the_application_needs_the_training_commitment(cast: Cast, client_for: ClientFor) -> None:
    membership = Membership.objects.get(person=cast.mo)
    response = client_for(cast.mo).post(
        reverse("people:application", args=[membership.pk]),
        {"motivation": "x", "experience": "x", "skills": "x", "availability": "x"},
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()


def test_people_search_finds_by_name_email_and_id(cast: Cast, client_for: ClientFor) -> None:
    services.person_update(person=cast.mia, actor=None, changes={"external_id": "TB-0042"})
    client = client_for(cast.cora)

    def found(q: str) -> set[str]:
        response = client.get(reverse("people:list"), {"q": q})
        return {p.given_name for p, _ in response.context["rows"]}

    assert found("mia") == {"Mia"}
    assert found("TB-0042") == {"Mia"}
    assert found("mo@tri") == {"Mo"}
    assert found("example") == {"Cora", "Sam", "Mo", "Mia"}
    assert found("olga") == set()


def test_training_filters_count_only_people_who_must_train(
    cast: Cast, client_for: ClientFor
) -> None:
    # Nobody has training recorded: only the mentor, not the mentee or coordinator, is overdue.
    response = client_for(cast.cora).get(reverse("people:list"), {"training": "overdue"})
    assert {p.given_name for p, _ in response.context["rows"]} == {"Mo"}
