"""A mentee accepts her agreement, signs the statement, then asks for a different supporter,
in a real browser, on a phone-sized screen; and every relationship page passes the accessibility
basics of ``test_accessibility``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from peercircle.browser_tests.conftest import PHONE
from peercircle.browser_tests.test_accessibility import _check_page
from peercircle.conftest import Cast
from peercircle.people.models import Membership, Person
from peercircle.relationships import services
from peercircle.relationships.agreements.models import (
    AgreementAcceptance,
    ConfidentialityStatement,
)
from peercircle.relationships.agreements.services import agreement_revise
from peercircle.relationships.allegations.services import allegation_record
from peercircle.relationships.choices import Purpose, Side, Status
from peercircle.relationships.endings.services import disagreement_record
from peercircle.relationships.models import PairExclusion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
# Pages with two forms must not repeat an id: labels and error links would point at the first.
_DUPLICATE_IDS = """() => { const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
    return [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))]; }"""


def test_a_mentee_accepts_the_agreement_and_later_asks_for_a_different_supporter(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    relationship = services.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=cast.cora.user,
    )
    agreement_revise(
        relationship=relationship,
        sections={"purpose": "Settling in with Jay", "contact": "Monthly, at the café"},
        actor=cast.mo.user,
        based_on=0,
    )
    page.set_viewport_size(PHONE)
    sign_in(cast.mia)
    page.goto("/relationships/")
    page.get_by_role("link", name="Mo Example and Mia Example").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mo Example and Mia Example")

    page.get_by_role("link", name="Read the agreement").click()
    expect(page.get_by_role("heading", name="Method and frequency of contact")).to_be_visible()
    expect(page.get_by_text("Monthly, at the café")).to_be_visible()
    page.get_by_role("button", name="I accept version 1").click()
    expect(page.get_by_role("status")).to_contain_text("You accepted version 1")
    expect(page.get_by_role("button", name="I accept version 1")).to_have_count(0)
    assert AgreementAcceptance.objects.get().person == cast.mia

    page.get_by_role("link", name="Read and sign the statement").click()
    expect(page.get_by_text("actual or potential risk to children")).to_be_visible()
    page.get_by_role("button", name="I agree and sign").click()
    expect(page.get_by_role("status")).to_contain_text("You signed the confidentiality statement")
    assert ConfidentialityStatement.objects.get().person == cast.mia

    page.get_by_role("link", name="← The relationship").click()
    page.get_by_role("link", name="Ask for a different supporter").click()
    # Forgetting to confirm changes nothing and says what to do.
    page.get_by_role("button", name="End this relationship and ask for a new match").click()
    expect(page.get_by_role("status")).to_contain_text("Tick the box to confirm")
    relationship.refresh_from_db()
    assert relationship.status == Status.ACTIVE

    page.get_by_label("I would like a different match").check()
    page.get_by_role("button", name="End this relationship and ask for a new match").click()
    expect(page.get_by_role("status")).to_contain_text("you are waiting for a new match")
    expect(page.locator(".badge", has_text="Ended")).to_be_visible()
    expect(page.get_by_role("link", name="Ask for a different supporter")).to_have_count(0)
    relationship.refresh_from_db()
    assert (relationship.status, relationship.end_reason) == (Status.ENDED, "change_asked")
    assert Membership.objects.get(person=cast.mia).waiting_since is not None
    assert PairExclusion.objects.filter(scheme=cast.scheme).count() == 1


def test_the_relationship_pages_name_every_control_and_fit_a_phone(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    relationship = services.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
    agreement_revise(relationship=relationship, sections={"goals": "Goals"}, actor=None, based_on=0)
    disagreement = disagreement_record(
        relationship=relationship, raised_by=cast.mia, description="Timing", actor=None
    )
    allegation = allegation_record(
        subject=cast.mo, received_on=date(2026, 1, 5), reference="R-1", notes="", actor=None
    )
    r, a = relationship.pk, allegation.pk
    page.set_viewport_size(PHONE)
    sign_in(cast.ada)
    problems = []
    for url in [
        "/relationships/?status=suspended",
        f"/relationships/{r}/",
        "/relationships/new/",
        f"/relationships/{r}/end/",
        f"/relationships/{r}/agreement/",
        f"/relationships/{r}/agreement/edit/",
        f"/relationships/{r}/confidentiality/",
        f"/relationships/{r}/disagreements/new/",
        f"/relationships/disagreements/{disagreement.pk}/",
        "/relationships/import/",
        "/relationships/schemes/mentoring/agreement/",
        "/relationships/allegations/",
        "/relationships/allegations/new/",
        f"/relationships/allegations/{a}/",
        f"/relationships/allegations/{a}/outcome/",
        f"/relationships/allegations/{a}/support/",
    ]:
        problems += _check_page(page, url)
        problems += [f"{url}: id used twice: {i}" for i in page.evaluate(_DUPLICATE_IDS)]
    relationship.refresh_from_db()
    services.relationship_end(
        relationship=relationship,
        reason="goals_met",
        actor=None,
        expected_version=relationship.version,
    )
    sign_in(cast.mia)
    problems += _check_page(page, f"/relationships/{r}/feedback/")
    assert problems == []
