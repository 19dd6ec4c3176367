"""A mentee asks for support from her phone; the coordinator picks it up, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from peercircle.browser_tests.conftest import PHONE
from peercircle.concerns.models import Concern
from peercircle.conftest import Cast
from peercircle.people.models import Person
from peercircle.relationships.choices import Purpose, Side
from peercircle.relationships.services import relationship_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MESSAGE = "Contact with the birth family went badly and I would like to talk it through"


def fits_the_screen(page: Page) -> bool:
    """Nothing sticks out sideways: the page never scrolls horizontally."""
    width: int = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"] if page.viewport_size else False


def test_a_mentee_asks_for_support_on_her_phone_and_the_coordinator_picks_it_up(
    page: Page, context: BrowserContext, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
    page.set_viewport_size(PHONE)
    sign_in(cast.mia)
    page.goto("/")
    expect(page.get_by_role("heading", name="Mentoring with Mo Example")).to_be_visible()
    assert fits_the_screen(page)

    page.get_by_role("link", name="Ask for support").click()
    assert fits_the_screen(page)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("alert")).to_contain_text("What would you like help with?")
    assert not Concern.objects.exists()

    page.get_by_label("Is it about one of your matches?").select_option(
        label="Mentoring with Mo Example (Carer mentoring)"
    )
    page.get_by_label("In the next few days").check()
    page.get_by_label("What would you like help with?").fill(MESSAGE)
    page.get_by_role("button", name="Send my request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Your request for support")
    expect(page.get_by_role("status")).to_contain_text("sent to the scheme's coordinators")
    expect(page.locator("dl")).to_contain_text("New")
    request_url = page.url

    # The coordinator, at her desk.
    context.clear_cookies()
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(cast.cora)
    page.goto("/")
    # Screen readers hear the count too: "Notifications, 1 unread".
    expect(
        page.get_by_role("link", name=re.compile(r"^Notifications\s*, 1 unread$"))
    ).to_be_visible()
    expect(page.get_by_role("region", name="Concerns")).to_contain_text("1 open concern")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Concerns").click()
    page.get_by_role("link", name="Request for support: Mia Example").click()
    expect(page.get_by_text(MESSAGE)).to_be_visible()
    page.get_by_role("button", name="Take it on").click()
    expect(page.get_by_role("status")).to_contain_text("The concern is yours now")
    page.get_by_label("Note").fill("Rang Mia; visiting on Thursday")
    page.get_by_role("button", name="Add the note").click()
    expect(page.get_by_text("Rang Mia; visiting on Thursday")).to_be_visible()

    # Back on Mia's phone: she sees it is being looked after, not what was noted.
    context.clear_cookies()
    page.set_viewport_size(PHONE)
    sign_in(cast.mia)
    page.goto(request_url)
    expect(page.locator("dl")).to_contain_text("In progress")
    expect(page.get_by_text("Cora Example is looking after it")).to_be_visible()
    expect(page.get_by_text("visiting on Thursday")).to_have_count(0)
    assert fits_the_screen(page)


def test_the_concern_notification_and_personal_pages_name_every_control_and_fit_a_phone(
    page: Page, context: BrowserContext, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    from peercircle.browser_tests.test_accessibility import _check_page
    from peercircle.concerns.services import support_request_send
    from peercircle.notifications.services import notify

    relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
    concern = support_request_send(
        person=cast.mia, scheme=cast.scheme, message="Help", severity="high", actor=None
    )
    notify(person=cast.mia, kind="test", title="Welcome", link="/", email=False)
    page.set_viewport_size(PHONE)
    problems: list[str] = []
    for person, urls in (
        (
            cast.mia,
            ["/", "/concerns/ask-for-support/", concern.get_absolute_url(), "/notifications/"],
        ),
        (
            cast.cora,
            [
                "/",
                "/concerns/",
                concern.get_absolute_url(),
                "/concerns/new/",
                "/concerns/pairs-not-meeting/",
            ],
        ),
    ):
        context.clear_cookies()
        sign_in(person)
        for url in urls:
            problems += _check_page(page, url)
    assert problems == []
