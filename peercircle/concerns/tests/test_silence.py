"""Pairs not meeting, as coordinators see them: the same rule as the reminders, at any size."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peercircle.concerns.models import PairSilence
from peercircle.concerns.reminders import pair_silence_refresh, silences, working_pairs
from peercircle.concerns.silence import silent_pair_rows, silent_pairs
from peercircle.conftest import Cast, join
from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.models import Meeting
from peercircle.people.models import Membership, Person
from peercircle.relationships.choices import Kind, Purpose, Side, Status
from peercircle.relationships.models import Participant, Relationship
from peercircle.schemes.choices import Role, SchemeType
from peercircle.schemes.choices import Status as MemberStatus
from peercircle.schemes.models import Scheme
from peercircle.schemes.services import scheme_create

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]
NOW = datetime(2026, 6, 30, 11, 0, tzinfo=UTC)
TODAY = date(2026, 6, 30)


def add_pairs(
    cast: Cast,
    n: int,
    *,
    started_days_ago: Callable[[int], int],
    met_days_ago: Callable[[int], int | None],
    status: str = Status.ACTIVE,
    hour: int = 10,
    scheme: Scheme | None = None,
) -> list[Relationship]:
    """``n`` mentoring pairs written in bulk (fast enough for hundreds)."""
    scheme = scheme or cast.scheme
    start = Person.objects.count()
    people = Person.objects.bulk_create(
        Person(organisation=cast.org, given_name=f"P{start + i}", family_name="Load")
        for i in range(2 * n)
    )
    Membership.objects.bulk_create(
        Membership(
            organisation=cast.org,
            person=p,
            scheme=scheme,
            role=Role.MENTOR if i % 2 == 0 else Role.MENTEE,
            status=MemberStatus.ACTIVE,
        )
        for i, p in enumerate(people)
    )
    pairs = Relationship.objects.bulk_create(
        Relationship(
            organisation=cast.org,
            scheme=scheme,
            kind=Kind.MENTORING,
            purpose=Purpose.NEW_CARER,
            status=status,
            started_on=TODAY - timedelta(days=started_days_ago(i)),
        )
        for i in range(n)
    )
    Participant.objects.bulk_create(
        Participant(
            organisation=cast.org,
            relationship=pair,
            person=people[2 * i + offset],
            side=Side.MENTOR if offset == 0 else Side.MENTEE,
        )
        for i, pair in enumerate(pairs)
        for offset in (0, 1)
    )
    meetings = []
    for i, pair in enumerate(pairs):
        ago = met_days_ago(i)
        if ago is not None:
            when = datetime(2026, 6, 30, hour, 0, tzinfo=UTC) - timedelta(days=ago)
            meetings += [
                Meeting(
                    organisation=cast.org,
                    relationship=pair,
                    starts_at=when - timedelta(days=20),
                    status=MeetingStatus.HELD,
                ),
                Meeting(
                    organisation=cast.org,
                    relationship=pair,
                    starts_at=when,
                    status=MeetingStatus.HELD,
                ),
                # A booked or missed meeting is not a meeting held.
                Meeting(
                    organisation=cast.org,
                    relationship=pair,
                    starts_at=when + timedelta(days=3),
                    status=MeetingStatus.MISSED,
                ),
            ]
    Meeting.objects.bulk_create(meetings)
    refresh()
    return pairs


def refresh() -> None:
    """What the hourly job does before the coordinators' lists are read."""
    pair_silence_refresh(working_pairs(today=TODAY))


def listed(cast: Cast, today: date = TODAY) -> list[Relationship]:
    return [s.relationship for s in silent_pairs([cast.scheme], today=today)]


def test_most_silent_first_with_the_stage_reached(cast: Cast) -> None:
    never, long_ago, recent = (
        add_pairs(cast, 1, started_days_ago=lambda i: 80, met_days_ago=lambda i: None)[0],
        add_pairs(cast, 1, started_days_ago=lambda i: 200, met_days_ago=lambda i: 52)[0],
        add_pairs(cast, 1, started_days_ago=lambda i: 200, met_days_ago=lambda i: 10)[0],
    )
    rows = silent_pair_rows(list(silent_pairs([cast.scheme], today=TODAY)), today=TODAY)
    assert [(r.relationship, r.days, r.met, r.stage) for r in rows] == [
        (never, 80, False, "Concern raised"),
        (long_ago, 52, True, "Coordinator told"),
    ]
    assert recent not in [r.relationship for r in rows]
    assert [p.given_name for p in rows[0].parties] == ["P7", "P8"]


def test_a_pair_shows_from_the_day_of_its_schemes_nudge(cast: Cast) -> None:
    on_the_day = add_pairs(cast, 1, started_days_ago=lambda i: 99, met_days_ago=lambda i: 35)
    add_pairs(cast, 1, started_days_ago=lambda i: 99, met_days_ago=lambda i: 34)
    assert listed(cast) == on_the_day


def test_paused_and_ending_pairs(cast: Cast) -> None:
    add_pairs(
        cast, 1, started_days_ago=lambda i: 90, met_days_ago=lambda i: None, status="suspended"
    )
    ending = add_pairs(
        cast, 1, started_days_ago=lambda i: 90, met_days_ago=lambda i: None, status="ending"
    )
    assert listed(cast) == ending


