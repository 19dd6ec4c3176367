"""Concern pages: who sees how much, the forms' refusals, and the list's query count."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peercircle.concerns.choices import Severity, Source, Status
from peercircle.concerns.models import Concern, ConcernNote
from peercircle.concerns.services import (
    concern_assign,
    concern_note_add,
    concern_raise,
    concern_raise_for_flags,
    support_request_send,
)
from peercircle.concerns.tests.conftest import FakeRecord
from peercircle.conftest import CAST_NAMES, Cast, join, make_person
from peercircle.people.models import Person
from peercircle.relationships.models import Relationship
from peercircle.schemes.choices import Role, SchemeType
from peercircle.schemes.services import scheme_create

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]


def mias_request(cast: Cast) -> Concern:
    concern = support_request_send(
        person=cast.mia,
        scheme=cast.scheme,
        message="My placement is breaking down",
        severity=Severity.HIGH,
        actor=None,
    )
    concern_note_add(concern=concern, author=cast.cora, text="Call the duty worker", actor=None)
    return concern


def status_of(client: Client, concern: Concern) -> int:
    return client.get(reverse("concerns:detail", args=[concern.pk])).status_code


@pytest.mark.parametrize("readable_by_supervisor", [True, False])
def test_who_may_open_a_request_for_support(
    cast: Cast, client_for: ClientFor, readable_by_supervisor: bool
) -> None:
    cast.scheme.records_readable_by_supervisor = readable_by_supervisor
    cast.scheme.save(update_fields=["records_readable_by_supervisor"])
    concern = mias_request(cast)
    allowed = {"ada", "cora", "mia"} | ({"sam"} if readable_by_supervisor else set())
    for name in CAST_NAMES:
        expected = 200 if name in allowed else 404
        assert status_of(client_for(getattr(cast, name)), concern) == expected, name


def test_the_person_who_asked_sees_the_status_but_never_the_notes(
    cast: Cast, client_for: ClientFor
) -> None:
    concern = mias_request(cast)
    concern_assign(concern=concern, owner=cast.cora, actor=None, expected_version=concern.version)
    page = client_for(cast.mia).get(reverse("concerns:detail", args=[concern.pk]))
    body = page.content.decode()
    assert "In progress" in body and "Cora Example is looking after it" in body
    assert "My placement is breaking down" in body
    assert "Call the duty worker" not in body and "History" not in body
    staff = client_for(cast.cora).get(reverse("concerns:detail", args=[concern.pk]))
    assert "Call the duty worker" in staff.content.decode()


def test_a_flag_concern_shows_the_flags_and_never_the_record(
    cast: Cast, client_for: ClientFor, pair: Relationship
) -> None:
    concern = concern_raise_for_flags(
        record=FakeRecord(5, pair), flags=["safeguarding", "stressed"], actor=None
    )
    assert concern is not None
    body = client_for(cast.cora).get(reverse("concerns:detail", args=[concern.pk])).content
    assert b"Stressed, Safeguarding concern" in body
    assert b"/records/" not in body


def test_a_coordinator_takes_a_concern_from_its_page(cast: Cast, client_for: ClientFor) -> None:
    concern = mias_request(cast)
    url = reverse("concerns:take", args=[concern.pk])
    response = client_for(cast.cora).post(url, {"version": concern.version})
    assert response.status_code == 302
    concern.refresh_from_db()
    assert (concern.owner, concern.status) == (cast.cora, Status.IN_PROGRESS)


def test_a_stale_page_is_told_what_changed_and_changes_nothing(
    cast: Cast, client_for: ClientFor
) -> None:
    concern = mias_request(cast)
    stale = concern.version
    concern_assign(concern=concern, owner=cast.ada, actor=cast.ada.user, expected_version=stale)
    response = client_for(cast.cora).post(
        reverse("concerns:status", args=[concern.pk]), {"version": stale, "status": "closed"}
    )
    assert response.status_code == 200
    assert "ada@tri-borough.example changed it" in response.content.decode()
    concern.refresh_from_db()
    assert (concern.status, concern.owner) == (Status.IN_PROGRESS, cast.ada)


def test_an_impossible_status_is_refused_on_the_page(cast: Cast, client_for: ClientFor) -> None:
    concern = mias_request(cast)
    response = client_for(cast.cora).post(
        reverse("concerns:status", args=[concern.pk]), {"version": concern.version, "status": "new"}
    )
    assert response.status_code == 200
    assert "already new" in response.content.decode()


def test_a_coordinator_adds_a_note(cast: Cast, client_for: ClientFor) -> None:
    concern = mias_request(cast)
    response = client_for(cast.cora).post(
        reverse("concerns:note", args=[concern.pk]), {"text": "Visited; calmer now"}
    )
    assert response.status_code == 302
    assert [n.text for n in ConcernNote.objects.order_by("id")][-1] == "Visited; calmer now"
    empty = client_for(cast.cora).post(reverse("concerns:note", args=[concern.pk]), {"text": ""})
    assert empty.status_code == 200 and ConcernNote.objects.count() == 2


def test_a_participant_asks_for_support_from_a_phone_friendly_form(
    cast: Cast, client_for: ClientFor, pair: Relationship
) -> None:
    client = client_for(cast.mia)
    url = reverse("concerns:support")
    page = client.get(url).content.decode()
    assert "Mentoring with Mo Example (Carer mentoring)" in page
    response = client.post(
        url,
        {
            "scheme": cast.scheme.pk,
            "relationship": pair.pk,
            "severity": "urgent",
            "message": "Need to talk today",
        },
    )
    concern = Concern.objects.get()
    assert response["Location"] == concern.get_absolute_url()
    assert (concern.relationship, concern.severity, concern.message) == (
        pair,
        Severity.URGENT,
        "Need to talk today",
    )


def test_a_request_without_a_message_says_what_to_add_and_saves_nothing(
    cast: Cast, client_for: ClientFor
) -> None:
    response = client_for(cast.mia).post(
        reverse("concerns:support"), {"scheme": cast.scheme.pk, "severity": "medium"}
    )
    assert response.status_code == 200
    assert "There is a problem" in response.content.decode()
    assert not Concern.objects.exists()


def test_a_coordinator_raises_a_concern_by_hand(cast: Cast, client_for: ClientFor) -> None:
    response = client_for(cast.cora).post(
        reverse("concerns:create"),
        {"scheme": cast.scheme.pk, "severity": "low", "message": "Heard at the support group"},
    )
    concern = Concern.objects.get()
    assert response["Location"] == concern.get_absolute_url()
    assert (concern.source, concern.raised_by) == (Source.MANUAL, cast.cora)


def test_the_list_filters_by_owner_and_overdue(cast: Cast, client_for: ClientFor) -> None:
    old = timezone.now() - timedelta(days=3)
    with time_machine.travel(old, tick=False):
        overdue = concern_raise(
            scheme=cast.scheme, source=Source.MANUAL, severity=Severity.URGENT, actor=None
        )
    mine = concern_raise(
        scheme=cast.scheme, source=Source.MANUAL, severity=Severity.LOW, actor=None
    )
    assert overdue is not None and mine is not None
    concern_assign(concern=mine, owner=cast.cora, actor=None, expected_version=mine.version)
    client = client_for(cast.cora)

    def listed(query: str) -> list[int]:
        response = client.get(reverse("concerns:list") + query)
        return [c.pk for c in response.context["page"].object_list]

    assert listed("") == [overdue.pk, mine.pk]
    assert listed("?owner=mine") == [mine.pk]
    assert listed("?overdue=on") == [overdue.pk]
    assert listed("?status=resolved") == []


def test_everyone_lists_only_the_concerns_they_may_open(cast: Cast, client_for: ClientFor) -> None:
    concern = mias_request(cast)
    for name in CAST_NAMES:
        response = client_for(getattr(cast, name)).get(reverse("concerns:list"))
        shown = [c.pk for c in response.context["page"].object_list]
        assert shown == ([concern.pk] if name in {"ada", "cora", "sam", "mia"} else []), name


def test_the_list_costs_the_same_queries_for_5_or_60_concerns(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("concerns:list")).status_code == 200
        return len(captured)

    def add(n: int) -> None:
        for i in range(n):
            concern = support_request_send(
                person=cast.mia, scheme=cast.scheme, message=f"Help {i}", severity="low", actor=None
            )
            concern_assign(
                concern=concern, owner=cast.cora, actor=None, expected_version=concern.version
            )

    add(5)
    few = queries()
    add(55)
    assert queries() == few
    # session, user, person, memberships, schemes for the filter, count, page (+ savepoints)
    assert few <= 10


def test_a_line_manager_never_sees_a_staff_peers_request(cast: Cast, client_for: ClientFor) -> None:
    # In a staff rotation a "supervisor" is a line manager: the records policy keeps peer
    # conversations from them whatever the setting says, and concerns follow the same policy.
    rotation = scheme_create(
        organisation=cast.org, name="Staff peers", scheme_type=SchemeType.ROTATION, actor=None
    )
    rotation.records_readable_by_supervisor = True
    rotation.save(update_fields=["records_readable_by_supervisor"])
    pat = make_person(cast.org, "Pat", supervisor=cast.sam)
    join(pat, rotation, Role.PEER)
    concern = support_request_send(
        person=pat, scheme=rotation, message="Workload", severity="medium", actor=None
    )
    sam = client_for(cast.sam)
    assert status_of(sam, concern) == 404
    assert list(sam.get(reverse("concerns:list")).context["page"].object_list) == []
    assert status_of(client_for(pat), concern) == 200


def test_a_coordinator_raises_a_concern_about_a_pair_she_manages(
    cast: Cast, client_for: ClientFor, pair: Relationship
) -> None:
    url = reverse("concerns:create") + f"?relationship={pair.pk}"
    page = client_for(cast.cora).get(url).content.decode()
    assert "Mo Example and Mia Example" in page
    response = client_for(cast.cora).post(
        reverse("concerns:create"),
        {
            "relationship": pair.pk,
            "person": cast.mia.pk,
            "scheme": cast.scheme.pk,
            "severity": "high",
            "message": "Heard from the school",
        },
    )
    concern = Concern.objects.get()
    assert response["Location"] == concern.get_absolute_url()
    assert (concern.relationship, concern.about, concern.severity) == (pair, cast.mia, "high")


def test_nobody_can_name_a_pair_or_person_they_do_not_manage(
    cast: Cast, client_for: ClientFor, pair: Relationship
) -> None:
    for name, query in (("olga", f"relationship={pair.pk}"), ("olga", f"person={cast.mia.pk}")):
        client = client_for(getattr(cast, name))
        assert client.get(reverse("concerns:create") + "?" + query).status_code == 404
    assert client_for(cast.mo).get(reverse("concerns:create")).status_code == 404
    olga = client_for(cast.olga).post(
        reverse("concerns:create"),
        {
            "relationship": pair.pk,
            "scheme": cast.other_scheme.pk,
            "severity": "low",
            "message": "x",
        },
    )
    assert olga.status_code == 404 and not Concern.objects.exists()
