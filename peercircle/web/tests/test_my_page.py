"""A mentor's, mentee's or peer's own page: matches, meetings, actions, things to sign."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from peercircle.concerns.services import concern_set_status, support_request_send
from peercircle.conftest import Cast, join, make_person
from peercircle.meetings.choices import Mode
from peercircle.meetings.services import meeting_book, meeting_log_held
from peercircle.notifications.services import notify
from peercircle.people.models import Person
from peercircle.records.services import NewAction, RecordInput, record_create
from peercircle.relationships.agreements.services import agreement_revise, statement_sign
from peercircle.relationships.choices import Purpose, Side, Status
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import relationship_create, relationship_transition
from peercircle.schemes.choices import Role

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]


def mentoring(cast: Cast, mentor: Person, mentee: Person, days_ago: int = 60) -> Relationship:
    return relationship_create(
        scheme=cast.scheme,
        members=[(mentor, Side.MENTOR), (mentee, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
        started_on=timezone.localdate() - timedelta(days=days_ago),
    )


def busy(pair: Relationship, mentor: Person, mentee: Person) -> None:
    """A held meeting with a record and two open actions, a booked one, an agreement."""
    meeting = meeting_log_held(
        relationship=pair,
        starts_at=timezone.now() - timedelta(days=10),
        duration_minutes=60,
        mode=Mode.IN_PERSON,
        place="Library",
        actor=None,
    )
    record_create(
        meeting=meeting,
        author=mentor,
        actor=None,
        data=RecordInput(
            discussion="Talked about the school run",
            new_actions=[
                NewAction(text="Ring the school", owner=mentee),
                NewAction(text="Find the leaflet", owner=mentor),
            ],
        ),
    )
    meeting_book(
        relationship=pair,
        starts_at=timezone.now() + timedelta(days=7),
        duration_minutes=45,
        mode=Mode.PHONE,
        place="07700 900123",
        actor=None,
    )
    agreement_revise(relationship=pair, sections={"purpose": "Settle in"}, actor=None, based_on=0)


def page(client: Client) -> str:
    response = client.get(reverse("web:home"))
    assert response.status_code == 200
    assert response.templates[0].name == "web/my_page.html"
    return response.content.decode()


def test_a_mentee_sees_her_match_meetings_actions_and_what_to_sign(
    cast: Cast, client_for: ClientFor
) -> None:
    pair = mentoring(cast, cast.mo, cast.mia)
    busy(pair, cast.mo, cast.mia)
    body = page(client_for(cast.mia))
    assert "Mentoring with Mo Example" in body and "you are the mentee" in body
    assert "Next meeting due by" in body
    assert "2 open actions, 1 for you" in body
    # The actions' words are record text: they are read through the records gate, not here.
    assert "Ring the school" not in body and "school run" not in body
    assert "Phone" in body and "07700 900123" in body
    assert reverse("relationships:agreement", args=[pair.pk]) in body
    assert reverse("relationships:confidentiality", args=[pair.pk]) in body
    assert reverse("meetings:book", args=[pair.pk]) in body


def test_what_is_signed_leaves_the_list(cast: Cast, client_for: ClientFor) -> None:
    pair = mentoring(cast, cast.mo, cast.mia)
    statement_sign(relationship=pair, person=cast.mia, actor=None)
    body = page(client_for(cast.mia))
    assert reverse("relationships:confidentiality", args=[pair.pk]) not in body
    assert "To read and accept" not in body


def test_an_overdue_meeting_is_pointed_out(cast: Cast, client_for: ClientFor) -> None:
    mentoring(cast, cast.mo, cast.mia, days_ago=45)
    due = timezone.localdate() - timedelta(days=15)
    body = page(client_for(cast.mo))
    assert "You have not logged a meeting yet" in body
    assert f"A meeting was due by {date_format(due, 'j M Y')}." in body


def test_a_paused_match_says_paused_and_nothing_more(cast: Cast, client_for: ClientFor) -> None:
    pair = mentoring(cast, cast.mo, cast.mia)
    relationship_transition(
        relationship=pair,
        to_status=Status.SUSPENDED,
        actor=None,
        expected_version=pair.version,
        summary="Allegation under investigation",
    )
    body = page(client_for(cast.mia))
    assert "Paused" in body and "This match is paused for now" in body
    assert "Allegation" not in body and "investigation" not in body
    assert reverse("meetings:book", args=[pair.pk]) not in body


def test_own_requests_for_support_and_notifications_show(cast: Cast, client_for: ClientFor) -> None:
    concern = support_request_send(
        person=cast.mia, scheme=cast.scheme, message="Help", severity="medium", actor=None
    )
    concern_set_status(
        concern=concern, to_status="resolved", actor=None, expected_version=concern.version
    )
    notify(person=cast.mia, kind="test", title="Welcome to the scheme", email=False)
    body = page(client_for(cast.mia))
    assert concern.get_absolute_url() in body and "Resolved" in body
    assert "Welcome to the scheme" in body
    assert reverse("concerns:support") in body


def test_someone_in_no_scheme_is_not_offered_to_ask_for_support(
    cast: Cast, client_for: ClientFor
) -> None:
    assert reverse("concerns:support") not in page(client_for(cast.oz))


def test_the_page_costs_the_same_queries_for_one_or_six_matches(
    cast: Cast, client_for: ClientFor
) -> None:
    cast.scheme.mentor_capacity = 10
    cast.scheme.save(update_fields=["mentor_capacity"])
    busy(mentoring(cast, cast.mo, cast.mia), cast.mo, cast.mia)
    client = client_for(cast.mo)
    page(client)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(client)
        return len(captured)

    few = queries()
    for i in range(5):
        mentee = make_person(cast.org, f"Mentee{i}")
        join(mentee, cast.scheme, Role.MENTEE)
        pair = mentoring(cast, cast.mo, mentee)
        busy(pair, cast.mo, mentee)
        notify(person=cast.mo, kind="test", title=f"N{i}", email=False)
    assert queries() == few
    # Sign-in (3), roles, matches (2), last meetings, agreements and statements (3), actions,
    # schemes, next meetings, requests, notifications, supervisees.
    assert few <= 16
