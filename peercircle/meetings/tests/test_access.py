"""Meeting pages against the whole cast (the access-matrix pattern of web/tests): who gets in,
and everyone else gets "not found"."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peercircle.conftest import CAST_NAMES, Cast
from peercircle.meetings.choices import Mode
from peercircle.meetings.models import Meeting
from peercircle.meetings.services import meeting_book
from peercircle.meetings.tests.helpers import held_meeting, in_days, make_pair
from peercircle.people.models import Person
from peercircle.relationships.choices import Status
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import relationship_transition

pytestmark = pytest.mark.django_db

VIEWERS = frozenset({"ada", "cora", "sam", "mo", "mia"})  # relationship "view" gate
PARTIES = frozenset({"mo", "mia"})


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Relationship, Meeting, Meeting], str]
    allowed: frozenset[str]
    allowed_when_paused: frozenset[str]
    method: str = "get"


PAGES = [
    Page(
        "meetings of a relationship",
        lambda r, b, h: reverse("meetings:relationship", args=[r.pk]),
        VIEWERS,
        VIEWERS,
    ),
    Page("book", lambda r, b, h: reverse("meetings:book", args=[r.pk]), PARTIES, frozenset()),
    Page("log", lambda r, b, h: reverse("meetings:log", args=[r.pk]), PARTIES, frozenset()),
    Page("change", lambda r, b, h: reverse("meetings:change", args=[b.pk]), PARTIES, frozenset()),
    Page(
        "mark",
        lambda r, b, h: reverse("meetings:status", args=[b.pk]),
        PARTIES,
        frozenset(),
        method="post",
    ),
    Page(
        "record sheet of a meeting",
        lambda r, b, h: reverse("records:for_meeting", args=[h.pk]),
        VIEWERS,
        VIEWERS,
    ),
    Page(
        "own calendar link",
        lambda r, b, h: reverse("meetings:calendar"),
        frozenset(CAST_NAMES),
        frozenset(CAST_NAMES),
    ),
    Page(
        "safeguarding access log",
        lambda r, b, h: reverse("records:break_glass_log"),
        frozenset({"ada"}),
        frozenset({"ada"}),
    ),
]


@pytest.mark.parametrize("paused", [False, True], ids=["active", "paused"])
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_it_lets_in_only_the_allowed_cast(
    cast: Cast, client_for: Callable[[Person], Client], page: Page, paused: bool
) -> None:
    pair = make_pair(cast)
    held = held_meeting(pair)
    booked = meeting_book(
        relationship=pair,
        starts_at=in_days(3),
        duration_minutes=60,
        mode=Mode.PHONE,
        place="",
        actor=None,
    )
    if paused:
        relationship_transition(
            relationship=pair,
            to_status=Status.SUSPENDED,
            actor=None,
            expected_version=pair.version,
        )
    allowed = page.allowed_when_paused if paused else page.allowed
    url = page.url(pair, booked, held)
    for who in CAST_NAMES:
        client = client_for(getattr(cast, who))
        response = client.post(url, {}) if page.method == "post" else client.get(url)
        if who in allowed:
            assert response.status_code in (200, 302), f"{who} should reach {page.name}"
        else:
            assert response.status_code == 404, f"{who} must get 'not found' on {page.name}"


def test_anonymous_visitors_are_sent_to_sign_in(cast: Cast) -> None:
    pair = make_pair(cast)
    for url in (
        reverse("meetings:relationship", args=[pair.pk]),
        reverse("meetings:book", args=[pair.pk]),
        reverse("meetings:calendar"),
        reverse("records:list", args=[pair.pk]),
        reverse("records:break_glass_log"),
    ):
        response = Client().get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_a_paused_pair_cannot_cancel_a_meeting_from_the_page(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    pair = make_pair(cast)
    meeting = meeting_book(
        relationship=pair,
        starts_at=timezone.now() + timedelta(hours=1),
        duration_minutes=60,
        mode=Mode.PHONE,
        place="",
        actor=None,
    )
    relationship_transition(
        relationship=pair, to_status=Status.SUSPENDED, actor=None, expected_version=pair.version
    )
    paused = Meeting.objects.get()  # pausing cancelled it (relationships.hooks)
    assert paused.status == "cancelled"
    response = client_for(cast.mo).post(
        reverse("meetings:status", args=[meeting.pk]),
        {"status": "held", "version": paused.version},
    )
    assert response.status_code == 404
    assert Meeting.objects.get().version == paused.version
