"""Rotation pages with the whole cast: who gets in (everyone else gets "not found"), what each
page says, and how many queries a page costs whatever the size of the scheme."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peercircle.conftest import CAST_NAMES, Cast, join
from peercircle.people.models import Person
from peercircle.rotations import services
from peercircle.rotations.models import EngineState, RotationRound, RoundStatus
from peercircle.rotations.tests.helpers import add_peers, pair, rotation_scheme
from peercircle.schemes.choices import Role
from peercircle.schemes.models import Scheme

pytestmark = pytest.mark.django_db

MANAGERS = frozenset({"ada", "cora"})


@pytest.fixture
def peers(cast: Cast) -> Scheme:
    """Cora coordinates "peers"; Mo and Mia are peers in it with two others. Sam supervises Mia
    in the mentoring scheme, which gives him nothing here."""
    scheme = rotation_scheme(cast)
    join(cast.mo, scheme, Role.PEER)
    join(cast.mia, scheme, Role.PEER)
    add_peers(cast, scheme, 2)
    return scheme


def preview(scheme: Scheme) -> RotationRound:
    return services.round_preview(scheme=scheme, actor=None)


def status_for(
    client_for: Callable[[Person], Client], person: Person, method: str, url: str
) -> int:
    client = client_for(person)
    response = client.post(url) if method == "post" else client.get(url)
    return response.status_code


@pytest.mark.parametrize(
    ("name", "method", "url", "allowed"),
    [
        ("rounds", "get", lambda s, r, c: reverse("rotations:scheme", args=[s.slug]), MANAGERS),
        ("round", "get", lambda s, r, c: r.get_absolute_url(), MANAGERS),
        (
            "progress",
            "get",
            lambda s, r, c: reverse("rotations:progress", args=[s.slug, r.pk]),
            MANAGERS,
        ),
        (
            "approve without a date",
            "post",
            lambda s, r, c: reverse("rotations:approve", args=[s.slug, r.pk]),
            MANAGERS,
        ),
        (
            "publish a preview",
            "post",
            lambda s, r, c: reverse("rotations:publish", args=[s.slug, r.pk]),
            MANAGERS,
        ),
        (
            "Mo's history",
            "get",
            lambda s, r, c: reverse("rotations:history", args=[s.slug, c.mo.pk]),
            frozenset({"ada", "cora", "mo"}),
        ),
        (
            "Mia's history",
            "get",
            lambda s, r, c: reverse("rotations:history", args=[s.slug, c.mia.pk]),
            frozenset({"ada", "cora", "mia"}),
        ),
    ],
)
def test_who_may_open_each_page(
    cast: Cast,
    peers: Scheme,
    client_for: Callable[[Person], Client],
    name: str,
    method: str,
    url: Callable[[Scheme, RotationRound, Cast], str],
    allowed: frozenset[str],
) -> None:
    rotation_round = preview(peers)
    target = url(peers, rotation_round, cast)
    for who in CAST_NAMES:
        code = status_for(client_for, getattr(cast, who), method, target)
        if who in allowed:
            assert code in (200, 302), f"{who} was refused {name}"
        else:
            assert code == 404, f"{who} got {code} for {name}, not 404"
    rotation_round.refresh_from_db()
    assert rotation_round.status == RoundStatus.PREVIEW  # refused posts changed nothing


@pytest.mark.parametrize("action", ["preview", "cancel"])
def test_only_managers_preview_and_cancel(
    cast: Cast, peers: Scheme, client_for: Callable[[Person], Client], action: str
) -> None:
    rotation_round = preview(peers)
    url = (
        reverse("rotations:preview", args=[peers.slug])
        if action == "preview"
        else reverse("rotations:cancel", args=[peers.slug, rotation_round.pk])
    )
    for who in ("mo", "mia", "sam", "oz", "olga"):
        assert status_for(client_for, getattr(cast, who), "post", url) == 404
    assert RotationRound.objects.get().status == RoundStatus.PREVIEW
    for who in ("cora", "ada"):
        assert status_for(client_for, getattr(cast, who), "post", url) == 302
    if action == "preview":
        assert RotationRound.objects.filter(status=RoundStatus.PREVIEW).count() == 1
        assert RotationRound.objects.count() == 3
    else:
        assert RotationRound.objects.get().status == RoundStatus.CANCELLED


def test_a_coordinator_previews_approves_and_publishes_through_the_pages(
    cast: Cast, peers: Scheme, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cast.cora)
    response = client.post(
        reverse("rotations:preview", args=[peers.slug]), {"odd_member": "trio"}, follow=True
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Round 1 of Staff peers" in page
    assert "proven to be the best possible" in page
    assert "Nobody needs one-way support this round." in page
    rotation_round = RotationRound.objects.get()
    response = client.post(
        reverse("rotations:approve", args=[peers.slug, rotation_round.pk]),
        {"rotation_date": "2000-01-01"},
        follow=True,
    )
    assert "cannot be in the past" in response.content.decode()
    today = timezone.localdate().isoformat()
    client.post(
        reverse("rotations:approve", args=[peers.slug, rotation_round.pk]),
        {"rotation_date": today},
    )
    rotation_round.refresh_from_db()
    assert rotation_round.status == RoundStatus.APPROVED
    response = client.post(
        reverse("rotations:publish", args=[peers.slug, rotation_round.pk]), follow=True
    )
    assert "is published" in response.content.decode()
    rotation_round.refresh_from_db()
    assert rotation_round.status == RoundStatus.PUBLISHED

    # Mo now sees the new peer on his own history.
    history = client_for(cast.mo).get(reverse("rotations:history", args=[peers.slug, cast.mo.pk]))
    assert "Round 1" in history.content.decode()


def test_bad_input_shows_plain_words_not_an_error_page(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cast.cora)
    response = client.get(reverse("rotations:scheme", args=[cast.scheme.slug]))
    assert response.status_code == 200
    assert "Rotations are for mutual peer schemes" in response.content.decode()
    empty = rotation_scheme(cast, slug="empty")
    response = client.post(reverse("rotations:preview", args=[empty.slug]), follow=True)
    assert response.status_code == 200
    assert "has no active peers" in response.content.decode()
    add_peers(cast, empty, 1)
    response = client.post(reverse("rotations:preview", args=[empty.slug]), follow=True)
    assert "only one active peer" in response.content.decode()
    response = client.post(reverse("rotations:preview", args=[cast.scheme.slug]), follow=True)
    assert response.status_code == 200
    assert "Rotations are for mutual peer schemes" in response.content.decode()


def test_the_progress_fragment_polls_until_the_engine_is_done(
    cast: Cast, peers: Scheme, client_for: Callable[[Person], Client]
) -> None:
    rotation_round = preview(peers)
    url = reverse("rotations:progress", args=[peers.slug, rotation_round.pk])
    response = client_for(cast.cora).get(url)
    assert response["HX-Refresh"] == "true"
    RotationRound.objects.filter(pk=rotation_round.pk).update(
        engine_state=EngineState.RUNNING, engine_stage="pairing mutual peers", engine_progress=0.5
    )
    response = client_for(cast.cora).get(url)
    assert "HX-Refresh" not in response
    assert 'hx-trigger="every 2s"' in response.content.decode()
    assert "pairing mutual peers" in response.content.decode()
    page = client_for(cast.cora).get(rotation_round.get_absolute_url()).content.decode()
    assert 'hx-trigger="every 2s"' in page


def test_list_pages_cost_the_same_queries_at_any_size(
    cast: Cast, client_for: Callable[[Person], Client], django_assert_max_num_queries: Any
) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 8, probation=2)
    client = client_for(cast.cora)

    def measure() -> tuple[int, int, int]:
        rotation_round = RotationRound.objects.filter(scheme=scheme).first()
        assert rotation_round is not None
        urls = [
            reverse("rotations:scheme", args=[scheme.slug]),
            rotation_round.get_absolute_url(),
            reverse("rotations:history", args=[scheme.slug, people[0].pk]),
        ]
        counts = []
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts[0], counts[1], counts[2]

    first = services.round_preview(scheme=scheme, actor=None)
    services.round_approve(
        rotation_round=first, actor=None, rotation_date=date(2025, 7, 7), today=date(2025, 7, 7)
    )
    services.round_publish(rotation_round=first, actor=None, today=date(2025, 7, 7))
    services.round_preview(scheme=scheme, actor=None)
    small = measure()
    more = add_peers(cast, scheme, 40, probation=6, prefix="More")
    for k in range(0, 20, 2):
        pair(scheme, more[k], more[k + 1], date(2026, 1, 5))
    for day in (date(2026, 1, 5), date(2026, 7, 6)):
        open_round = RotationRound.objects.filter(scheme=scheme, status="preview").first()
        if open_round is not None:
            services.round_cancel(rotation_round=open_round, actor=None)
        rotation_round = services.round_preview(scheme=scheme, actor=None)
        services.round_approve(
            rotation_round=rotation_round, actor=None, rotation_date=day, today=day
        )
        services.round_publish(rotation_round=rotation_round, actor=None, today=day)
    services.round_preview(scheme=scheme, actor=None)
    large = measure()
    assert large == small, f"queries grew with the data: {small} -> {large}"
    latest = RotationRound.objects.filter(scheme=scheme).first()
    assert latest is not None
    with django_assert_max_num_queries(20):
        client.get(latest.get_absolute_url())


def test_the_scheme_and_person_pages_link_to_the_rotation(
    cast: Cast, peers: Scheme, client_for: Callable[[Person], Client]
) -> None:
    rounds = reverse("rotations:scheme", args=[peers.slug])
    scheme_page = client_for(cast.cora).get(peers.get_absolute_url()).content.decode()
    assert rounds in scheme_page
    mentoring_page = client_for(cast.cora).get(cast.scheme.get_absolute_url()).content.decode()
    assert "Rotation rounds" not in mentoring_page
    history = reverse("rotations:history", args=[peers.slug, cast.mo.pk])
    for who in (cast.mo, cast.cora):
        page = client_for(who).get(reverse("people:detail", args=[cast.mo.pk])).content.decode()
        assert history in page
    # Mia's own page does not link to Mo's history, and her mentoring role has none.
    page = client_for(cast.mia).get(reverse("people:detail", args=[cast.mia.pk])).content.decode()
    assert history not in page
    assert reverse("rotations:history", args=[peers.slug, cast.mia.pk]) in page


def test_the_round_page_says_who_is_left_out_and_why_publishing_was_refused(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 2, probation=2)
    rotation_round = services.round_preview(scheme=scheme, actor=None)
    page = client_for(cast.cora).get(rotation_round.get_absolute_url()).content.decode()
    assert "Without a peer this round" in page
    assert "Peer00 Example: on probation, and every other member is on probation too" in page

    # (A round pairing nobody cannot be approved; this one stands in for one that was.)
    RotationRound.objects.filter(pk=rotation_round.pk).update(
        status=RoundStatus.APPROVED, rotation_date=date(2030, 1, 1), publish_error="Ana left."
    )
    page = client_for(cast.cora).get(rotation_round.get_absolute_url()).content.decode()
    assert "Publishing was refused: Ana left." in page
    assert "Publish now" in page
