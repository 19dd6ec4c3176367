"""The spreadsheet format for importing people: its columns, how cells are read, and the template.

This module knows nothing about the database. It turns the bytes of a CSV or XLSX file into a
``Table`` of rows with their line numbers (``read_table``), says what each column means
(``COLUMNS``), and reads one cell into a clean value or a ``ValueError`` whose message says what
is wrong and what to write instead. ``importer.py`` checks the meaning against the database.

Forgiving about formatting, strict about meaning: headings are matched whatever their case,
spacing or punctuation; yes/no, dates, numbers and lists are read in the ways people type them;
anything that could mean two things is refused with the fix.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import TextChoices

from peercircle.people.parsing import HOURS_EXAMPLE, parse_hours, parse_list
from peercircle.schemes.choices import Category, Role, Status

# A row per person is a few hundred bytes; this leaves room for long lists while refusing a
# file that could only be a mistake (or an attempt to fill the server's memory).
MAX_FILE_BYTES = 10 * 1024 * 1024
COMMENT = "#"
# "# " starts a comment line; "#123" is an ID and "#N/A" a spreadsheet error, never comments,
# because skipping a real line without a word would lose a person silently.
_COMMENT_RE = re.compile(r"#(\s|$)")
DATE_HINT = "Write dates as 2024-03-01 or 01/03/2024 (day first)."
_EXCEL_ERRORS = {"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!"}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%Y/%m/%d", "%d %B %Y", "%d %b %Y")
_YES = {"yes", "y", "true", "t", "1", "x", "on"}
_NO = {"no", "n", "false", "f", "0", "off"}

Cell = Any  # str, int, float, bool, date, datetime, time or None, as the file held it


class FileProblem(Exception):
    """The file as a whole cannot be read; the message says why and how to fix it."""


class Target(Enum):
    PERSON = "person"
    SENSITIVE = "sensitive"
    MEMBERSHIP = "membership"
    SUPERVISOR = "supervisor"


def normalise_heading(text: object) -> str:
    """ "Active experience (months)" -> "active_experience_months"; "E-mail" -> "e_mail"."""
    folded = unicodedata.normalize("NFKC", str(text or "")).casefold()
    return re.sub(r"[^0-9a-z]+", "_", folded).strip("_")


def cell_text(value: Cell) -> str:
    """A cell as text: 1001.0 -> "1001", a date -> "2024-03-01", spaces tidied."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).replace("\u00a0", " ").strip()
    if text.upper() in _EXCEL_ERRORS:
        raise ValueError(f"the cell shows the spreadsheet error {text}. Correct the formula.")
    return text


# Cell readers. Each takes a non-blank cell and returns the value or raises ValueError. --------


def text(max_length: int) -> Callable[[Cell], str]:
    def read(value: Cell) -> str:
        result = " ".join(cell_text(value).split())
        if len(result) > max_length:
            raise ValueError(
                f"this is {len(result)} characters long; shorten it to {max_length} or fewer."
            )
        return result

    return read


def read_email(value: Cell) -> str:
    result = cell_text(value).lower()
    try:
        validate_email(result)
    except ValidationError:
        raise ValueError(
            f"'{result}' is not an e-mail address. Write it like name@example.org."
        ) from None
    if len(result) > 254:
        raise ValueError("this e-mail address is too long (more than 254 characters).")
    return result


def read_date(value: Cell) -> date:
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel date that lost its date format shows as a day number (45352 = 2024-03-01).
        from openpyxl.utils.datetime import from_excel

        if not 1 <= value < 2958466:
            raise ValueError(f"{cell_text(value)} is not a date. {DATE_HINT}")
        result = from_excel(value).date()
    else:
        raw = cell_text(value)
        # "2024-03-01 00:00:00" is how some programs save a date with no time.
        cleaned = re.sub(r"[ T]00:00(:00)?$", "", raw)
        result = _parse_date_text(cleaned, raw)
    if not 1900 <= result.year <= 2100:
        raise ValueError(f"{result.isoformat()} is not a likely date: check the year.")
    return result


def _parse_date_text(cleaned: str, raw: str) -> date:
    if re.fullmatch(r"\d{1,2}[/.-]\d{1,2}[/.-]\d{2}", cleaned):
        raise ValueError(f"'{raw}' has a two-digit year: write the year in full, e.g. 01/03/2024.")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, fmt).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise ValueError(f"'{raw}' is not a date PeerCircle can read. {DATE_HINT}")


