"""A coordinator matches mentees in a real browser, from a weight change to confirmed
relationships, with the supervising social worker agreeing in between; and the matching pages
pass the accessibility basics of ``test_accessibility`` on a phone."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from peercircle.browser_tests.conftest import PHONE
from peercircle.browser_tests.test_accessibility import _check_page
from peercircle.conftest import Cast
from peercircle.matching.models import MatchRun, ProposedPair
from peercircle.matching.tests.helpers import mentoring_world
from peercircle.people.models import Membership, Person
from peercircle.relationships.models import Relationship
from peercircle.schemes.models import Scheme

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_runs_explains_locks_reruns_consults_and_confirms(
    page: Page, context: BrowserContext, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    world = mentoring_world(cast)
    sign_in(cast.cora)

    # A weight changed on the scheme's settings page reaches the run.
    page.goto(cast.scheme.get_absolute_url())
    page.get_by_role("link", name="Settings and matching criteria").click()
    page.get_by_label("Weight of “prefer the same type of fostering or work”").fill("9")
    page.get_by_role("button", name="Save settings").click()
    expect(page.get_by_role("status")).to_contain_text("Settings saved")
    assert Scheme.objects.get(pk=cast.scheme.pk).matching_criteria["work_type"]["weight"] == 9

    page.get_by_role("link", name="Matching runs").click()
    expect(page.get_by_text("prefer the same type of fostering or work (weight 9)")).to_be_visible()
    page.get_by_role("button", name="Run a match").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Matching run of")

    # Why the pair was made, and why Nia is left unmatched with what would change it.
    row = page.locator("tr", has_text="Mia Example")
    expect(row).to_contain_text("Mo Example")
    expect(row).to_contain_text("Type of fostering or work: both work with teenagers (9.00)")
    unmatched = page.locator("#unmatched + ul li", has_text="Nia Example")
    expect(unmatched).to_contain_text("no mentor who speaks Tigrinya")
    expect(unmatched).to_contain_text("Accept a mentor who does not speak Tigrinya")

    page.get_by_role("button", name="Lock Mia Example with Mo Example").click()
    expect(page.get_by_role("status")).to_contain_text("Locked Mia Example with Mo Example")
    first = MatchRun.objects.get()
    page.get_by_role("button", name="Run again, keeping locked pairs").click()
    expect(page.get_by_text("A re-run of")).to_be_visible()
    second = MatchRun.objects.exclude(pk=first.pk).get()
    expect(page.locator("tr", has_text="Mia Example").locator(".badge")).to_have_text("locked")
    assert ProposedPair.objects.get(run=second, mentee=cast.mia).locked

    page.get_by_role("button", name="Send to supervising social workers").click()
    expect(page.get_by_role("status")).to_contain_text("Sent to 1 supervising social worker")

    # Sam, Mia's supervising social worker, hears of it and agrees.
    context.clear_cookies()
    sign_in(cast.sam)
    page.goto("/notifications/")
    note = "Proposed matches to review in Carer mentoring"
    expect(page.get_by_role("heading", name=note)).to_be_visible()
    page.get_by_role("button", name=re.compile(f"^Open.*{note}")).click()
    expect(page).to_have_url(re.compile(f"/matching/runs/{second.pk}/consult/$"))
    expect(page.get_by_role("heading", name="Mia Example with Mo Example")).to_be_visible()
    expect(page.get_by_text("Nia Example")).to_have_count(0)
    page.get_by_label("I agree with this match").check()
    page.get_by_role("button", name="Send my answer about Mia Example").click()
    expect(page.get_by_role("status")).to_contain_text("the coordinator can see your answer")

    # Cora sees the answer and confirms.
    context.clear_cookies()
    sign_in(cast.cora)
    page.goto(f"/matching/runs/{second.pk}/")
    expect(page.locator("tr", has_text="Mia Example")).to_contain_text("Agreed")
    page.get_by_role("button", name="Confirm the matches").click()
    expect(page.get_by_role("status")).to_contain_text("Confirmed: 1 relationships created")
    page.get_by_role("link", name="Relationship created").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mo Example and Mia Example")
    assert Relationship.objects.filter(participants__person=world["mia"]).count() == 1
    assert Membership.objects.get(person=cast.mia, role="mentee").waiting_since is None


def test_the_matching_pages_name_every_control_and_fit_a_phone(
    page: Page, context: BrowserContext, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    from peercircle.matching import services

    mentoring_world(cast)
    run = services.run_start(scheme=cast.scheme, actor=None)
    page.set_viewport_size(PHONE)
    sign_in(cast.cora)
    problems = []
    for url in ("/matching/schemes/mentoring/", f"/matching/runs/{run.pk}/"):
        problems += _check_page(page, url)
    services.run_send_for_consultation(run=run, actor=None)
    problems += _check_page(page, f"/matching/runs/{run.pk}/")
    context.clear_cookies()
    sign_in(cast.sam)
    problems += _check_page(page, f"/matching/runs/{run.pk}/consult/")
    # The answer choices are a named group, so a screen reader says what they answer.
    expect(page.get_by_role("group", name="Your answer about Mia Example")).to_be_visible()
    assert problems == []
