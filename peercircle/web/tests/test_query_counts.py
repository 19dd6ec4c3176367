"""List pages and the dashboard make a fixed number of queries, however many people there are."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peercircle.conftest import Cast
from peercircle.people.models import Membership, Person, TrainingRecord
from peercircle.schemes.choices import Role, Status


def add_people(cast: Cast, n: int, start: int) -> None:
    people = Person.objects.bulk_create(
        Person(
            organisation=cast.org,
            given_name=f"Extra{i}",
            family_name="Load",
            approved_on=date(2018, 1, 1),
            active_experience_months=40,
            last_training_on=date(2025, 1, 1),
        )
        for i in range(start, start + n)
    )
    Membership.objects.bulk_create(
        Membership(
            organisation=cast.org,
            person=p,
            scheme=cast.scheme,
            role=Role.MENTOR if i % 2 else Role.MENTEE,
            status=Status.ACTIVE,
            waiting_since=None if i % 2 else date(2026, 1, 1),
        )
        for i, p in enumerate(people)
    )
    TrainingRecord.objects.bulk_create(
        TrainingRecord(
            organisation=cast.org, person=p, title="Refresher", completed_on=date(2025, 1, 1)
        )
        for p in people
    )


def count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


PAGES = [
    reverse("web:home"),
    reverse("people:list"),
    reverse("people:list") + "?scheme=mentoring&role=mentor&eligible=yes",
    reverse("people:list") + "?scheme=mentoring&training=overdue&q=load",
    reverse("people:list") + "?waiting=yes&page=2",
    reverse("schemes:list"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", PAGES)
def test_queries_do_not_grow_with_the_number_of_people(
    cast: Cast, client_for: Callable[[Person], Client], url: str
) -> None:
    client = client_for(cast.cora)
    add_people(cast, 60, 0)
    few = count_queries(client, url)
    add_people(cast, 140, 60)
    many = count_queries(client, url)
    assert many == few
    assert few <= 14, f"{url} makes {few} queries"


@pytest.mark.django_db
def test_a_person_page_makes_a_fixed_number_of_queries(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cast.cora)
    url = reverse("people:detail", args=[cast.mo.pk])
    first = count_queries(client, url)
    for i in range(5):
        TrainingRecord.objects.create(
            organisation=cast.org, person=cast.mo, title=f"T{i}", completed_on=date(2025, 1, i + 1)
        )
    assert count_queries(client, url) == first