def read_bool(value: Cell) -> bool:
    if isinstance(value, bool):
        return value
    word = cell_text(value).casefold().rstrip(".")
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise ValueError(f"'{cell_text(value)}' is not yes or no. Write Yes or No.")


def whole_number(low: int, high: int) -> Callable[[Cell], int]:
    def read(value: Cell) -> int:
        raw = cell_text(value)
        try:
            number = float(raw.replace(",", ""))
        except ValueError:
            raise ValueError(
                f"'{raw}' is not a number. Write a whole number from {low} to {high}, e.g. 24."
            ) from None
        if not number.is_integer() or not low <= number <= high:
            raise ValueError(f"{raw} is out of range: write a whole number from {low} to {high}.")
        return int(number)

    return read


def decimal_number(low: float, high: float) -> Callable[[Cell], float]:
    def read(value: Cell) -> float:
        raw = cell_text(value)
        try:
            number = float(raw)
        except ValueError:
            raise ValueError(
                f"'{raw}' is not a number. Write a decimal number from {low:g} to {high:g}, "
                "with a point, e.g. 51.5072."
            ) from None
        if not low <= number <= high:
            raise ValueError(f"{raw} is out of range: it must be from {low:g} to {high:g}.")
        return number

    return read


def choice(choices: type[TextChoices], what: str) -> Callable[[Cell], str]:
    """A value or its label, in any case: "In training", "in_training" -> "in_training"."""
    known = {normalise_heading(v): v for v in choices.values}
    known.update({normalise_heading(label): v for v, label in choices.choices})

    def read(value: Cell) -> str:
        raw = cell_text(value)
        found = known.get(normalise_heading(raw))
        if found is None:
            options = ", ".join(str(label) for label in choices.labels)
            raise ValueError(f"'{raw}' is not a {what}. Write one of: {options}.")
        return str(found)

    return read


def read_list(value: Cell) -> list[str]:
    return parse_list(cell_text(value))


def read_hours(value: Cell) -> list[list[int]]:
    return parse_hours(cell_text(value))


@dataclass(frozen=True)
class Column:
    """One column PeerCircle understands, with its documentation (shown on the page and in
    docs/import.md, and written into the Excel template)."""

    heading: str
    target: Target
    field: str
    read: Callable[[Cell], Any]
    required: str
    format: str
    example: str
    meaning: str
    aliases: tuple[str, ...] = ()
    # What a blank cell sets, for a person already in PeerCircle ("the file is the truth").
    blank: Any = ""

    @property
    def key(self) -> str:
        return normalise_heading(self.heading)


