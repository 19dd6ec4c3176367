"""Importing people from a spreadsheet, in a real browser: a mistake, its fix, the import."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect

from peercircle.conftest import Cast
from peercircle.people.models import Membership, Person

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _spreadsheet(headings: list[str], rows: list[dict[str, str]]) -> FilePayload:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headings, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return {"name": "carers.csv", "mimeType": "text/csv", "buffer": out.getvalue().encode()}


def test_a_coordinator_imports_a_spreadsheet_after_fixing_the_line_it_points_to(
    page: Page, cast: Cast, sign_in: Callable[[Person], None]
) -> None:
    sign_in(cast.cora)
    page.goto("/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()

    # The headings come from the template the page offers.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the CSV template").click()
    template = Path(download.value.path()).read_text(encoding="utf-8-sig")
    headings = next(csv.reader(io.StringIO(template)))
    assert {"ID", "First name", "Approved on"} <= set(headings)

    nia = {"ID": "P-1", "First name": "Nia", "Last name": "Okafor", "E-mail": "nia@example.org"}
    tom = {"ID": "P-2", "First name": "Tom", "Last name": "Reed", "E-mail": "tom@example.org"}
    for row in (nia, tom):
        row.update({"Scheme": "mentoring", "Role": "Mentor", "Status": "Approved"})
    nia["Approved on"] = "01/03/2019"
    tom["Approved on"] = "31/02/2020"  # no such day

    page.get_by_label("Spreadsheet file").set_input_files(_spreadsheet(headings, [nia, tom]))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("alert")).to_contain_text("carers.csv has 1 problem")
    expect(page.get_by_role("alert")).to_contain_text("Nothing has been imported")
    problem = page.get_by_role("table", name="Problems in carers.csv").get_by_role("row").nth(1)
    expect(problem.get_by_role("cell").nth(0)).to_have_text("3")  # Tom's line, after headings
    expect(problem.get_by_role("cell").nth(1)).to_have_text("Approved on")
    expect(problem.get_by_role("cell").nth(2)).to_contain_text("31/02/2020")
    assert not Person.objects.filter(email__in=["nia@example.org", "tom@example.org"]).exists()

    tom["Approved on"] = "28/02/2020"
    expect(page.get_by_role("heading", name="Check the corrected file")).to_be_visible()
    page.get_by_label("Spreadsheet file").set_input_files(_spreadsheet(headings, [nia, tom]))
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("heading", name="carers.csv is ready to import")).to_be_visible()
    assert not Person.objects.filter(email="nia@example.org").exists()  # a check saves nothing
    page.get_by_role("button", name="Import 2 people").click()

    expect(page.get_by_role("status")).to_contain_text("Imported 2 people from carers.csv: 2 added")
    expect(page.get_by_role("link", name="Okafor")).to_be_visible()
    imported = Person.objects.filter(external_id__in=["P-1", "P-2"])
    assert {p.approved_on.isoformat() for p in imported if p.approved_on} == {
        "2019-03-01",
        "2020-02-28",
    }
    memberships = Membership.objects.filter(person__in=imported)
    assert set(memberships.values_list("scheme", "role", "status")) == {
        (cast.scheme.pk, "mentor", "approved")
    }
    assert memberships.count() == 2
