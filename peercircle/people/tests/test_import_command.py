"""``peercircle import FILE --organisation SLUG [--dry-run]``: its report and exit codes."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.people.models import Membership, Person

pytestmark = pytest.mark.django_db

GOOD = (
    "ID,First name,Last name,Scheme,Role,Supervisor\n"
    "Q1,Quin,Cli,mentoring,mentee,sam@tri-borough.example\n"
    "Q2,Quo,Cli,mentoring,mentor,\n"
)


def run(*args: str) -> str:
    out = StringIO()
    call_command("import_people", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def good_file(tmp_path: Path) -> Path:
    path = tmp_path / "people.csv"
    path.write_text(GOOD, encoding="utf-8")
    return path


def test_a_dry_run_prints_what_would_happen_and_imports_nothing(
    cast: Cast, good_file: Path
) -> None:
    out = run(str(good_file), "--organisation", "tri-borough", "--dry-run")
    assert out.splitlines() == [
        "Checked people.csv: 2 people, no problems.",
        "  2 to add, 0 to update, 0 unchanged; 2 scheme roles to add, 0 to change.",
        "Nothing was imported (dry run).",
    ]
    assert not Person.objects.filter(external_id__in=["Q1", "Q2"]).exists()


def test_the_import_reaches_every_scheme_and_is_audited_as_a_command(
    cast: Cast, good_file: Path
) -> None:
    out = run(str(good_file), "--organisation", "tri-borough")
    assert out.splitlines()[0] == "Imported people.csv: 2 people, no problems."
    assert "2 added, 0 updated, 0 unchanged" in out
    assert Person.objects.get(external_id="Q1").supervisor == cast.sam
    assert Membership.objects.get(person__external_id="Q2").scheme == cast.scheme
    event = AuditEvent.objects.get(action="people.import")
    assert (event.source, event.actor, event.actor_label) == ("command", None, "PeerCircle")
    again = run(str(good_file), "--organisation", "tri-borough")
    assert "0 added, 0 updated, 2 unchanged" in again


def test_bad_lines_are_printed_with_their_line_and_exit_with_code_2(
    cast: Cast, tmp_path: Path
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(GOOD + "Q3,Qat,Cli,mentoring,chief,\nQ4,,Cli,mentoring,mentee,\n", "utf-8")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(path), "--organisation", "tri-borough", stdout=out)
    assert exc.value.returncode == 2
    lines = out.getvalue().splitlines()
    assert (
        lines[0]
        == "bad.csv: 2 problems. Nothing was imported; fix the file and run the import again."
    )
    assert lines[1].startswith("  Line 4, Role: 'chief' is not a role.")
    assert lines[2].startswith("  Line 5, First name: First name is blank.")
    assert not Person.objects.filter(external_id="Q1").exists()


def test_an_unreadable_file_exits_with_code_2(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "people.xlsx"
    path.write_bytes(b"PK\x03\x04 not a workbook")
    out = StringIO()
    with pytest.raises(CommandError) as exc:
        call_command("import_people", str(path), "--organisation", "tri-borough", stdout=out)
    assert exc.value.returncode == 2
    assert "File: The file could not be read as an Excel workbook" in out.getvalue()


def test_an_unknown_organisation_or_file_is_a_usage_error(cast: Cast, good_file: Path) -> None:
    with pytest.raises(
        CommandError, match="no organisation 'nowhere'.*northshire, tri-borough"
    ) as exc:
        run(str(good_file), "--organisation", "nowhere")
    assert exc.value.returncode == 1
    with pytest.raises(CommandError, match="There is no file"):
        run(str(good_file.with_name("missing.csv")), "--organisation", "tri-borough")