_LIST = "A list separated by commas or semicolons"
COLUMNS: tuple[Column, ...] = (
    Column("ID", Target.PERSON, "external_id", text(64), "ID or e-mail",
           "Text, up to 64 characters", "C-1001",
           "The person's identifier in your own records. Importing again updates the person with "
           "this ID instead of adding them twice. A blank ID never removes an existing one.",
           aliases=("external_id", "external_id_in_your_records", "id_in_your_records")),
    Column("First name", Target.PERSON, "given_name", text(100), "For new people",
           "Text, up to 100 characters", "Jo", "The person's first name.",
           aliases=("given_name", "forename", "firstname")),
    Column("Last name", Target.PERSON, "family_name", text(100), "For new people",
           "Text, up to 100 characters", "Bloggs", "The person's last name.",
           aliases=("family_name", "surname", "lastname")),
    Column("E-mail", Target.PERSON, "email", read_email, "ID or e-mail",
           "An e-mail address", "jo.bloggs@example.org",
           "Used to invite the person to sign in. A line with no ID finds the person by this "
           "address. Each person needs a different address.",
           aliases=("email", "email_address", "e_mail_address")),
    Column("Phone", Target.PERSON, "phone", text(40), "No",
           "Text, up to 40 characters (format the column as text to keep a leading 0)",
           "07700 900123", "A phone number.", aliases=("telephone", "phone_number", "mobile")),
    Column("Scheme", Target.MEMBERSHIP, "scheme", text(200), "For new people",
           "A scheme's short name (as in its web address) or its full name", "mentoring",
           "The scheme the person takes part in. Coordinators can import only into the schemes "
           "they coordinate. Organisation admins may leave it blank to add people to no scheme.",
           aliases=("scheme_name",)),
    Column("Role", Target.MEMBERSHIP, "role", choice(Role, "role"), "With a scheme",
           "One of: " + ", ".join(str(x) for x in Role.labels), "Mentee",
           "The person's role in that scheme. A person with two roles needs a second import "
           "(the same ID then adds the second role)."),
    Column("Status", Target.MEMBERSHIP, "status", choice(Status, "status"), "No",
           "One of: " + ", ".join(str(x) for x in Status.labels), "Approved",
           "Where the person stands in that role. Blank means Applicant for a new role and "
           "leaves an existing role as it is.", blank=None),
    Column("Joined on", Target.MEMBERSHIP, "joined_on", read_date, "No", "A date",
           "2024-03-01", "When the person joined the scheme. Blank means today for a new role "
           "and leaves an existing role as it is.", aliases=("joined",), blank=None),
    Column("Category", Target.PERSON, "category", choice(Category, "category"), "No",
           "One of: " + ", ".join(str(x) for x in Category.labels), "Mainstream",
           "What kind of carer or worker the person is; eligibility rules can depend on it.",
           aliases=("carer_category",)),
    Column("Approved on", Target.PERSON, "approved_on", read_date, "No", "A date",
           "01/03/2019", "When the carer was approved, or the staff member started.",
           aliases=("approved_or_started_on", "approval_date", "started_on"), blank=None),
    Column("Active experience (months)", Target.PERSON, "active_experience_months",
           whole_number(0, 1200), "No", "A whole number from 0 to 1200", "30",
           "Cumulative months of active fostering or work.",
           aliases=("active_experience", "active_experience_months", "experience_months"),
           blank=0),
    Column("Supervisor", Target.SUPERVISOR, "supervisor", text(254), "No",
           "The e-mail address or ID of a supervisor", "sam.jones@example.org",
           "The person's supervising social worker: someone with the Supervisor role in a "
           "scheme, either already in PeerCircle or on another line of this file.",
           aliases=("supervising_social_worker",), blank=None),
    Column("Languages", Target.PERSON, "languages", read_list, "No", _LIST,
           "English; Polish", "Languages the person speaks.", blank=[]),
    Column("Types of work", Target.PERSON, "work_types", read_list, "No", _LIST,
           "teenagers, respite", "Types of fostering or work.",
           aliases=("types_of_fostering_or_work", "work_types", "type_of_fostering"), blank=[]),
    Column("Specific experience", Target.PERSON, "experience", read_list, "No", _LIST,
           "court proceedings; disabilities",
           "Things the person has supported before.", aliases=("experience",), blank=[]),
    Column("Support needs", Target.PERSON, "needs", read_list, "No", _LIST,
           "managing contact", "What a mentee would like help with.", aliases=("needs",),
           blank=[]),
    Column("Professional background", Target.PERSON, "background", read_list, "No", _LIST,
           "nursing", "Previous professional background.", aliases=("background",), blank=[]),
    Column("Town or area", Target.PERSON, "place", text(100), "No",
           "Text, up to 100 characters", "Ealing", "Where the person lives or works.",
           aliases=("place", "town", "area", "location")),
    Column("Latitude", Target.PERSON, "latitude", decimal_number(-90, 90), "With longitude",
           "A decimal number from -90 to 90", "51.5131",
           "Where the person is, for distances. Give both latitude and longitude, or neither.",
           blank=None),
    Column("Longitude", Target.PERSON, "longitude", decimal_number(-180, 180), "With latitude",
           "A decimal number from -180 to 180", "-0.3040", "See Latitude.", blank=None),
    Column("Willing to travel", Target.PERSON, "travel_limit", whole_number(0, 1000), "No",
           "A whole number, in your organisation's unit (miles or kilometres)", "10",
           "How far the person is willing to travel.", aliases=("travel_limit",), blank=None),
    Column("Working hours", Target.PERSON, "working_hours", read_hours, "No",
           f"Days and hours, e.g. {HOURS_EXAMPLE}", "Mon-Fri 9-17",
           "When the person usually works, for pairing people with similar hours.",
           aliases=("hours",), blank=[]),
    Column("Personality", Target.PERSON, "personality", text(40), "No",
           "Text, up to 40 characters", "reflective", "A word for the person's personality."),
    Column("Learning style", Target.PERSON, "learning_style", text(40), "No",
           "Text, up to 40 characters", "hands-on", "How the person prefers to learn."),
    Column("On probation", Target.PERSON, "on_probation", read_bool, "No",
           "Yes or No (also Y/N, True/False, 1/0)", "No",
           "Whether the person is on probation.", aliases=("probation",), blank=False),
    Column("Probation ends", Target.PERSON, "probation_ends", read_date, "No", "A date",
           "2024-09-01", "When probation ends.", blank=None),
    Column("Gender", Target.SENSITIVE, "gender", text(40), "No",
           "Text, up to 40 characters", "female",
           "Sensitive: shown only to the person, their coordinators and admins."),
    Column("Prefers to be matched with", Target.SENSITIVE, "gender_preference", read_list, "No",
           _LIST, "female", "Sensitive. Genders the person is comfortable being matched with; "
           "blank means any.", aliases=("gender_preference", "matching_preference"), blank=[]),
    Column("Ethnicity", Target.SENSITIVE, "ethnicity", text(100), "No",
           "Text, up to 100 characters", "White British", "Sensitive."),
    Column("Culture and heritage", Target.SENSITIVE, "culture", read_list, "No", _LIST,
           "Polish", "Sensitive.", aliases=("culture", "heritage"), blank=[]),
    Column("Relationship status", Target.SENSITIVE, "relationship_status", text(40), "No",
           "Text, up to 40 characters", "married", "Sensitive."),
)  # fmt: skip
COLUMNS_BY_KEY: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.heading, *_column.aliases):
        COLUMNS_BY_KEY[normalise_heading(_name)] = _column