def test_a_meeting_logged_since_the_last_refresh_takes_the_pair_off_at_once(cast: Cast) -> None:
    pair, other = add_pairs(cast, 2, started_days_ago=lambda i: 90, met_days_ago=lambda i: 60)
    Meeting.objects.create(
        organisation=cast.org,
        relationship=pair,
        starts_at=datetime(2026, 6, 29, 18, 0, tzinfo=UTC),
        status=MeetingStatus.HELD,
    )
    assert listed(cast) == [other]


def test_a_new_nudge_setting_applies_without_waiting_for_the_job(cast: Cast) -> None:
    pair = add_pairs(cast, 1, started_days_ago=lambda i: 90, met_days_ago=lambda i: 30)
    assert listed(cast) == []
    cast.scheme.nudge_after_days = 20
    cast.scheme.save(update_fields=["nudge_after_days"])
    assert listed(cast) == pair


def test_ended_pairs_leave_the_list_before_the_next_refresh(cast: Cast) -> None:
    pair, other = add_pairs(cast, 2, started_days_ago=lambda i: 90, met_days_ago=lambda i: None)
    Relationship.objects.filter(pk=pair.pk).update(status=Status.ENDED)
    assert listed(cast) == [other]
    refresh()
    assert not PairSilence.objects.filter(relationship=pair).exists()


@pytest.mark.parametrize("hour", [0, 10, 23])
def test_the_dashboard_and_the_reminders_agree_on_who_is_silent(cast: Cast, hour: int) -> None:
    # Meetings late in the evening or just after midnight: the local date decides, both ways.
    rng = random.Random(hour)
    add_pairs(
        cast,
        120,
        started_days_ago=lambda i: rng.randint(0, 120),
        met_days_ago=lambda i: rng.choice([None, rng.randint(0, 80)]),
        hour=hour,
    )
    with time_machine.travel(NOW, tick=False):
        by_job = {s.relationship_id: s.days for s in silences(today=TODAY)}
    rows = silent_pair_rows(list(silent_pairs([cast.scheme], today=TODAY)), today=TODAY)
    assert {r.relationship.pk: r.days for r in rows} == by_job
    assert [r.days for r in rows] == sorted((r.days for r in rows), reverse=True)


def test_the_dashboard_lists_the_ten_most_silent_and_links_the_rest(
    cast: Cast, client_for: ClientFor
) -> None:
    add_pairs(cast, 12, started_days_ago=lambda i: 100 + i, met_days_ago=lambda i: None)
    with time_machine.travel(NOW, tick=False):
        response = client_for(cast.cora).get(reverse("web:home"))
    body = response.content.decode()
    assert "12 pairs have logged no meeting" in body
    assert [row.days for row in response.context["silent"]] == list(range(111, 101, -1))
    assert reverse("concerns:silent") in body


def test_the_dashboard_costs_the_same_queries_for_15_or_300_silent_pairs(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)

    def queries() -> int:
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("web:home")).status_code == 200
        return len(captured)

    add_pairs(cast, 15, started_days_ago=lambda i: 90, met_days_ago=lambda i: 40 + i % 30)
    few = queries()
    add_pairs(cast, 285, started_days_ago=lambda i: 90, met_days_ago=lambda i: 40 + i % 30)
    assert queries() == few


def test_the_page_of_all_silent_pairs_is_paged_and_filtered(
    cast: Cast, client_for: ClientFor
) -> None:
    groups = scheme_create(
        organisation=cast.org, name="Carer groups", scheme_type=SchemeType.GROUPS, actor=None
    )
    join(cast.cora, groups, Role.COORDINATOR)
    add_pairs(cast, 55, started_days_ago=lambda i: 90, met_days_ago=lambda i: None)
    add_pairs(cast, 3, started_days_ago=lambda i: 90, met_days_ago=lambda i: None, scheme=groups)
    client = client_for(cast.cora)

    def get(**query: int) -> Any:
        with time_machine.travel(NOW, tick=False):
            response = client.get(reverse("concerns:silent"), query)
        assert response.status_code == 200
        return response

    assert len(get().context["rows"]) == 50
    assert get().context["page"].paginator.count == 58
    assert len(get(page=2).context["rows"]) == 8
    only_groups = get(scheme=groups.pk).context["rows"]
    assert {r.relationship.scheme for r in only_groups} == {groups} and len(only_groups) == 3

    def queries(page: int) -> int:
        with time_machine.travel(NOW, tick=False), CaptureQueriesContext(connection) as captured:
            client.get(reverse("concerns:silent"), {"page": page})
        return len(captured)

    assert queries(1) == queries(2)


def test_the_dashboard_stops_counting_at_its_cap(
    cast: Cast, client_for: ClientFor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from peercircle.web import views

    monkeypatch.setattr(views, "SILENT_COUNT_CAP", 5)
    add_pairs(cast, 7, started_days_ago=lambda i: 100, met_days_ago=lambda i: None)
    with time_machine.travel(NOW, tick=False):
        body = client_for(cast.cora).get(reverse("web:home")).content.decode()
    assert "More than 5 pairs have logged no meeting" in body
