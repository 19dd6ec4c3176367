"""Reading spreadsheet files and cells: forgiving about formatting, strict about meaning."""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

import pytest
from django.test import override_settings
from openpyxl import Workbook, load_workbook

from peercircle.people import import_format
from peercircle.people.import_format import (
    COLUMNS,
    COLUMNS_BY_KEY,
    FileProblem,
    Target,
    read_bool,
    read_date,
    read_table,
    template_csv,
    template_xlsx,
)
from peercircle.people.models import Person, SensitiveProfile

DOCS = Path(__file__).resolve().parents[3] / "docs" / "import.md"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("01/03/2024", date(2024, 3, 1)),
        ("1/3/2024", date(2024, 3, 1)),
        ("01.03.2024", date(2024, 3, 1)),
        ("1 March 2024", date(2024, 3, 1)),
        ("1 Mar 2024", date(2024, 3, 1)),
        ("2024-03-01 00:00:00", date(2024, 3, 1)),
        (datetime(2024, 3, 1, 0, 0), date(2024, 3, 1)),  # noqa: DTZ001 (as openpyxl gives it)
        (date(2024, 3, 1), date(2024, 3, 1)),
        (45352, date(2024, 3, 1)),  # an Excel date that lost its format
    ],
)
def test_dates_are_read_in_the_ways_people_write_them(cell: object, expected: date) -> None:
    assert read_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "words"),
    [
        ("31/02/2024", "not a date"),
        ("03/31/2024", "not a date"),  # month first is refused, never guessed
        ("01/03/24", "two-digit year"),
        ("next week", "2024-03-01 or 01/03/2024"),
        ("01/03/1850", "check the year"),
    ],
)
def test_dates_that_could_be_wrong_are_refused_with_the_fix(cell: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        read_date(cell)


@pytest.mark.parametrize("cell", ["Yes", "y", "TRUE", "true", "1", "x", True, 1])
def test_yes_is_read_in_its_many_spellings(cell: object) -> None:
    assert read_bool(cell) is True


@pytest.mark.parametrize("cell", ["No", "n", "FALSE", "0", False, 0])
def test_no_is_read_in_its_many_spellings(cell: object) -> None:
    assert read_bool(cell) is False


def test_choices_are_read_by_value_or_label_in_any_case() -> None:
    status = COLUMNS_BY_KEY["status"].read
    assert status("In training") == status("in_training") == status("IN TRAINING") == "in_training"
    assert COLUMNS_BY_KEY["role"].read("Expert adviser") == "expert"
    with pytest.raises(ValueError, match="Applicant, In training"):
        status("pending")


def test_lists_and_hours_are_read_from_plain_text() -> None:
    assert COLUMNS_BY_KEY["languages"].read("English;  Polish, english") == ["English", "Polish"]
    assert COLUMNS_BY_KEY["working_hours"].read("Sat 10-14") == [[5, 10, 14]]
    with pytest.raises(ValueError, match="Mon-Fri 9-17"):
        COLUMNS_BY_KEY["working_hours"].read("weekdays")


@pytest.mark.parametrize(
    "column", [c for c in COLUMNS if c.target in {Target.PERSON, Target.SENSITIVE}]
)
def test_text_limits_match_the_database(column: import_format.Column) -> None:
    model = Person if column.target is Target.PERSON else SensitiveProfile
    model_field = model._meta.get_field(column.field)
    max_length = getattr(model_field, "max_length", None)
    if max_length is None or getattr(model_field, "choices", None) or column.field == "email":
        return
    assert column.read("x" * max_length) == "x" * max_length
    with pytest.raises(ValueError, match=f"shorten it to {max_length}"):
        column.read("x" * (max_length + 1))


def _xlsx(*rows: Sequence[object]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_csv_line_numbers_count_blank_and_comment_lines_as_a_spreadsheet_shows_them() -> None:
    table = read_table(b"ID,First name\n\n# a note\nA1,Ann\n,\nA2,Bo\n", "people.csv")
    assert table.heading_line == 1
    assert table.rows == [(4, ["A1", "Ann"]), (6, ["A2", "Bo"])]


def test_only_a_hash_and_a_space_make_a_comment_so_no_line_is_lost_silently() -> None:
    data = b"ID,First name\n# a note\n#\n#123,Ann\n#N/A,Bo\n"
    assert [cells[0] for _, cells in read_table(data, "p.csv").rows] == ["#123", "#N/A"]


def test_xlsx_line_numbers_are_the_sheet_row_numbers() -> None:
    table = read_table(_xlsx([None], ["ID", "First name"], [None, None], ["A1", "Ann"]), "p.xlsx")
    assert table.heading_line == 2
    assert table.rows == [(4, ["A1", "Ann"])]


@pytest.mark.parametrize(
    "data",
    [
        "ID;First name\r\nA1;Zoë\r\n".encode(),  # Excel where the comma is the decimal mark
        "\ufeffID,First name\nA1,Zoë\n".encode(),  # CSV UTF-8 from Excel
        "ID,First name\nA1,Zoë\n".encode("cp1252"),  # plain CSV from Excel on Windows
        "ID\tFirst name\nA1\tZoë\n".encode("utf-16"),  # Excel's "Unicode Text"
    ],
)
def test_csv_from_any_excel_save_option_reads_the_same(data: bytes) -> None:
    table = read_table(data, "people.csv")
    assert table.headings == ["ID", "First name"]
    assert table.rows == [(2, ["A1", "Zoë"])]


@pytest.mark.parametrize(
    ("data", "name", "words"),
    [
        (b"", "people.csv", "The file is empty"),
        (b" \n \n", "people.csv", "The file is empty"),
        (b"ID,First name\n", "people.csv", "no people below it"),
        (b"ID,First name\n# C-1,Example\n", "people.csv", "no people below it"),
        (b"%PDF-1.4 ...", "people.pdf", "Choose a CSV file (.csv) or an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 old", "people.xls", "old Excel file (.xls)"),
        (b"PK\x03\x04 not really a workbook", "people.xlsx", "could not be read as an Excel"),
        (b"ID,Name\x00\x01\x02", "people.csv", "not a spreadsheet PeerCircle can read"),
        (b'ID,First name\nA1,"unclosed\n', "people.csv", "quote mark"),
    ],
)
def test_files_that_cannot_be_read_get_a_clear_message(data: bytes, name: str, words: str) -> None:
    with pytest.raises(FileProblem, match=re.escape(words)):
        read_table(data, name)


def test_a_damaged_workbook_gets_a_clear_message() -> None:
    data = bytearray(_xlsx(["ID"], ["A1"]))
    data[len(data) // 2 : len(data) // 2 + 200] = b"\x00" * 200
    with pytest.raises(FileProblem, match="Excel"):
        read_table(bytes(data), "people.xlsx")


def _file(kind: str, rows: Sequence[Sequence[object]]) -> bytes:
    return _xlsx(*rows) if kind == "xlsx" else "\n".join(str(r[0]) for r in rows).encode()


@override_settings(IMPORT_MAX_ROWS=3)
@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_a_file_with_more_people_than_the_limit_is_refused(kind: str) -> None:
    rows: list[Sequence[object]] = [["ID"], *[[f"A{i}"] for i in range(4)]]
    with pytest.raises(FileProblem, match="up to 3 at a time"):
        read_table(_file(kind, rows), f"people.{kind}")
    assert len(read_table(_file(kind, rows[:4]), f"people.{kind}").rows) == 3


def test_a_file_too_big_is_refused_before_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_format, "MAX_FILE_BYTES", 100)
    with pytest.raises(FileProblem, match="Split it into smaller files"):
        read_table(b"ID\n" + b"A1\n" * 50, "people.csv")


def test_the_csv_template_has_every_column_and_a_commented_example() -> None:
    table_data = template_csv(scheme_slug="mentoring")
    assert table_data.startswith("\ufeff".encode())
    with pytest.raises(FileProblem, match="no people below it"):
        read_table(table_data, "template.csv")
    uncommented = table_data.replace(b"# C-1001", b"C-1001")
    table = read_table(uncommented, "template.csv")
    assert table.headings == [c.heading for c in COLUMNS]
    assert len(table.rows) == 1


def test_the_xlsx_template_documents_every_column() -> None:
    book = load_workbook(io.BytesIO(template_xlsx(scheme_slug="mentoring")))
    people, docs = book.worksheets
    assert [c.value for c in people[1]] == [c.heading for c in COLUMNS]
    assert str(people["A2"].value).startswith("# ")
    assert [row[0] for row in docs.iter_rows(min_row=2, values_only=True)] == [
        c.heading for c in COLUMNS
    ]


def test_the_user_guide_documents_every_column() -> None:
    guide = DOCS.read_text(encoding="utf-8")
    for column in COLUMNS:
        assert f"| {column.heading} |" in guide, column.heading