def known_headings() -> str:
    return ", ".join(c.heading for c in COLUMNS)


# Reading files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """The heading row and the data rows of a file, each row with the line number a
    spreadsheet program shows for it. Blank and comment lines are left out."""

    heading_line: int
    headings: list[Cell]
    rows: list[tuple[int, list[Cell]]]


def check_size(size: int) -> None:
    """Refuse a file too big to read, before reading it."""
    if size > MAX_FILE_BYTES:
        raise FileProblem(
            f"The file is {size / 1_048_576:.1f} MB; PeerCircle reads files of up to "
            f"{MAX_FILE_BYTES // 1_048_576} MB. Split it into smaller files and import them one "
            "after another."
        )


def read_table(data: bytes, filename: str) -> Table:
    """Read a CSV or XLSX upload, or raise ``FileProblem`` saying what is wrong with it."""
    if not data.strip():
        raise FileProblem(
            "The file is empty. Choose the spreadsheet you filled in, with a heading row and "
            "one line per person."
        )
    check_size(len(data))
    name = filename.lower()
    lines: Iterable[tuple[int, list[Cell]]]
    if data.startswith(b"PK\x03\x04"):
        lines = _xlsx_lines(data)
    elif data.startswith(b"\xd0\xcf\x11\xe0") or name.endswith(".xls"):
        raise FileProblem(
            "This is an old Excel file (.xls). In Excel choose File > Save As and save it as "
            "an Excel Workbook (.xlsx) or as CSV UTF-8, then choose that file."
        )
    elif name.endswith((".csv", ".txt", ".tsv")) or name == "":
        lines = _csv_lines(data)
    else:
        raise FileProblem(
            f"'{filename}' is not a spreadsheet PeerCircle can read. Choose a CSV file (.csv) "
            "or an Excel workbook (.xlsx)."
        )
    return _table(lines)


def _table(lines: Iterable[tuple[int, list[Cell]]]) -> Table:
    heading: tuple[int, list[Cell]] | None = None
    rows: list[tuple[int, list[Cell]]] = []
    limit = settings.IMPORT_MAX_ROWS
    for line, cells in lines:
        if all(_is_blank(c) for c in cells):
            continue
        first = next(c for c in cells if not _is_blank(c))
        if isinstance(first, str) and _COMMENT_RE.match(first.strip()):
            continue
        if heading is None:
            heading = (line, cells)
            continue
        rows.append((line, cells))
        if len(rows) > limit:
            raise FileProblem(
                f"The file has more than {limit:,} people in it; PeerCircle imports up to "
                f"{limit:,} at a time. Split it into smaller files and import them one after "
                "another."
            )
    if heading is None:
        raise FileProblem("The file has no headings and no people: it looks empty.")
    if not rows:
        raise FileProblem(
            "The file has a heading row but no people below it. Add one line per person under "
            "the headings (lines starting with # and a space are ignored)."
        )
    return Table(heading_line=heading[0], headings=heading[1], rows=rows)


def _is_blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Excel's "Unicode Text"
    if b"\x00" in data:
        raise FileProblem(
            "This file is not a spreadsheet PeerCircle can read. Choose a CSV file (.csv) or an "
            "Excel workbook (.xlsx)."
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        # Excel on Windows saves plain "CSV" in the Windows character set.
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise FileProblem(
            "The file's characters could not be read. In Excel choose File > Save As > "
            "'CSV UTF-8', then choose that file."
        ) from None


def _csv_lines(data: bytes) -> list[tuple[int, list[Cell]]]:
    text_data = _decode(data)
    first_line = next((ln for ln in text_data.splitlines() if ln.strip()), "")
    # Excel saves CSV with semicolons where the comma is the decimal mark, and tabs as "text".
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text_data, newline=""), delimiter=delimiter, strict=True)
    try:
        # Line numbers count records, as a spreadsheet program shows them.
        return [(number, list(row)) for number, row in enumerate(reader, start=1)]
    except csv.Error as exc:
        raise FileProblem(
            f"Line {reader.line_num} of the file could not be read as CSV ({exc}). Check for a "
            'quote mark (") that is opened but never closed.'
        ) from None


def _xlsx_lines(data: bytes) -> Iterator[tuple[int, list[Cell]]]:
    """Rows of the first sheet, read lazily so that ``_table`` can stop at the row limit."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl has no one error for a damaged file
        raise FileProblem(
            "The file could not be read as an Excel workbook (.xlsx): it may be damaged, "
            "protected by a password, or another kind of file. Open it in Excel, save it again "
            f"as an Excel Workbook or as CSV UTF-8, and choose that file. ({type(exc).__name__})"
        ) from None
    try:
        # Rows are numbered from 1 as Excel shows them, blank rows included.
        for number, row in enumerate(workbook.worksheets[0].iter_rows(values_only=True), 1):
            yield number, list(row)
    except Exception as exc:  # openpyxl has no one error for a damaged file
        raise FileProblem(
            "The workbook could not be read to the end: it may be damaged. Open it in Excel, "
            f"save it again, and choose that file. ({type(exc).__name__})"
        ) from None
    finally:
        workbook.close()


