"""Import existing matches from a spreadsheet: check every line, then save all or nothing.

The file format follows the people import (``peercircle.people.import_format``): headings in any
case and order, dates and choices read the ways people type them, comment lines starting "# ",
every problem reported with its line and column and how to fix it. People are found by their ID
in your records or their e-mail address.

Each line is created through ``relationship_create`` inside one transaction, so every rule of
a relationship made by hand applies (roles in the scheme, capacity counting the lines above,
pairs never to be matched again, open allegations). A dry run, or any problem, rolls the whole
transaction back: nothing partial is ever saved. Importing the same file again finds the
relationships already there and leaves them as they are.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import structlog
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone

from peercircle.organisations.tenancy import organisation_scope
from peercircle.people.import_format import (
    Cell,
    FileProblem,
    Table,
    cell_text,
    choice,
    normalise_heading,
    read_date,
    read_table,
    text,
)
from peercircle.people.importer import ImportAuthority, Problem
from peercircle.people.models import Person
from peercircle.relationships.choices import OCCUPYING, Kind, Purpose, Side
from peercircle.relationships.models import Participant
from peercircle.relationships.services import relationship_create
from peercircle.schemes.choices import SchemeType
from peercircle.schemes.models import Scheme

logger = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Column:
    heading: str
    read: Callable[[Cell], Any]
    required: str
    format: str
    example: str
    meaning: str
    aliases: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return normalise_heading(self.heading)


_PERSON = "The person's ID in your records, or their e-mail address"
_SIDES = "One of: " + ", ".join(str(label) for label in Side.labels)
COLUMNS: tuple[Column, ...] = (
    Column("Scheme", text(200), "Yes",
           "A scheme's short name (as in its web address) or its full name", "mentoring",
           "The scheme the relationship is in. Coordinators can import only into the schemes "
           "they coordinate.", aliases=("scheme_name",)),
    Column("First person", text(254), "Yes", _PERSON, "C-1001",
           "The mentor, the first of two peers, or the supporter.",
           aliases=("person_1", "first", "mentor", "supporter")),
    Column("First side", choice(Side, "side"), "No", _SIDES, "Mentor",
           "The first person's part. Blank: Mentor in a one-to-one mentoring scheme, Peer in "
           "any other.", aliases=("side_1", "first_role")),
    Column("Second person", text(254), "Yes", _PERSON, "jo.bloggs@example.org",
           "The mentee, the second peer, or the person supported.",
           aliases=("person_2", "second", "mentee", "supported")),
    Column("Second side", choice(Side, "side"), "No", _SIDES, "Mentee",
           "The second person's part. Blank: Mentee in a one-to-one mentoring scheme, Peer in "
           "any other.", aliases=("side_2", "second_role")),
    Column("Purpose", choice(Purpose, "purpose"), "No",
           "One of: " + ", ".join(str(label) for label in Purpose.labels),
           "Support for a new carer",
           "Why the relationship exists; it sets the planned end when that is blank. Blank: "
           "support for a new carer (mentoring), mutual peer support (peers), support during "
           "probation (one-way support)."),
    Column("Started on", read_date, "No", "A date", "2025-09-01",
           "When the relationship started. Blank means today.",
           aliases=("start", "started", "start_date")),
    Column("Planned end", read_date, "No", "A date", "2026-09-01",
           "When it is planned to end. Blank: the scheme's planned length for the purpose "
           "(12 months for a new carer and 6 for a specific purpose, unless the scheme says "
           "otherwise).", aliases=("planned_end_on", "planned_end_date", "end")),
)  # fmt: skip
COLUMNS_BY_KEY: dict[str, Column] = {}
for _column in COLUMNS:
    for _name in (_column.heading, *_column.aliases):
        COLUMNS_BY_KEY[normalise_heading(_name)] = _column
REQUIRED = ("scheme", "first_person", "second_person")
DEFAULT_PURPOSE = {
    Kind.MENTORING: Purpose.NEW_CARER,
    Kind.PEER_PAIR: Purpose.PEER,
    Kind.SUPPORT: Purpose.PROBATION,
}


@dataclass(frozen=True)
class Summary:
    relationships: int
    created: int
    unchanged: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    problems: list[Problem]
    summary: Summary | None = None
    imported: bool = False
    stale: bool = False  # the database changed since the check: nothing was imported

    @property
    def ok(self) -> bool:
        return not self.problems

    def text_lines(self) -> list[str]:
        """The report as the command prints it."""
        if self.problems or self.summary is None:
            count = len(self.problems)
            lines = [
                f"{self.filename}: {count} problem{'' if count == 1 else 's'}. Nothing was "
                "imported; fix the file and run the import again."
            ]
            for p in self.problems:
                where = "File" if p.line == 0 else f"Line {p.line}"
                lines.append(f"  {where}{', ' + p.column if p.column else ''}: {p.message}")
            return lines
        s = self.summary
        if self.dry_run:
            return [
                f"Checked {self.filename}: {s.relationships} relationships, no problems.",
                f"  {s.created} to add, {s.unchanged} already in PeerCircle.",
                "Nothing was imported (dry run).",
            ]
        return [
            f"Imported {self.filename}: {s.relationships} relationships, no problems.",
            f"  {s.created} added, {s.unchanged} already in PeerCircle.",
        ]


@dataclass
class _Row:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    bad: bool = False


class _Rollback(Exception):
    """Leave the transaction without saving anything (a dry run, or problems found)."""


def import_relationships(
    *,
    authority: ImportAuthority,
    data: bytes,
    filename: str,
    dry_run: bool,
    expect: Summary | None = None,
) -> ImportReport:
    """Check ``data`` and, unless ``dry_run``, import it: all of it or, on any problem, nothing.

    ``expect`` is the summary confirmed after the dry run: if the same file would now do
    something else, nothing is imported and the report is marked ``stale``.
    """
    try:
        table = read_table(data, filename)
    except FileProblem as exc:
        return ImportReport(filename, dry_run, [Problem(0, "", str(exc))])
    with organisation_scope(authority.organisation):
        checker = _Checker(table, authority)
        rows = checker.read()
        if checker.problems:
            return ImportReport(filename, dry_run, _by_line(checker.problems))
        result: list[ImportReport] = []
        try:
            with transaction.atomic():
                summary = checker.create(rows)
                if checker.problems:
                    result.append(ImportReport(filename, dry_run, _by_line(checker.problems)))
                elif dry_run:
                    result.append(ImportReport(filename, True, [], summary))
                elif expect is not None and summary != expect:
                    result.append(ImportReport(filename, False, [], summary, stale=True))
                else:
                    return ImportReport(filename, False, [], summary, imported=True)
                raise _Rollback
        except _Rollback:
            return result[0]
        except DatabaseError:
            logger.exception("relationship_import.failed", filename=filename)
            return ImportReport(
                filename,
                dry_run,
                [
                    Problem(
                        0,
                        "",
                        "The database refused the import while saving it, so nothing was "
                        "imported. Someone may have changed the same people at the same time: "
                        "check the file again. If this keeps happening, tell your administrator.",
                    )
                ],
            )


class _Checker:
    def __init__(self, table: Table, authority: ImportAuthority) -> None:
        self.table = table
        self.authority = authority
        self.problems: list[Problem] = []
        self.positions: list[Column | None] = []
        self.names: dict[str, str] = {}

    def problem(self, row: _Row, key: str, message: str) -> None:
        row.bad = True
        column = self.names.get(key, "") if key else ""
        self.problems.append(Problem(row.line, column, message))

    def read(self) -> list[_Row]:
        if not self._headings():
            return []
        rows = [self._row(line, cells) for line, cells in self.table.rows]
        self._resolve(rows)
        return rows

    def _headings(self) -> bool:
        line = self.table.heading_line
        known = ", ".join(c.heading for c in COLUMNS)
        for raw in self.table.headings:
            heading = " ".join(cell_text(raw).split()) if raw is not None else ""
            column = COLUMNS_BY_KEY.get(normalise_heading(heading)) if heading else None
            self.positions.append(column)
            if not heading:
                continue
            if column is None:
                self.problems.append(
                    Problem(
                        line,
                        heading,
                        f"'{heading}' is not a column PeerCircle knows for relationships; check "
                        f"its spelling. The columns are: {known}.",
                    )
                )
            elif column.key in self.names:
                self.problems.append(
                    Problem(
                        line,
                        heading,
                        f"This column appears twice (also as '{self.names[column.key]}'). "
                        "Keep one of them.",
                    )
                )
            else:
                self.names[column.key] = heading
        for key in REQUIRED:
            if key not in self.names:
                self.problems.append(
                    Problem(
                        line,
                        "",
                        f"The file needs a '{COLUMNS_BY_KEY[key].heading}' column. The columns "
                        f"are: {known}. Start from the template to get them right.",
                    )
                )
        return not self.problems

    def _row(self, line: int, cells: list[Cell]) -> _Row:
        row = _Row(line)
        for index, column in enumerate(self.positions):
            cell = cells[index] if index < len(cells) else None
            if column is None:
                if cell is not None and str(cell).strip():
                    self.problems.append(
                        Problem(
                            line,
                            "",
                            "This line has a value in a column without a heading. Give the "
                            "column a heading or delete the value.",
                        )
                    )
                    row.bad = True
                continue
            if cell is None or (isinstance(cell, str) and not cell.strip()):
                continue
            try:
                row.values[column.key] = column.read(cell)
            except ValueError as exc:
                message = str(exc)
                self.problem(row, column.key, message[:1].upper() + message[1:])
        for key in REQUIRED:
            if key not in row.values and not row.bad:
                self.problem(row, key, f"Fill in the {COLUMNS_BY_KEY[key].heading.lower()}.")
        return row

    def _resolve(self, rows: list[_Row]) -> None:
        """Find each line's scheme and people, in a few queries for the whole file."""
        schemes = list(Scheme.objects.all())
        by_name: dict[str, Scheme] = {}
        for scheme in schemes:
            by_name[scheme.slug.casefold()] = scheme
            by_name.setdefault(scheme.name.casefold(), scheme)
        refs = {
            str(row.values[k])
            for row in rows
            for k in ("first_person", "second_person")
            if k in row.values
        }
        people: dict[str, Person] = {}
        visible = self.authority.visible_people()
        wanted = sorted(refs)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            found = visible.filter(
                Q(external_id__in=chunk) | Q(email__in=[ref.lower() for ref in chunk])
            )
            for person in found:
                if person.external_id:
                    people[person.external_id.casefold()] = person
                if person.email:
                    people.setdefault(person.email.casefold(), person)
        for row in rows:
            if row.bad:
                continue
            named = by_name.get(str(row.values["scheme"]).casefold())
            if named is None or not self.authority.may_use(named):
                names = ", ".join(s.slug for s in schemes if self.authority.may_use(s))
                self.problem(
                    row,
                    "scheme",
                    f"There is no scheme '{row.values['scheme']}' that you can import into. "
                    f"Write one of: {names or 'none'}.",
                )
                continue
            row.values["scheme_obj"] = named
            for key in ("first_person", "second_person"):
                ref = str(row.values[key])
                match = people.get(ref.casefold())
                if match is None:
                    self.problem(
                        row,
                        key,
                        f"No person has the ID or e-mail address '{ref}'. Import the people "
                        "first, or correct the ID.",
                    )
                else:
                    row.values[f"{key}_obj"] = match

    def create(self, rows: list[_Row]) -> Summary:
        """Create every line's relationship (inside the caller's transaction)."""
        existing = self._existing(rows)
        seen: dict[tuple[int, frozenset[int]], int] = {}
        created = unchanged = 0
        today = timezone.localdate()
        source = "command" if self.authority.viewer is None else "import"
        for row in rows:
            scheme: Scheme = row.values["scheme_obj"]
            first: Person = row.values["first_person_obj"]
            second: Person = row.values["second_person_obj"]
            pair = (scheme.pk, frozenset((first.pk, second.pk)))
            if pair in seen:
                self.problem(
                    row,
                    "",
                    f"These two people are already paired on line {seen[pair]} of the file. "
                    "Keep one of the lines.",
                )
                continue
            seen[pair] = row.line
            if pair in existing:
                unchanged += 1
                continue
            mentoring = scheme.scheme_type == SchemeType.MENTORING
            sides = (
                row.values.get("first_side") or (Side.MENTOR if mentoring else Side.PEER),
                row.values.get("second_side") or (Side.MENTEE if mentoring else Side.PEER),
            )
            purpose = row.values.get("purpose") or _default_purpose(sides)
            started: date = row.values.get("started_on") or today
            planned: date | None = row.values.get("planned_end")
            if started > today:
                self.problem(
                    row, "started_on", "The start is in the future: import a match once it starts."
                )
                continue
            if planned is not None and planned <= started:
                self.problem(row, "planned_end", "The planned end must come after the start.")
                continue
            try:
                with transaction.atomic():
                    relationship_create(
                        scheme=scheme,
                        members=[(first, sides[0]), (second, sides[1])],
                        purpose=purpose,
                        actor=self.authority.actor,
                        started_on=started,
                        planned_end_on=planned,
                        source=source,
                    )
            except ValidationError as exc:
                self.problem(row, "", " ".join(exc.messages))
                continue
            created += 1
        return Summary(relationships=len(rows), created=created, unchanged=unchanged)

    def _existing(self, rows: list[_Row]) -> set[tuple[int, frozenset[int]]]:
        """(scheme, pair) of the open relationships between people of the file."""
        ids = {row.values[k].pk for row in rows for k in ("first_person_obj", "second_person_obj")}
        members: dict[int, tuple[int, set[int]]] = {}
        found = Participant.objects.filter(
            person_id__in=ids, relationship__status__in=OCCUPYING
        ).values_list("relationship_id", "relationship__scheme_id", "person_id")
        for relationship_id, scheme_id, person_id in found:
            members.setdefault(relationship_id, (scheme_id, set()))[1].add(person_id)
        return {
            (scheme_id, frozenset(people))
            for scheme_id, people in members.values()
            if len(people) == 2
        }


def _by_line(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: p.line)


def _default_purpose(sides: tuple[str, str]) -> str:
    if Side.PEER in sides:
        return DEFAULT_PURPOSE[Kind.PEER_PAIR]
    if Side.SUPPORTER in sides or Side.SUPPORTED in sides:
        return DEFAULT_PURPOSE[Kind.SUPPORT]
    return DEFAULT_PURPOSE[Kind.MENTORING]


def template_csv(*, scheme_slug: str = "") -> bytes:
    """The heading row and one example line, commented out with "# " (delete it to use it)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.heading for c in COLUMNS])
    example = [c.example for c in COLUMNS]
    example[0] = f"# {scheme_slug or example[0]}"
    writer.writerow(example)
    return "\ufeff".encode() + out.getvalue().encode("utf-8")
