"""A coordinator forms peer groups, tries a move the size limits refuse, and confirms; a member
then finds her group, in a real browser."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from peercircle.browser_tests.conftest import DESKTOP, PHONE
from peercircle.conftest import Cast
from peercircle.groups.models import GroupMembership, PeerGroup
from peercircle.groups.tests.helpers import add_peers, group_scheme
from peercircle.notifications.models import Notification
from peercircle.people.models import Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_forms_groups_and_confirms_them(
    page: Page, context: BrowserContext, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=6)
    add_peers(cast, scheme, 10)  # 12 with Mo and Mia: two groups of 6
    sign_in(cast.cora)
    page.goto(f"/schemes/{scheme.slug}/")
    page.get_by_role("link", name="Groups", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Groups of Reflective practice groups"
    )
    expect(page.get_by_text("12 not in a group yet")).to_be_visible()

    page.get_by_role("link", name="Form groups").click()
    # Nothing chosen to balance: the form says what to do instead of failing.
    for label in ("Role in the scheme", "Town or area"):
        page.get_by_label(label).select_option(label="Not considered")
    page.get_by_role("button", name="Propose groups").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one thing to balance")

    page.get_by_label("Town or area").select_option(label="Matters most")
    page.get_by_label("Years of experience").select_option(label="A little")
    page.get_by_role("button", name="Propose groups").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Proposed groups")
    expect(page.get_by_text(re.compile(r"Overall balance \d+\.\d%"))).to_be_visible()
    expect(page.get_by_text("12 people in 2 groups of 6.")).to_be_visible()
    # The proposal is readable on a phone: nothing sticks out sideways.
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.set_viewport_size(DESKTOP)
    group_one = page.get_by_role("region", name="Group 1")
    expect(group_one).to_contain_text("Town or area:")

    # Group 2 is full: the move is refused in words, and nothing changes.
    group_one.get_by_label("To group number (1 to 2)").fill("2")
    group_one.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Group 2 already has 6 members, the largest a group may be (6)"
    )

    page.get_by_role("button", name="Confirm these groups and tell the members").click()
    expect(page.get_by_role("status")).to_contain_text("Confirmed 2 groups")
    expect(page.get_by_role("link", name="Group 1")).to_be_visible()
    assert PeerGroup.objects.filter(scheme=scheme).count() == 2
    assert Notification.objects.filter(kind="groups.joined").count() == 12

    # Mia follows her notification to her group, and sees only that group.
    mias_group = GroupMembership.objects.get(person=cast.mia).group
    context.clear_cookies()
    sign_in(cast.mia)
    page.goto("/notifications/")
    expect(
        page.get_by_role("heading", name="You are in a new group in Reflective practice groups")
    ).to_be_visible()
    page.get_by_role("button", name=re.compile(r"^Open\b.*You are in a new group")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(mias_group.name)
    expect(page.get_by_text("Mia Example (you)")).to_be_visible()
    expect(page.get_by_text("balance")).to_have_count(0)
    page.get_by_role("link", name="← Your groups").click()
    expect(page.get_by_role("link", name=re.compile(r"^Group \d$"))).to_have_count(1)