# The template ---------------------------------------------------------------------------------


def _example_row(scheme_slug: str) -> list[str]:
    values = [c.example for c in COLUMNS]
    values[COLUMNS.index(COLUMNS_BY_KEY["scheme"])] = scheme_slug or "mentoring"
    # Blank: the example must import cleanly once uncommented, and needs no supervisor.
    values[COLUMNS.index(COLUMNS_BY_KEY["supervisor"])] = ""
    values[0] = f"{COMMENT} {values[0]}"
    return values


def template_csv(*, scheme_slug: str = "") -> bytes:
    """The heading row and one example line, commented out with # (delete the # to use it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.heading for c in COLUMNS])
    writer.writerow(_example_row(scheme_slug))
    # The byte-order mark makes Excel open the file as UTF-8 rather than guess.
    return "\ufeff".encode() + out.getvalue().encode("utf-8")


def template_xlsx(*, scheme_slug: str = "") -> bytes:
    """The same as the CSV template, with a second sheet documenting every column."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "People"
    sheet.append([c.heading for c in COLUMNS])
    sheet.append(_example_row(scheme_slug))
    sheet.freeze_panes = "A2"
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=1, column=index).font = Font(bold=True)
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(12, len(column.heading) + 2)
        if column.field in {"external_id", "phone"}:
            # Text, so that Excel keeps leading zeros in IDs and phone numbers.
            for row in range(2, 2001):
                sheet.cell(row=row, column=index).number_format = "@"
    docs = workbook.create_sheet("Columns")
    docs.append(["Column", "Required", "Format", "Example", "Meaning"])
    for cell in docs[1]:
        cell.font = Font(bold=True)
    for column in COLUMNS:
        docs.append([column.heading, column.required, column.format, column.example,
                     column.meaning])  # fmt: skip
    for letter, width in zip("ABCDE", (28, 16, 40, 24, 80), strict=True):
        docs.column_dimensions[letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
