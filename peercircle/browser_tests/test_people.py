"""A coordinator adds people to her scheme, in a real browser."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from peercircle.conftest import Cast
from peercircle.people.models import Membership, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_coordinator_adds_a_new_person_to_her_scheme_after_fixing_a_mistake(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    sign_in(cast.cora)
    page.goto("/people/")
    page.get_by_role("link", name="Add a person").click()
    page.get_by_label("Scheme").select_option(label="Carer mentoring")
    page.get_by_label("Role").select_option(label="Mentor")
    page.get_by_label("Last name").fill("Okafor")
    page.get_by_label("E-mail (optional)").fill("nia at example.org")
    page.get_by_role("button", name="Save").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("First name")
    expect(summary).to_contain_text("E-mail")
    # The summary's link takes the keyboard straight to the field to fix.
    summary.get_by_role("link", name="First name").click()
    expect(page.get_by_label("First name")).to_be_focused()
    assert not Person.objects.filter(family_name="Okafor").exists()

    page.get_by_label("First name").fill("Nia")
    page.get_by_label("E-mail (optional)").fill("nia@example.org")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Nia Okafor")
    expect(page.get_by_role("status")).to_contain_text("Added Nia Okafor")
    expect(page.get_by_role("heading", name="Carer mentoring: Mentor")).to_be_visible()
    nia = Person.objects.get(email="nia@example.org")
    assert list(Membership.objects.filter(person=nia).values_list("scheme", "role")) == [
        (cast.scheme.pk, "mentor")
    ]


def test_a_coordinator_adds_someone_to_a_second_role(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    sign_in(cast.cora)
    page.goto(f"/people/{cast.mia.pk}/")
    page.get_by_role("link", name="Add to a scheme").click()

    # Mia is a mentee already: asking again is refused plainly and changes nothing.
    page.get_by_label("Role").select_option(label="Mentee")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("already a mentee in Carer mentoring")

    page.get_by_label("Role").select_option(label="Mentor")
    page.get_by_label("Status").select_option(label="Approved")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Added Mia Example to Carer mentoring")
    expect(page.get_by_role("heading", name="Carer mentoring: Mentor Approved")).to_be_visible()
    roles = set(Membership.objects.filter(person=cast.mia).values_list("role", "status"))
    assert roles == {("mentee", "active"), ("mentor", "approved")}
