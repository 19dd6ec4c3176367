"""The relationship pages: list, page, creating one by hand, status, planned end, ending."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from django.urls import reverse

from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.people.models import Membership, Person
from peercircle.relationships.choices import Status
from peercircle.relationships.models import Participant, Relationship, RelationshipEvent
from peercircle.relationships.tests.helpers import (
    in_state,
    mentoring,
    new_mentee,
    new_mentor,
    text_of,
)

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]


def test_the_list_filters_by_status_and_searches_by_name(cast: Cast, client_for: ClientFor) -> None:
    paused = mentoring(cast)
    other = mentoring(cast, new_mentor(cast, "Noor"), new_mentee(cast, "Ivy"))
    client = client_for(cast.cora)
    url = reverse("relationships:list")

    def shown(**params: str) -> list[int]:
        response = client.get(url, params)
        assert response.status_code == 200
        return [r.pk for r in response.context["page"].object_list]

    assert sorted(shown()) == sorted([paused.pk, other.pk])
    assert shown(q="ivy") == [other.pk]
    assert shown(q="mia example") == [paused.pk]
    client.post(
        reverse("relationships:status", args=[paused.pk]),
        {"to_status": Status.SUSPENDED, "version": paused.version},
    )
    assert shown(status=Status.SUSPENDED) == [paused.pk]
    assert shown(status=Status.ACTIVE) == [other.pk]
    assert shown(scheme="mentoring", status=Status.ENDED) == []


def test_the_list_shows_each_viewer_only_their_relationships(
    cast: Cast, client_for: ClientFor
) -> None:
    theirs = mentoring(cast)
    mentoring(cast, new_mentor(cast, "Noor"), new_mentee(cast, "Ivy"))

    def shown(who: Person) -> int:
        page = client_for(who).get(reverse("relationships:list")).context["page"]
        return int(page.paginator.count)

    assert shown(cast.cora) == 2
    assert shown(cast.ada) == 2
    assert shown(cast.mo) == 1 and shown(cast.mia) == 1 and shown(cast.sam) == 1
    assert shown(cast.oz) == 0
    assert shown(cast.olga) == 0
    assert theirs.pk in [
        r.pk for r in client_for(cast.mia).get(reverse("relationships:list")).context["page"]
    ]


def test_the_list_answers_in_a_fixed_number_of_queries(
    cast: Cast,
    client_for: ClientFor,
    django_assert_max_num_queries: Callable[[int], object],
) -> None:
    cast.scheme.mentor_capacity = 20
    cast.scheme.save(update_fields=["mentor_capacity"])
    for n in range(settings.PAGE_SIZE + 5):
        mentoring(cast, cast.mo, new_mentee(cast, f"Mentee{n}")) if n < 20 else mentoring(
            cast, new_mentor(cast, f"Mentor{n}"), new_mentee(cast, f"Mentee{n}")
        )
    client = client_for(cast.cora)
    url = reverse("relationships:list")
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(10):  # type: ignore[attr-defined]
        response = client.get(url, {"q": "mentee", "status": "active"})
    assert len(response.context["page"].object_list) == settings.PAGE_SIZE
    with django_assert_max_num_queries(10):  # type: ignore[attr-defined]
        response = client.get(url, {"page": 2})
    assert len(response.context["page"].object_list) == 5


def test_the_page_shows_the_people_dates_and_who_changed_what(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    client = client_for(cast.cora)
    client.post(
        reverse("relationships:status", args=[relationship.pk]),
        {"to_status": Status.SUSPENDED, "reason": "Mia is on holiday", "version": 1},
    )
    body = client_for(cast.mia).get(relationship.get_absolute_url()).content.decode()
    assert "Mo Example" in body and "Mia Example" in body
    assert "Active → Paused: Mia is on holiday" in body
    assert "cora@tri-borough.example" in body
    assert "Change status" not in body  # Mia may look, not manage


def test_the_page_leads_to_meetings_and_offers_booking_only_while_working(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    meetings = reverse("meetings:relationship", args=[relationship.pk])
    book = reverse("meetings:book", args=[relationship.pk])
    body = client_for(cast.mo).get(relationship.get_absolute_url()).content.decode()
    assert meetings in body and book in body
    client_for(cast.cora).post(
        reverse("relationships:status", args=[relationship.pk]),
        {"to_status": Status.SUSPENDED, "reason": "A break", "version": 1},
    )
    body = client_for(cast.mo).get(relationship.get_absolute_url()).content.decode()
    assert meetings in body and book not in body


@time_machine.travel(date(2026, 4, 1))
def test_a_coordinator_creates_a_relationship_by_hand_picking_from_the_list(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    page = client.get(reverse("relationships:create"))
    assert "Mo Example (mo@tri-borough.example)" in page.content.decode()
    response = client.post(
        reverse("relationships:create"),
        {
            "scheme": cast.scheme.pk,
            "kind": "mentoring",
            "first": "Mo Example (mo@tri-borough.example)",
            "second": "MIA@tri-borough.example",
            "purpose": "specific",
            "started_on": "2026-03-01",
            "planned_end_on": "",
        },
    )
    relationship = Relationship.objects.get()
    assert response.status_code == 302 and response["Location"] == relationship.get_absolute_url()
    assert relationship.planned_end_on == date(2026, 9, 1)  # six months: a specific purpose
    sides = dict(Participant.objects.values_list("person__given_name", "side"))
    assert sides == {"Mo": "mentor", "Mia": "mentee"}


def test_creating_by_hand_refuses_bad_input_and_saves_nothing(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    base = {
        "scheme": cast.scheme.pk,
        "kind": "mentoring",
        "first": "mo@tri-borough.example",
        "second": "mia@tri-borough.example",
        "purpose": "new_carer",
        "started_on": "2026-01-01",
    }
    cases = [
        ({"second": "nobody@example.org"}, "No one in your schemes is 'nobody@example.org'"),
        ({"second": "sam@tri-borough.example"}, "Sam Example is not an approved or active mentee"),
        ({"second": "oz@tri-borough.example"}, "No one in your schemes is"),
        ({"planned_end_on": "2025-12-01"}, "The planned end must come after the start."),
        ({"started_on": "2999-01-01"}, "The start cannot be in the future"),
        ({"second": "mo@tri-borough.example"}, "in a relationship with themselves"),
        ({"second": "olga@northshire.example"}, "No one in your schemes"),
    ]
    for change, message in cases:
        response = client.post(reverse("relationships:create"), {**base, **change})
        assert response.status_code == 200
        assert message in text_of(response), message
    assert not Relationship.objects.exists()


def test_two_coordinators_acting_at_once_the_second_is_told_what_changed(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    seen = relationship.version
    url = reverse("relationships:status", args=[relationship.pk])
    client_for(cast.cora).post(url, {"to_status": Status.SUSPENDED, "version": seen})
    response = client_for(cast.ada).post(
        url, {"to_status": Status.ENDING, "version": seen}, follow=True
    )
    body = text_of(response)
    assert "Someone changed this relationship while you were looking at it" in body
    assert "cora@tri-borough.example changed it" in body
    relationship.refresh_from_db()
    assert relationship.status == Status.SUSPENDED
    # Ada reloads, sees it paused, and resumes it: nothing was lost.
    client_for(cast.ada).post(url, {"to_status": Status.ACTIVE, "version": relationship.version})
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE
    assert [e.to_status for e in RelationshipEvent.objects.filter(action="status")] == [
        Status.SUSPENDED,
        Status.ACTIVE,
    ]


def test_the_planned_end_is_edited_with_the_version_check(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    url = reverse("relationships:planned_end", args=[relationship.pk])
    client = client_for(cast.cora)
    client.post(url, {"planned_end_on": "2030-01-31", "version": relationship.version})
    relationship.refresh_from_db()
    assert relationship.planned_end_on == date(2030, 1, 31)
    stale = client.post(url, {"planned_end_on": "2031-01-31", "version": 1}, follow=True)
    assert "Someone changed this relationship" in text_of(stale)
    bad = client.post(url, {"planned_end_on": "soon", "version": relationship.version}, follow=True)
    assert "Nothing was changed. Planned end: Enter a valid date." in text_of(bad)
    relationship.refresh_from_db()
    assert relationship.planned_end_on == date(2030, 1, 31)


def test_impossible_status_changes_are_refused_plainly(cast: Cast, client_for: ClientFor) -> None:
    relationship = in_state(cast, Status.SUSPENDED)
    response = client_for(cast.cora).post(
        reverse("relationships:status", args=[relationship.pk]),
        {"to_status": Status.ENDING, "version": relationship.version},
        follow=True,
    )
    assert "A paused relationship cannot become ending." in text_of(response)
    relationship.refresh_from_db()
    assert relationship.status == Status.SUSPENDED


def test_ending_with_a_reason_requeues_who_needs_a_new_match_and_asks_for_feedback(
    cast: Cast, client_for: ClientFor, mailoutbox: list[object]
) -> None:
    relationship = mentoring(cast)
    client = client_for(cast.cora)
    url = reverse("relationships:end", args=[relationship.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "reason": "not_a_fit",
            "ended_on": "2026-01-10",
            "requeue": [str(cast.mia.pk)],
            "version": relationship.version,
        },
    )
    assert response.status_code == 302
    relationship.refresh_from_db()
    assert relationship.status == Status.ENDED and relationship.end_reason == "not_a_fit"
    assert Membership.objects.get(person=cast.mia).waiting_since is not None
    # Both parties keep their place in the ended relationship, and can still see it.
    assert set(relationship.participants.values_list("person", flat=True)) == {
        cast.mo.pk,
        cast.mia.pk,
    }
    assert client_for(cast.mo).get(relationship.get_absolute_url()).status_code == 200
    feedback_links = {
        n.person.given_name: n.link for n in Notification.objects.filter(kind="relationship.ended")
    }
    assert feedback_links == {
        "Mo": reverse("relationships:feedback", args=[relationship.pk]),
        "Mia": reverse("relationships:feedback", args=[relationship.pk]),
    }
