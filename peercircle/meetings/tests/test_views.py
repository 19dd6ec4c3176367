"""Meeting pages and the personal calendar feed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import icalendar
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peercircle.conftest import Cast
from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.meetings.models import CalendarFeed, Meeting
from peercircle.meetings.services import calendar_feed_reset, hash_token, meeting_book
from peercircle.meetings.tests.helpers import held_meeting, in_days, make_pair
from peercircle.people.models import Person
from peercircle.records.tests.helpers import SECRETS, write_record
from peercircle.relationships.choices import Status
from peercircle.relationships.services import relationship_transition

pytestmark = pytest.mark.django_db
Clients = Callable[[Person], Client]


def _book_form(**fields: str) -> dict[str, str]:
    day = timezone.localdate() + timedelta(days=3)
    data = {
        "day": day.isoformat(),
        "at": "10:30",
        "duration_minutes": "60",
        "mode": Mode.IN_PERSON,
        "place": "Library",
    }
    data.update(fields)
    return data


def test_a_mentor_books_a_meeting_from_the_page(cast: Cast, client_for: Clients) -> None:
    pair = make_pair(cast)
    client = client_for(cast.mo)
    response = client.post(reverse("meetings:book", args=[pair.pk]), _book_form())
    assert response.status_code == 302
    meeting = Meeting.objects.get()
    local = timezone.localtime(meeting.starts_at)
    assert (local.hour, local.minute, meeting.place) == (10, 30, "Library")
    page = client.get(reverse("meetings:relationship", args=[pair.pk])).content.decode()
    assert "Library" in page and "Next meeting due by" in page


def test_a_past_booking_gets_a_clear_message_on_the_form(cast: Cast, client_for: Clients) -> None:
    pair = make_pair(cast)
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = client_for(cast.mia).post(
        reverse("meetings:book", args=[pair.pk]), _book_form(day=yesterday)
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "A meeting in the past cannot be booked; record it as held instead." in page
    assert not Meeting.objects.exists()
    nonsense = client_for(cast.mia).post(
        reverse("meetings:book", args=[pair.pk]), _book_form(day="31/02/2026", at="25:99")
    )
    assert "Enter a date" in nonsense.content.decode()
    assert "Enter a time" in nonsense.content.decode()


def test_next_meeting_due_counts_from_the_last_held_meeting(
    cast: Cast, client_for: Clients
) -> None:
    pair = make_pair(cast)
    meeting = held_meeting(pair, days_ago=10)
    page = client_for(cast.cora).get(reverse("meetings:relationship", args=[pair.pk]))
    due = timezone.localdate(meeting.starts_at) + timedelta(days=cast.scheme.meeting_every_days)
    assert page.context["next_due"] == due
    # A coordinator sees that the pair meets, but has no buttons to act for them.
    assert page.context["can_work"] is False
    assert b"Book a meeting" not in page.content


def test_marking_held_from_the_page_and_an_impossible_step_is_explained(
    cast: Cast, client_for: Clients, time_machine: object
) -> None:
    pair = make_pair(cast)
    meeting = meeting_book(
        relationship=pair,
        starts_at=timezone.now() + timedelta(hours=1),
        duration_minutes=30,
        mode=Mode.PHONE,
        place="",
        actor=None,
    )
    client = client_for(cast.mo)  # a session lasts 8 hours: the meeting is sooner
    url = reverse("meetings:status", args=[meeting.pk])
    early = client.post(url, {"status": "held", "version": meeting.version}, follow=True)
    assert "has not started yet" in early.content.decode()
    time_machine.move_to(meeting.starts_at + timedelta(hours=1))  # type: ignore[attr-defined]
    client.post(url, {"status": "held", "version": meeting.version})
    assert Meeting.objects.get().status == MeetingStatus.HELD
    stale = client.post(url, {"status": "missed", "version": meeting.version}, follow=True)
    assert "Someone changed this meeting" in stale.content.decode()
    assert Meeting.objects.get().status == MeetingStatus.HELD


def test_the_meetings_page_takes_the_same_queries_for_3_or_30_meetings(
    cast: Cast, client_for: Clients
) -> None:
    pair = make_pair(cast)
    client = client_for(cast.mo)
    url = reverse("meetings:relationship", args=[pair.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for days in range(3):
        held_meeting(pair, days_ago=days + 1)
    few = count()
    for days in range(3, 30):
        held_meeting(pair, days_ago=days + 1)
    assert count() == few
    assert few <= 16


# The calendar feed -------------------------------------------------------------------------------


def _feed_link(client: Client) -> str:
    page = client.post(reverse("meetings:calendar"), {"action": "create"})
    link: str = page.context["link"]
    return link.replace("http://testserver", "")


def test_a_person_makes_a_secret_feed_that_holds_only_time_place_and_a_first_name(
    cast: Cast, client_for: Clients
) -> None:
    pair = make_pair(cast)
    write_record(cast, held_meeting(pair))
    meeting_book(
        relationship=pair,
        starts_at=in_days(2),
        duration_minutes=60,
        mode=Mode.IN_PERSON,
        place="Library",
        actor=None,
    )
    link = _feed_link(client_for(cast.mia))
    token = link.removeprefix("/calendar/").removesuffix(".ics")
    stored = CalendarFeed.objects.get(person=cast.mia)
    assert stored.token_hash == hash_token(token) and token not in stored.token_hash
    response = Client().get(link)  # calendar apps do not sign in
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    for secret in SECRETS:
        assert secret not in body
    events = icalendar.Calendar.from_ical(response.content).walk("VEVENT")
    assert sorted(str(e["summary"]) for e in events) == ["PeerCircle meeting with Mo"] * 2
    assert {str(e.get("location")) for e in events} == {"Library", "Café on the High Street"}
    assert CalendarFeed.objects.get().last_used_at is not None


def test_resetting_or_turning_off_the_link_stops_the_old_one(
    cast: Cast, client_for: Clients
) -> None:
    client = client_for(cast.mo)
    first = _feed_link(client)
    second = _feed_link(client)  # "replace" and "create" both issue a new token
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    client.post(reverse("meetings:calendar"), {"action": "revoke"})
    assert Client().get(second).status_code == 404
    assert not CalendarFeed.objects.exists()
    assert Client().get("/calendar/not-a-token.ics").status_code == 404


def test_a_paused_relationship_leaves_the_feed(cast: Cast) -> None:
    pair = make_pair(cast)
    meeting_book(
        relationship=pair,
        starts_at=in_days(2),
        duration_minutes=60,
        mode=Mode.PHONE,
        place="",
        actor=None,
    )
    token = calendar_feed_reset(person=cast.mo, actor=None)
    assert b"BEGIN:VEVENT" in Client().get(f"/calendar/{token}.ics").content
    relationship_transition(
        relationship=pair, to_status=Status.SUSPENDED, actor=None, expected_version=pair.version
    )
    # Pausing cancelled the meeting: the feed now tells calendars to drop it.
    body = Client().get(f"/calendar/{token}.ics").content
    assert body.count(b"BEGIN:VEVENT") == 1 and b"STATUS:CANCELLED" in body


def test_the_feed_of_one_organisation_never_shows_another(cast: Cast) -> None:
    make_pair(cast)
    token = calendar_feed_reset(person=cast.olga, actor=None)
    body = Client().get(f"/calendar/{token}.ics").content
    assert b"BEGIN:VCALENDAR" in body and b"BEGIN:VEVENT" not in body


def test_the_feed_takes_the_same_queries_for_3_or_30_meetings(cast: Cast) -> None:
    pair = make_pair(cast)
    token = calendar_feed_reset(person=cast.mo, actor=None)
    Client().get(f"/calendar/{token}.ics")  # the first fetch also notes when it was used

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert Client().get(f"/calendar/{token}.ics").status_code == 200
        return len(queries)

    for days in range(3):
        held_meeting(pair, days_ago=days + 1)
    few = count()
    for days in range(3, 30):
        held_meeting(pair, days_ago=days + 1)
    assert count() == few <= 6
