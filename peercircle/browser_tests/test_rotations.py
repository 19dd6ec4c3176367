"""A coordinator previews the next round of a mutual peer rotation, reads it, approves it for
today and publishes it, in a real browser; then a peer finds the new peer on their history,
on a phone. Every rotation page passes the accessibility basics of ``test_accessibility``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from peercircle.browser_tests.conftest import PHONE
from peercircle.browser_tests.test_accessibility import _check_page
from peercircle.conftest import Cast, join
from peercircle.people.models import Person
from peercircle.relationships.choices import EndReason, Status
from peercircle.relationships.models import Relationship
from peercircle.rotations.models import RotationRound, RoundStatus
from peercircle.rotations.tests.helpers import add_peers, pair, rotation_scheme
from peercircle.schemes.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_previews_and_publishes_a_rotation(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    scheme = rotation_scheme(cast)
    join(cast.mo, scheme, Role.PEER)
    people = add_peers(cast, scheme, 4, probation=1)
    earlier = pair(scheme, cast.mo, people[0], date(2025, 1, 6))

    sign_in(cast.cora)
    page.goto(f"/schemes/{scheme.slug}/")
    page.get_by_role("link", name="Rotation rounds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rotation of Staff peers")
    page.get_by_label("They join a pair as a trio").check()
    page.get_by_role("button", name="Preview the next round").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Round 1 of Staff peers")
    expect(page.get_by_text("proven to be the best possible")).to_be_visible()
    expect(page.get_by_text("Peer03 Example is supported by")).to_be_visible()
    expect(page.get_by_text("None: nobody is paired with someone they were paired")).to_be_visible()
    page.get_by_label("Show").select_option("mutual")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page.get_by_role("cell", name="Mutual peers").first).to_be_visible()
    expect(page.get_by_role("cell", name="One-way support")).to_have_count(0)

    page.get_by_label("Rotation date").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Approve for this date").click()
    expect(page.get_by_role("status")).to_contain_text("Round 1 is approved")
    page.get_by_role("button", name="Publish now").click()
    expect(page.get_by_role("status")).to_contain_text("Round 1 is published")
    expect(page.locator(".lead .badge")).to_have_text("Published")

    rotation_round = RotationRound.objects.get()
    assert rotation_round.status == RoundStatus.PUBLISHED
    earlier.refresh_from_db()
    assert earlier.status == Status.ENDED
    assert earlier.end_reason == EndReason.ROTATION
    assert Relationship.objects.filter(scheme=scheme, status=Status.ACTIVE).count() == 3

    problems = []
    page.set_viewport_size(PHONE)
    for url in [f"/rotations/{scheme.slug}/", rotation_round.get_absolute_url()]:
        problems += _check_page(page, url)
    assert problems == []

    # Mo, on his phone, finds the new peer round by round from his own page.
    context = page.context
    context.clear_cookies()
    sign_in(cast.mo)
    page.goto(f"/people/{cast.mo.pk}/")
    page.get_by_role("link", name="Peers round by round").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your peers in Staff peers")
    expect(page.get_by_role("cell", name="Round 1")).to_be_visible()
    expect(page.get_by_text("the peer rotation moved on")).to_be_visible()
    assert _check_page(page, page.url) == []
