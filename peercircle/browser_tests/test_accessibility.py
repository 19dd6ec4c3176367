"""Accessibility basics checked in the browser: names, skip link, visible focus, phone width."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from peercircle.browser_tests.conftest import PHONE
from peercircle.conftest import Cast, join, make_person
from peercircle.people import services
from peercircle.people.models import Person
from peercircle.schemes.choices import Role

# Roles of form controls in the accessibility tree; each must have a name.
CONTROL_ROLES = (
    "textbox",
    "searchbox",
    "combobox",
    "listbox",
    "checkbox",
    "radio",
    "spinbutton",
    "button",
    "slider",
    "switch",
)
# A line of Playwright's aria snapshot (YAML): `- textbox "Name"`, quoted whole when it holds ": ".
_CONTROL_LINE = re.compile(r"^\s*- '?(" + "|".join(CONTROL_ROLES) + r')\b(?: "([^"]*)")?')
_VISIBLE_CONTROLS = """() => [...document.querySelectorAll(
    'input:not([type=hidden]), select, textarea, button')].filter(
    e => e.checkVisibility({visibilityProperty: true})).length"""
# Controls folded away in <details> count too: unfold them before looking.
_OPEN_DETAILS = "() => document.querySelectorAll('details').forEach(d => { d.open = true; })"


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


ANONYMOUS_PAGES = ["/accounts/login/", "/accounts/password/reset/", "/accounts/signup/"]


def _people_pages(cast: Cast) -> list[str]:
    # One page per template and form: the pages that share people/form.html differ in form only.
    mia = cast.mia.pk
    return [
        "/",
        "/people/?scheme=mentoring&role=mentor&eligible=yes",
        f"/people/{mia}/",
        "/people/new/",
        f"/people/{mia}/schemes/add/",
        f"/people/{cast.mo.pk}/training/add/",
        "/people/import/",
    ]


def _scheme_and_account_pages(cast: Cast) -> list[str]:
    scheme = cast.scheme.slug
    return [
        f"/schemes/{scheme}/",
        f"/schemes/{scheme}/settings/",
        f"/schemes/{scheme}/eligibility/",
        "/organisation/settings/",
        "/accounts/2fa/",
        "/accounts/password/change/",
    ]


def _unnamed_controls(page: Page) -> tuple[list[str], int]:
    """Controls in the accessibility tree without a name, and how many controls it holds."""
    unnamed, seen = [], 0
    for line in page.locator("body").aria_snapshot().splitlines():
        match = _CONTROL_LINE.match(line)
        if match:
            seen += 1
            if not (match.group(2) or "").strip():
                unnamed.append(line.strip())
    return unnamed, seen


def _check_page(page: Page, url: str) -> list[str]:
    """Problems on ``url`` seen on a phone: unnamed controls, a body wider than the screen."""
    response = page.goto(url)
    assert response is not None and response.status == 200, f"{url}: {response}"
    problems = []
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    if overflow > 0:
        problems.append(f"{url}: {overflow}px wider than a 375px phone screen")
    page.evaluate(_OPEN_DETAILS)
    unnamed, seen = _unnamed_controls(page)
    problems += [f"{url}: control without a name: {line}" for line in unnamed]
    # Every visible control must be in the tree we checked (nothing hidden from it by mistake).
    visible = page.evaluate(_VISIBLE_CONTROLS)
    if seen != visible:
        problems.append(f"{url}: {visible} visible controls but {seen} in the tree")
    return problems


def test_signed_out_pages_name_every_control_and_fit_a_phone(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    page.set_viewport_size(PHONE)
    newcomer = services.person_create(
        organisation=cast.org,
        actor=None,
        data={"given_name": "Nia", "family_name": "New", "email": "nia@example.org"},
    )
    _, token = services.invitation_create(person=newcomer, actor=None)
    problems = []
    for url in [*ANONYMOUS_PAGES, f"/invite/{token}/"]:
        problems += _check_page(page, url)
    cy = make_person(cast.org, "Cy")
    join(cy, cast.scheme, Role.COORDINATOR)
    sign_in(cy)  # a coordinator still to set up two-factor
    problems += _check_page(page, "/accounts/2fa/totp/activate/")
    assert problems == []


@pytest.mark.parametrize(
    "pages", [_people_pages, _scheme_and_account_pages], ids=["people", "schemes and account"]
)
def test_signed_in_pages_name_every_control_and_fit_a_phone(
    page: Page, cast: Cast, sign_in: Callable[[Person], None], pages: Callable[[Cast], list[str]]
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(cast.ada)
    problems = []
    for url in pages(cast):
        problems += _check_page(page, url)
    assert problems == []


def test_the_skip_link_comes_first_and_focus_is_visible_on_every_stop(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    sign_in(cast.cora)
    page.goto(f"/people/{cast.mia.pk}/schemes/add/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0  # on screen once focused
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()

    # From there Tab walks the page's own content, every stop with a visible outline.
    seen = []
    for _ in range(20):
        page.keyboard.press("Tab")
        focus = page.evaluate(
            """() => { const e = document.activeElement, s = getComputedStyle(e);
                return {tag: e.tagName, inMain: document.querySelector('main').contains(e),
                        outline: s.outlineStyle, width: parseFloat(s.outlineWidth)}; }"""
        )
        if not focus["inMain"]:
            break
        seen.append(focus["tag"])
        assert focus["outline"] != "none" and focus["width"] >= 2, focus
    assert seen[0] == "A"  # "← Mia Example", the first thing in the content
    assert {"A", "SELECT", "BUTTON"} <= set(seen)
