"""Signing in and setting up two-factor, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from peercircle.accounts.testing import totp_code
from peercircle.conftest import Cast, join, make_person
from peercircle.schemes.choices import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_signs_in_sets_up_two_factor_and_opens_the_dashboard(
    page: Page, cast: Cast
) -> None:
    cy = make_person(cast.org, "Cy")
    join(cy, cast.scheme, Role.COORDINATOR)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.get_by_label("E-mail address").fill("cy@tri-borough.example")
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("heading", name="Set up two-factor sign-in")).to_be_visible()
    secret = page.get_by_label("Secret key").input_value()
    page.get_by_label("Code from your app").fill(totp_code(secret))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10
    page.get_by_role("link", name="Continue to PeerCircle").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_role("heading", level=2, name="Carer mentoring")).to_be_visible()


def test_signing_in_with_the_keyboard_alone_after_a_wrong_password(page: Page, cast: Cast) -> None:
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # PeerCircle, the home link
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    page.keyboard.type("mo@tri-borough.example")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type("not my password")
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The e-mail address or the password is not right")
    # The summary takes focus, so a screen reader reads it out first.
    expect(summary).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail address")).to_be_focused()
    expect(page.get_by_label("E-mail address")).to_have_value("mo@tri-borough.example")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hello, Mo")
