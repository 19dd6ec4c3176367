"""A person's notifications page, the unread count in the header, and marking read."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.notifications.services import notify
from peercircle.people.models import Person

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]


def tell(person: Person, title: str, link: str = "") -> Notification:
    notification = notify(person=person, kind="test", title=title, link=link, email=False)
    assert notification is not None
    return notification


def test_the_list_shows_only_ones_own_newest_first(cast: Cast, client_for: ClientFor) -> None:
    tell(cast.mo, "First for Mo")
    tell(cast.mia, "For Mia")
    tell(cast.mo, "Second for Mo")
    response = client_for(cast.mo).get(reverse("notifications:list"))
    assert [n.title for n in response.context["page"].object_list] == [
        "Second for Mo",
        "First for Mo",
    ]
    assert "For Mia" not in response.content.decode()


def test_the_header_counts_unread_notifications(cast: Cast, client_for: ClientFor) -> None:
    tell(cast.mo, "One")
    tell(cast.mo, "Two")
    tell(cast.mia, "Not Mo's")
    body = client_for(cast.mo).get(reverse("web:home")).content.decode()
    assert '<span class="count" aria-hidden="true">2</span>' in body
    assert '<span class="visually-hidden">, 2 unread</span>' in body
    Notification.objects.filter(person=cast.mo).update(read_at="2026-01-01T00:00:00Z")
    body = client_for(cast.mo).get(reverse("web:home")).content.decode()
    assert "unread" not in body


def test_the_unread_count_rides_along_with_the_person_query(
    cast: Cast, client_for: ClientFor
) -> None:
    tell(cast.mo, "One")
    client = client_for(cast.mo)
    url = reverse("notifications:list")
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        body = client.get(url).content.decode()
    mentions = [q["sql"] for q in captured if "read_at" in q["sql"] and "COUNT(" in q["sql"]]
    assert len(mentions) == 1
    assert '"people_person"' in mentions[0]  # one query loads the person and counts
    assert ", 1 unread</span>" in body


def test_opening_a_notification_marks_it_read_and_follows_its_link(
    cast: Cast, client_for: ClientFor
) -> None:
    notification = tell(cast.mo, "See your match", link=reverse("web:home"))
    response = client_for(cast.mo).post(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == reverse("web:home")
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_a_link_outside_peercircle_is_never_followed(cast: Cast, client_for: ClientFor) -> None:
    notification = tell(cast.mo, "Odd", link="//evil.example/phish")
    response = client_for(cast.mo).post(reverse("notifications:open", args=[notification.pk]))
    assert response["Location"] == reverse("notifications:list")


def test_nobody_opens_or_marks_another_persons_notification(
    cast: Cast, client_for: ClientFor
) -> None:
    notification = tell(cast.mia, "Mia's")
    for name in ("mo", "cora", "ada", "olga"):
        client = client_for(getattr(cast, name))
        for view in ("notifications:open", "notifications:read"):
            assert client.post(reverse(view, args=[notification.pk])).status_code == 404, name
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_one_and_mark_all_read(cast: Cast, client_for: ClientFor) -> None:
    first, second, third = (tell(cast.mo, t) for t in ("A", "B", "C"))
    mias = tell(cast.mia, "Mia's")
    client = client_for(cast.mo)
    response = client.post(reverse("notifications:read", args=[first.pk]), {"page": "1"})
    assert response["Location"] == reverse("notifications:list") + "?page=1"
    assert Notification.objects.filter(person=cast.mo, read_at=None).count() == 2
    client.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(person=cast.mo, read_at=None).exists()
    mias.refresh_from_db()
    assert mias.read_at is None
    assert {second.pk, third.pk} <= set(Notification.objects.values_list("pk", flat=True))


def test_the_list_is_paged_in_a_fixed_number_of_queries(cast: Cast, client_for: ClientFor) -> None:
    client = client_for(cast.mo)

    def queries(page: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(reverse("notifications:list"), {"page": page})
        assert response.status_code == 200
        return len(captured)

    for i in range(5):
        tell(cast.mo, f"N{i}")
    few = queries(1)
    for i in range(settings.PAGE_SIZE + 10):
        tell(cast.mo, f"M{i}")
    assert queries(1) == few
    response = client.get(reverse("notifications:list"), {"page": 2})
    assert len(response.context["page"].object_list) == 15
