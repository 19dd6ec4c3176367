"""Importing existing matches: line-by-line problems, all or nothing, the page and the command."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.people.importer import ImportAuthority
from peercircle.people.models import Person
from peercircle.people.viewer import viewer_for_person
from peercircle.relationships.importing.importer import import_relationships, template_csv
from peercircle.relationships.models import Participant, Relationship
from peercircle.relationships.tests.helpers import new_mentee, new_mentor, text_of

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]

HEADINGS = (
    "Scheme,First person,First side,Second person,Second side,Purpose,Started on,Planned end\n"
)


@pytest.fixture
def people(cast: Cast) -> dict[str, Person]:
    noor = new_mentor(cast, "Noor")
    noor.external_id = "C-2001"
    noor.save(update_fields=["external_id"])
    return {"noor": noor, "ivy": new_mentee(cast, "Ivy"), "kai": new_mentee(cast, "Kai")}


def check(cast: Cast, body: str, *, dry_run: bool = True, who: Person | None = None):  # type: ignore[no-untyped-def]
    authority = (
        ImportAuthority.of_operator(cast.org)
        if who is None
        else ImportAuthority.of_viewer(viewer_for_person(who))
    )
    return import_relationships(
        authority=authority, data=body.encode(), filename="matches.csv", dry_run=dry_run
    )


@time_machine.travel(date(2026, 2, 1))
def test_a_good_file_imports_with_the_schemes_planned_ends(
    cast: Cast, people: dict[str, Person]
) -> None:
    body = HEADINGS + (
        "mentoring,C-2001,Mentor,ivy@tri-borough.example,Mentee,,2025-09-01,\n"
        "Carer mentoring,mo@tri-borough.example,,mia@tri-borough.example,,A specific purpose,"
        "01/12/2025,\n"
        "mentoring,mo@tri-borough.example,mentor,kai@tri-borough.example,mentee,,,2026-12-31\n"
    )
    dry = check(cast, body)
    assert dry.ok and dry.summary is not None and dry.summary.created == 3
    assert not Relationship.objects.exists()  # a dry run saves nothing
    report = check(cast, body, dry_run=False)
    assert report.imported
    pairs = {
        frozenset(r.participants.values_list("person__given_name", flat=True)): r
        for r in Relationship.objects.all()
    }
    noor_ivy = pairs[frozenset({"Noor", "Ivy"})]
    assert (noor_ivy.started_on, noor_ivy.planned_end_on) == (date(2025, 9, 1), date(2026, 9, 1))
    mo_mia = pairs[frozenset({"Mo", "Mia"})]
    assert mo_mia.purpose == "specific" and mo_mia.planned_end_on == date(2026, 6, 1)
    mo_kai = pairs[frozenset({"Mo", "Kai"})]
    assert (mo_kai.started_on, mo_kai.planned_end_on) == (date(2026, 2, 1), date(2026, 12, 31))
    assert AuditEvent.objects.filter(action="relationship.create", source="command").count() == 3
    again = check(cast, body, dry_run=False)
    assert again.summary is not None and (again.summary.created, again.summary.unchanged) == (0, 3)
    assert Relationship.objects.count() == 3


def test_every_bad_line_is_reported_and_nothing_is_imported(
    cast: Cast, people: dict[str, Person]
) -> None:
    body = HEADINGS + (
        "mentoring,C-2001,Mentor,ivy@tri-borough.example,Mentee,,2025-09-01,\n"  # 2: fine
        "mentoring,C-9999,Mentor,kai@tri-borough.example,Mentee,,,\n"  # 3
        "mentoring,mo@tri-borough.example,Boss,kai@tri-borough.example,Mentee,,,\n"  # 4
        "elsewhere,mo@tri-borough.example,Mentor,kai@tri-borough.example,Mentee,,,\n"  # 5
        "mentoring,mo@tri-borough.example,Mentor,kai@tri-borough.example,Mentee,,31/02/2025,\n"  # 6
    )
    report = check(cast, body, dry_run=False)
    assert not report.imported and not Relationship.objects.exists()
    problems = [(p.line, p.column, p.message.split(".")[0]) for p in report.problems]
    assert problems == [
        (3, "First person", "No person has the ID or e-mail address 'C-9999'"),
        (4, "First side", "'Boss' is not a side"),
        (5, "Scheme", "There is no scheme 'elsewhere' that you can import into"),
        (6, "Started on", "'31/02/2025' is not a date PeerCircle can read"),
    ]


def test_the_rules_of_a_relationship_apply_to_every_line(
    cast: Cast, people: dict[str, Person]
) -> None:
    body = HEADINGS + (
        "mentoring,mo@tri-borough.example,Mentor,mia@tri-borough.example,Mentee,,,\n"
        "mentoring,mo@tri-borough.example,Mentor,ivy@tri-borough.example,Mentee,,,\n"
        "mentoring,mo@tri-borough.example,Mentor,kai@tri-borough.example,Mentee,,,\n"  # 3rd mentee
        "mentoring,mia@tri-borough.example,Mentee,mo@tri-borough.example,Mentor,,,\n"  # repeat
        "mentoring,sam@tri-borough.example,Mentor,C-2001,Mentee,,,\n"  # wrong roles
        "mentoring,C-2001,Mentor,ivy@tri-borough.example,Mentee,,2025-01-01,2024-12-01\n"
    )
    report = check(cast, body)
    assert [(p.line, p.message) for p in report.problems] == [
        (
            4,
            "Mo Example already supports 2 people in Carer mentoring, the scheme's limit of 2. "
            "End a relationship or raise the limit first.",
        ),
        (
            5,
            "These two people are already paired on line 2 of the file. Keep one of the lines.",
        ),
        (
            6,
            "Sam Example is not an approved or active mentor in Carer mentoring: add them to the "
            "scheme or change their status first.",
        ),
        (7, "The planned end must come after the start."),
    ]
    assert not Relationship.objects.exists()
    assert not Participant.objects.exists()


def test_a_coordinator_imports_only_into_schemes_they_run(cast: Cast) -> None:
    body = HEADINGS + "mentoring,mo@tri-borough.example,,mia@tri-borough.example,,,,\n"
    refused = check(cast, body, who=cast.mo)
    assert refused.problems[0].message.startswith("There is no scheme 'mentoring'")
    assert check(cast, body, who=cast.cora).ok


def test_headings_are_checked_first(cast: Cast) -> None:
    report = check(cast, "Scheme,Mentor name,Second person\nmentoring,x,y\n")
    messages = [p.message for p in report.problems]
    assert messages[0].startswith("'Mentor name' is not a column PeerCircle knows")
    assert messages[1].startswith("The file needs a 'First person' column.")
    empty = check(cast, "")
    assert empty.problems[0].message.startswith("The file is empty.")


def test_the_page_checks_then_imports_exactly_the_checked_file(
    cast: Cast, client_for: ClientFor
) -> None:
    client = client_for(cast.cora)
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Scheme", "First person", "Second person", "Started on"])
    sheet.append(
        ["mentoring", "mo@tri-borough.example", "mia@tri-borough.example", date(2025, 10, 1)]
    )
    data = io.BytesIO()
    workbook.save(data)
    upload = SimpleUploadedFile("matches.xlsx", data.getvalue())
    checked = client.post(reverse("relationships:import"), {"file": upload})
    assert "matches.xlsx is ready to import" in text_of(checked)
    assert not Relationship.objects.exists()
    wrong = client.post(reverse("relationships:import_confirm"), {"check": "0" * 64}, follow=True)
    assert "There is no checked file waiting" in text_of(wrong)
    done = client.post(reverse("relationships:import_confirm"), {"check": checked.context["check"]})
    assert done.status_code == 302
    relationship = Relationship.objects.get()
    assert relationship.started_on == date(2025, 10, 1)
    template = client.get(reverse("relationships:import_template"))
    assert template.content == template_csv(scheme_slug="mentoring")


def test_the_command_prints_problems_and_exits_with_code_2(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "matches.csv"
    path.write_text(HEADINGS + "mentoring,nobody@example.org,,mia@tri-borough.example,,,,\n")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_relationships", str(path), "--organisation", "tri-borough", stdout=out)
    assert exc.value.returncode == 2
    assert (
        out.getvalue()
        .splitlines()[1]
        .startswith(
            "  Line 2, First person: No person has the ID or e-mail address 'nobody@example.org'"
        )
    )
    path.write_text(HEADINGS + "mentoring,mo@tri-borough.example,,mia@tri-borough.example,,,,\n")
    out = StringIO()
    call_command("import_relationships", str(path), "--organisation", "tri-borough", stdout=out)
    assert out.getvalue().splitlines()[0] == "Imported matches.csv: 1 relationships, no problems."
    assert Relationship.objects.count() == 1
