"""Import people and their scheme roles from a spreadsheet: check every line, then save all or
nothing.

``import_people`` reads the file (``import_format``), checks every line against the database and
returns an ``ImportReport``: every problem with its line, column and fix, or what the import adds
and changes. A dry run stops there. A real import repeats the check inside one transaction, with
the people it touches locked, and saves everything or, on any problem, nothing.

Who is who: a line is the person with its ID; a line without an ID is the person with its e-mail
address (so people first added by hand are found, and given the ID). Importing the same file
again therefore updates people instead of adding them twice.

Lookups are batched (a few queries per thousand lines, never one per line) and writes are bulk,
so 20,000 lines import in seconds. The audit trail gets one event per person and role changed,
naming the fields changed but never their values.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

import structlog
from django.db import DatabaseError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from openpyxl.utils import get_column_letter

from peercircle.accounts.models import User
from peercircle.audit.models import AuditEvent
from peercircle.audit.services import audit_event, audit_record_many
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope
from peercircle.people.access import people_visible_to
from peercircle.people.import_format import (
    COLUMNS,
    COLUMNS_BY_KEY,
    Cell,
    Column,
    FileProblem,
    Table,
    Target,
    cell_text,
    known_headings,
    normalise_heading,
    read_table,
)
from peercircle.people.models import Membership, Person, SensitiveProfile
from peercircle.people.services import waits_for_match
from peercircle.people.viewer import Viewer
from peercircle.schemes.choices import PARTICIPATING, Role, Status
from peercircle.schemes.models import Scheme

logger = structlog.get_logger(__name__)

_BATCH = 500
_BY_FIELD = {c.field: c for c in COLUMNS}
_T = TypeVar("_T")


@dataclass(frozen=True)
class ImportAuthority:
    """Who imports, and so what they may touch: a coordinator reaches the schemes they
    coordinate and the people in them; an organisation admin, or an operator running the
    command, reaches the whole organisation."""

    organisation: Organisation
    actor: User | None
    viewer: Viewer | None
    source: str

    @classmethod
    def of_viewer(cls, viewer: Viewer) -> ImportAuthority:
        return cls(viewer.organisation, viewer.user, viewer, "import")

    @classmethod
    def of_operator(cls, organisation: Organisation) -> ImportAuthority:
        return cls(organisation, None, None, "command")

    @property
    def whole_organisation(self) -> bool:
        return self.viewer is None or self.viewer.is_admin

    def may_use(self, scheme: Scheme) -> bool:
        return self.whole_organisation or (
            self.viewer is not None and scheme.pk in self.viewer.manages
        )

    def visible_people(self) -> QuerySet[Person]:
        return Person.objects.all() if self.viewer is None else people_visible_to(self.viewer)

    def manageable(self, person_ids: Sequence[int]) -> set[int]:
        """The batched form of ``access_person(purpose="manage")``: a coordinator manages the
        people who hold any role in a scheme they coordinate."""
        viewer = self.viewer
        if viewer is None or viewer.is_admin:
            return set(person_ids)
        found: set[int] = set()
        for chunk in _chunks(person_ids):
            found.update(
                Membership.objects.filter(
                    person_id__in=chunk, scheme_id__in=viewer.manages
                ).values_list("person_id", flat=True)
            )
        return found


@dataclass(frozen=True)
class Problem:
    line: int  # 0: the file as a whole
    column: str
    message: str


@dataclass(frozen=True)
class Summary:
    people: int
    created: int
    updated: int
    unchanged: int
    roles_added: int
    roles_changed: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


@dataclass
class ImportReport:
    filename: str
    dry_run: bool
    problems: list[Problem]
    summary: Summary | None = None
    imported: bool = False
    # The database changed between the check and the confirmation, so the same file would
    # now do something else; nothing was imported and the summary is the new check.
    stale: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def text_lines(self) -> list[str]:
        """The report as the command prints it."""
        if self.problems or self.summary is None:
            lines = [
                f"{self.filename}: {len(self.problems)} problem"
                f"{'' if len(self.problems) == 1 else 's'}. Nothing was imported; fix the file "
                "and run the import again."
            ]
            for p in self.problems:
                where = "File" if p.line == 0 else f"Line {p.line}"
                lines.append(f"  {where}{', ' + p.column if p.column else ''}: {p.message}")
            return lines
        s = self.summary
        verb = "Checked" if self.dry_run else "Imported"
        lines = [
            f"{verb} {self.filename}: {s.people} {'person' if s.people == 1 else 'people'}, "
            "no problems.",
            f"  {s.created} to add, {s.updated} to update, {s.unchanged} unchanged; "
            f"{s.roles_added} scheme roles to add, {s.roles_changed} to change."
            if self.dry_run
            else f"  {s.created} added, {s.updated} updated, {s.unchanged} unchanged; "
            f"{s.roles_added} scheme roles added, {s.roles_changed} changed.",
        ]
        if self.dry_run:
            lines.append("Nothing was imported (dry run).")
        return lines


def import_people(
    *,
    authority: ImportAuthority,
    data: bytes,
    filename: str,
    dry_run: bool,
    expect: Summary | None = None,
) -> ImportReport:
    """Check ``data`` and, unless ``dry_run``, import it: all of it or, on any problem, nothing.

    ``expect`` is the summary the person confirmed after the dry run; if the same file would now
    do something else (someone changed the same people meanwhile), nothing is imported and the
    report is marked ``stale``.
    """
    try:
        table = read_table(data, filename)
    except FileProblem as exc:
        return ImportReport(filename, dry_run, [Problem(0, "", str(exc))])
    with organisation_scope(authority.organisation):
        if dry_run:
            plan = _check(table, authority, lock=False)
            return _report(filename, plan, dry_run=True)
        try:
            with transaction.atomic():
                plan = _check(table, authority, lock=True)
                if plan.problems:
                    return _report(filename, plan, dry_run=False)
                if expect is not None and plan.summary != expect:
                    return ImportReport(filename, False, [], plan.summary, stale=True)
                _apply(plan, authority, filename)
        except DatabaseError:
            logger.exception("import.failed", filename=filename, rows=len(table.rows))
            return ImportReport(
                filename,
                False,
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
    return ImportReport(filename, False, [], plan.summary, imported=True)


def _report(filename: str, plan: _Plan, *, dry_run: bool) -> ImportReport:
    return ImportReport(filename, dry_run, plan.problems, None if plan.problems else plan.summary)


# Checking ---------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: int
    person: dict[str, Any] = field(default_factory=dict)
    sensitive: dict[str, Any] = field(default_factory=dict)
    external_id: str = ""
    email: str = ""
    scheme_text: str = ""
    role: str | None = None
    status: str | None = None
    joined_on: date | None = None
    supervisor_ref: str | None = None
    bad: bool = False
    failed: set[str] = field(default_factory=set)  # columns whose cell could not be read
    # Filled in by the check:
    match: Person | None = None
    scheme: Scheme | None = None
    supervisor: Person | _Row | None = None
    changes: list[str] = field(default_factory=list)
    sensitive_changes: list[str] = field(default_factory=list)
    membership: Membership | None = None
    membership_changes: list[str] = field(default_factory=list)
    new_membership: bool = False
    obj: Person = field(init=False)  # the person saved for this line, once saving starts


@dataclass
class _Plan:
    problems: list[Problem]
    rows: list[_Row] = field(default_factory=list)
    summary: Summary = field(default_factory=lambda: Summary(0, 0, 0, 0, 0, 0))
    profiles: dict[int, SensitiveProfile] = field(default_factory=dict)


class _Checker:
    def __init__(self, table: Table, authority: ImportAuthority) -> None:
        self.table = table
        self.authority = authority
        self.problems: list[Problem] = []
        self.positions: list[Column | None] = []
        self.names: dict[str, str] = {}  # column key -> heading as written in the file

    def problem(self, row: _Row, key: str, message: str) -> None:
        """Report a problem with ``row``, naming the column as the file heads it."""
        row.bad = True
        column = self.names.get(key) or COLUMNS_BY_KEY[key].heading
        self.problems.append(Problem(row.line, column, message))

    # Headings ---------------------------------------------------------------------------------

    def read_headings(self) -> bool:
        line = self.table.heading_line
        unknown: list[str] = []
        for index, raw in enumerate(self.table.headings):
            heading = cell_text(raw) if not isinstance(raw, str) else " ".join(raw.split())
            column = COLUMNS_BY_KEY.get(normalise_heading(heading)) if heading else None
            self.positions.append(column)
            if not heading:
                if any(not _blank(_at(cells, index)) for _, cells in self.table.rows):
                    self.problems.append(
                        Problem(
                            line,
                            f"column {get_column_letter(index + 1)}",
                            "This column has values but no heading. Give it one of the "
                            "headings from the template, or delete the column.",
                        )
                    )
            elif column is None:
                unknown.append(heading)
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
        if unknown and not self.names:
            self.problems.append(
                Problem(
                    line,
                    "",
                    "The first line should hold the column headings, but none of them is one "
                    f"PeerCircle knows. The columns are: {known_headings()}. Start from the "
                    "template to get them right.",
                )
            )
            return False
        for heading in unknown:
            self.problems.append(
                Problem(
                    line,
                    heading,
                    f"'{heading}' is not a column PeerCircle knows; check its spelling. The "
                    f"columns are: {known_headings()}.",
                )
            )
        present = set(self.names)
        rules = [
            (not present & {"id", "e_mail"}, "The file needs an ID column or an E-mail column, so "
             "that each person can be found again when you next import."),
            (("latitude" in present) != ("longitude" in present),
             "Latitude and Longitude go together: include both columns, or neither."),
            (("scheme" in present) != ("role" in present),
             "Scheme and Role go together: include both columns, or neither."),
            (bool(present & {"status", "joined_on"}) and "scheme" not in present,
             "Status and Joined on are about a role in a scheme: add the Scheme and Role "
             "columns."),
        ]  # fmt: skip
        for broken, message in rules:
            if broken:
                self.problems.append(Problem(line, "", message))
        return not self.problems

    # Cells ------------------------------------------------------------------------------------

    def read_row(self, line: int, cells: list[Cell]) -> _Row:
        row = _Row(line)
        for index, column in enumerate(self.positions):
            if column is None:
                continue
            cell = _at(cells, index)
            if _blank(cell):
                value = column.blank
            else:
                try:
                    value = column.read(cell)
                except ValueError as exc:
                    self.problem(row, column.key, _sentence(str(exc)))
                    row.failed.add(column.key)
                    continue
            self._place(row, column, value)
        for index in range(len(self.positions), len(cells)):
            if not _blank(cells[index]):
                self.problems.append(
                    Problem(
                        line,
                        f"column {get_column_letter(index + 1)}",
                        "This cell is to the right of the last heading. Give its column a "
                        "heading or delete the cell.",
                    )
                )
                row.bad = True
                break
        if ("latitude" in row.person and "longitude" in row.person) and (
            (row.person["latitude"] is None) != (row.person["longitude"] is None)
        ):
            self.problem(row, "latitude", "Give both latitude and longitude, or neither.")
        if row.failed & {"scheme", "role", "status", "joined_on"}:
            pass  # already reported; a second message about the same cell would only confuse
        elif (row.status or row.joined_on) and not row.scheme_text:
            self.problem(
                row, "scheme", "Status and Joined on need a scheme: name the scheme and role."
            )
        elif bool(row.scheme_text) != bool(row.role):
            if row.scheme_text:
                self.problem(row, "role", "Name the person's role in the scheme, e.g. Mentee.")
            else:
                self.problem(row, "scheme", "Name the scheme the role is in.")
        if not row.external_id and not row.email and not row.bad:
            self.problem(
                row,
                "id" if "id" in self.names else "e_mail",
                "Give this person an ID or an e-mail address, so that PeerCircle can find them "
                "again when you next import.",
            )
        return row

    @staticmethod
    def _place(row: _Row, column: Column, value: Any) -> None:
        if column.target is Target.SENSITIVE:
            row.sensitive[column.field] = value
        elif column.target is Target.SUPERVISOR:
            row.supervisor_ref = value
        elif column.target is Target.MEMBERSHIP:
            setattr(row, "scheme_text" if column.field == "scheme" else column.field, value)
        elif column.field == "external_id":
            # A blank ID never removes an existing one: the ID is how people are found.
            row.external_id = value
            if value:
                row.person["external_id"] = value
        else:
            if column.field == "email":
                row.email = value
            row.person[column.field] = value

    # The whole file ---------------------------------------------------------------------------

    def check(self, *, lock: bool) -> _Plan:
        if not self.read_headings():
            return _Plan(self.problems)
        rows = [self.read_row(line, cells) for line, cells in self.table.rows]
        self.duplicates(rows)
        self.match(rows, lock=lock)
        self.resolve_schemes(rows)
        self.resolve_supervisors(rows)
        self.compare(rows, lock=lock)
        self.problems.sort(key=lambda p: p.line)
        if self.problems:
            return _Plan(self.problems)
        created = sum(1 for r in rows if r.match is None)
        updated = sum(
            1
            for r in rows
            if r.match is not None
            and (r.changes or r.sensitive_changes or r.new_membership or r.membership_changes)
        )
        summary = Summary(
            people=len(rows),
            created=created,
            updated=updated,
            unchanged=len(rows) - created - updated,
            roles_added=sum(1 for r in rows if r.new_membership),
            roles_changed=sum(1 for r in rows if r.membership_changes),
        )
        return _Plan([], rows, summary, self.profiles)

    def duplicates(self, rows: list[_Row]) -> None:
        for key, attr, what in (("id", "external_id", "ID"), ("e_mail", "email", "e-mail")):
            first: dict[str, int] = {}
            for row in rows:
                value = getattr(row, attr)
                if not value:
                    continue
                if value in first:
                    self.problem(
                        row,
                        key,
                        f"The {what} {value} is also on line {first[value]}. Each person goes on "
                        "one line: delete one of the two lines, or correct the "
                        f"{what}.",
                    )
                else:
                    first[value] = row.line

    def match(self, rows: list[_Row], *, lock: bool) -> None:
        people = Person.objects.select_for_update() if lock else Person.objects.all()
        ids = [r.external_id for r in rows if r.external_id]
        by_id: dict[str, Person] = {}
        by_email: dict[str, Person] = {}
        loaded: dict[int, Person] = {}
        for chunk in _chunks(ids):
            for p in people.filter(external_id__in=chunk):
                by_id[p.external_id] = loaded.setdefault(p.pk, p)
                if p.email:
                    by_email[p.email] = p
        # Addresses not already known to belong to the person with the line's ID. Every
        # service stores e-mail addresses in lower case, so an exact match is enough.
        emails = [r.email for r in rows if r.email and r.email not in by_email]
        for chunk in _chunks(emails):
            for p in people.filter(email__in=chunk):
                by_email[p.email] = loaded.setdefault(p.pk, p)
        matched_by: dict[int, _Row] = {}
        for row in rows:
            if row.bad:
                continue
            match = by_id.get(row.external_id) if row.external_id else None
            holder = by_email.get(row.email) if row.email else None
            if (
                match is None
                and holder is not None
                and not (row.external_id and holder.external_id)
            ):
                match = holder  # found by e-mail; a new ID, if any, is added to them
            if match is not None and match.pk in matched_by:
                other = matched_by[match.pk]
                self.problem(
                    row,
                    "id" if row.external_id and by_id.get(row.external_id) else "e_mail",
                    f"This is the same person as on line {other.line} (found by ID on one line "
                    "and by e-mail address on the other). Put each person on one line.",
                )
                continue
            if match is not None:
                matched_by[match.pk] = row
                row.match = match
        # An e-mail address held by someone this file does not describe cannot be reused.
        for row in rows:
            holder = by_email.get(row.email) if row.email else None
            if row.bad or holder is None or holder is row.match or holder.pk in matched_by:
                continue
            self.problem(
                row,
                "e_mail",
                "Another person already uses this e-mail address. Check the address; if it is "
                "the same person, put the ID they already have in the ID column.",
            )
        allowed = self.authority.manageable(list(matched_by))
        for pk, row in matched_by.items():
            if pk not in allowed:
                row.match = None
                self.problem(
                    row,
                    "id" if row.external_id else "e_mail",
                    "Another person in your organisation already has this "
                    f"{'ID' if row.external_id else 'e-mail address'}, and they are not in a "
                    "scheme you coordinate. Check it, or ask an organisation admin to import "
                    "this line.",
                )
        self.memberships: dict[tuple[int, int, str], Membership] = {}
        memberships = Membership.objects.select_for_update() if lock else Membership.objects.all()
        for pks in _chunks(list(matched_by)):
            for m in memberships.filter(person_id__in=pks):
                self.memberships[(m.person_id, m.scheme_id, m.role)] = m
        self.db_supervisors = {p for p, _, r in self.memberships if r == Role.SUPERVISOR}

    def resolve_schemes(self, rows: list[_Row]) -> None:
        schemes = list(Scheme.objects.all())
        index: dict[str, Scheme] = {}
        for scheme in schemes:
            index[normalise_heading(scheme.name)] = scheme
            index[normalise_heading(scheme.slug)] = scheme
        usable = [s for s in schemes if self.authority.may_use(s)]
        names = ", ".join(f"{s.name} ({s.slug})" for s in usable) or "none"
        for row in rows:
            if row.scheme_text:
                named = index.get(normalise_heading(row.scheme_text))
                if named is None or not self.authority.may_use(named):
                    # The same words whether the scheme is elsewhere or nowhere: no leak.
                    where = (
                        "one of the schemes"
                        if self.authority.whole_organisation
                        else "a scheme you coordinate"
                    )
                    self.problem(
                        row,
                        "scheme",
                        f"'{row.scheme_text}' is not {where}. Write one of: {names}.",
                    )
                    continue
                row.scheme = named
                if row.role and row.role not in named.roles:
                    labels = ", ".join(str(Role(r).label) for r in named.roles)
                    self.problem(
                        row,
                        "role",
                        f"{named.name} has no {Role(row.role).label.lower()} role. Write one "
                        f"of: {labels}.",
                    )
            elif row.match is None and not row.bad and not self.authority.whole_organisation:
                self.problem(
                    row,
                    "scheme",
                    f"Name the scheme this new person joins, one you coordinate: {names}. "
                    "Without one you could not see them after the import.",
                )

    def resolve_supervisors(self, rows: list[_Row]) -> None:
        in_file: dict[str, _Row] = {}
        for row in rows:
            if row.external_id:
                in_file.setdefault(row.external_id, row)
            if row.email:
                in_file.setdefault(row.email, row)
        wanted = [r.supervisor_ref for r in rows if r.supervisor_ref]
        outside = [ref for ref in wanted if _ref_key(ref) not in in_file]
        found: dict[str, tuple[Person, bool]] = {}
        is_supervisor = Exists(
            Membership.objects.filter(person=OuterRef("pk"), role=Role.SUPERVISOR)
        )
        for chunk in _chunks(outside):
            keys = [_ref_key(ref) for ref in chunk]
            candidates = self.authority.visible_people().filter(
                Q(email__in=[k for k in keys if "@" in k])
                | Q(external_id__in=[k for k in keys if "@" not in k])
            )
            for p, holds in zip(
                candidates, candidates.values_list(is_supervisor, flat=True), strict=True
            ):
                for key in (p.email, p.external_id):
                    if key:
                        found[key] = (p, holds)
        for row in rows:
            ref = row.supervisor_ref
            if not ref or row.bad:
                continue
            key = _ref_key(ref)
            target = in_file.get(key)
            if target is row:
                self.problem(row, "supervisor", "A person cannot supervise themselves.")
            elif target is not None:
                holds = target.role == Role.SUPERVISOR or (
                    target.match is not None and target.match.pk in self.db_supervisors
                )
                if holds or target.bad:
                    row.supervisor = target
                else:
                    self.problem(
                        row,
                        "supervisor",
                        f"{ref} (line {target.line}) is not a supervisor. Give them the "
                        "Supervisor role on their line, or name someone who has it.",
                    )
            elif key in found and found[key][1]:
                row.supervisor = found[key][0]
            elif key in found:
                self.problem(
                    row,
                    "supervisor",
                    f"{ref} is not a supervisor in any scheme. Add them to a scheme as a "
                    "supervisor first, or name someone who is.",
                )
            else:
                self.problem(
                    row,
                    "supervisor",
                    f"There is no one with the {'e-mail address' if '@' in key else 'ID'} "
                    f"{ref} among the people you can see. Name the supervisor by the e-mail or "
                    "ID they have in PeerCircle, or add them on a line of this file.",
                )

    def compare(self, rows: list[_Row], *, lock: bool) -> None:
        """Work out what each line adds or changes, and refuse what cannot be saved."""
        profiles: dict[int, SensitiveProfile] = {}
        matched = [r.match.pk for r in rows if r.match is not None]
        if any(COLUMNS_BY_KEY[k].target is Target.SENSITIVE for k in self.names):
            qs = SensitiveProfile.objects.select_for_update() if lock else SensitiveProfile.objects
            for chunk in _chunks(matched):
                for each in qs.filter(person_id__in=chunk):
                    profiles[each.person_id] = each
        self.profiles = profiles
        for row in rows:
            if row.bad:
                continue
            for name in ("given_name", "family_name"):
                key = "first_name" if name == "given_name" else "last_name"
                if row.person.get(name, None if row.match else "") == "":
                    self.problem(
                        row,
                        key,
                        f"{COLUMNS_BY_KEY[key].heading} is blank. "
                        + (
                            "Every person needs one: fill it in."
                            if row.match
                            else "It is needed for a new person (no one has this ID or e-mail "
                            "yet): fill it in."
                        ),
                    )
            if row.bad:
                continue
            person = row.match
            if person is not None:
                row.changes = [f for f, v in row.person.items() if getattr(person, f) != v]
                if "supervisor" in self.names and _supervisor_changes(row, person):
                    row.changes.append("supervisor")
                profile = profiles.get(person.pk)
                row.sensitive_changes = [
                    f
                    for f, v in row.sensitive.items()
                    if (getattr(profile, f) if profile else _BY_FIELD[f].blank) != v
                ]
            if row.scheme is None or row.role is None:
                continue
            existing = (
                self.memberships.get((person.pk, row.scheme.pk, row.role)) if person else None
            )
            if existing is None:
                row.new_membership = True
            else:
                row.membership = existing
                if row.status and row.status != existing.status:
                    row.membership_changes.append("status")
                if row.joined_on and row.joined_on != existing.joined_on:
                    row.membership_changes.append("joined_on")


def _supervisor_changes(row: _Row, person: Person) -> bool:
    target = row.supervisor
    if isinstance(target, _Row):
        if target.match is None:
            return True  # a person new in this file
        target = target.match
    return (target.pk if target else None) != person.supervisor_id


def _check(table: Table, authority: ImportAuthority, *, lock: bool) -> _Plan:
    return _Checker(table, authority).check(lock=lock)


# Saving -----------------------------------------------------------------------------------------


def _apply(plan: _Plan, authority: ImportAuthority, filename: str) -> None:
    org = authority.organisation
    today, now = timezone.localdate(), timezone.now()
    audit = _Audit(authority)
    for row in plan.rows:
        if row.match is not None:
            row.obj = row.match
    _create_people([r for r in plan.rows if r.match is None], org)

    changed = [r for r in plan.rows if r.match is not None and r.changes]
    moving = [r.obj.pk for r in changed if "email" in r.changes]
    # Clear changing addresses first, so that two people swapping addresses never collide
    # with the unique index halfway through.
    for chunk in _chunks(moving):
        Person.objects.filter(pk__in=chunk).update(email="")
    fields: set[str] = set()
    for row in changed:
        person = row.obj
        for name in row.changes:
            if name == "supervisor":
                person.supervisor_id = _supervisor_id(row)
            else:
                setattr(person, name, row.person[name])
        person.updated_at = now
        fields.update(row.changes)
    if changed:
        Person.objects.bulk_update(
            [r.obj for r in changed], [*sorted(fields), "updated_at"], _BATCH
        )

    _save_sensitive(plan, org)
    memberships = _save_memberships(plan, org, today)

    for row in plan.rows:
        if row.match is None:
            audit.add(row.obj, "person.create", f"Added {row.obj.full_name}")
        elif row.changes:
            audit.add(
                row.obj,
                "person.update",
                f"Changed {', '.join(row.changes)} of {row.obj.full_name}",
                {"fields": row.changes},
            )
        if row.sensitive_changes and row.match is not None:
            audit.add(
                row.obj,
                "person.sensitive",
                f"Changed sensitive details of {row.obj.full_name}",
                {"fields": sorted(row.sensitive_changes)},
            )
    for row, scheme, membership, before in memberships:
        role = Role(membership.role).label.lower()
        if before is None:
            summary = f"Added {row.obj.full_name} to {scheme.name} as {role}"
            audit.add(membership, "membership.create", summary)
        elif "status" in row.membership_changes:
            summary = (
                f"{row.obj.full_name} is now {Status(membership.status).label.lower()} as "
                f"{role} in {scheme.name}"
            )
            audit.add(
                membership, "membership.status", summary, {"status": [before, membership.status]}
            )
        if "joined_on" in row.membership_changes:
            audit.add(membership, "membership.update", f"Changed when {row.obj.full_name} joined")
    s = plan.summary
    audit.add(
        org,
        "people.import",
        f"Imported {filename[:100]}: {s.created} added, {s.updated} updated, {s.unchanged} "
        f"unchanged; {s.roles_added} roles added, {s.roles_changed} changed",
        s.as_dict(),
    )
    audit.save()


def _supervisor_id(row: _Row) -> int | None:
    target = row.supervisor.obj if isinstance(row.supervisor, _Row) else row.supervisor
    return None if target is None else target.pk


def _create_people(rows: list[_Row], org: Organisation) -> None:
    """Insert new people, supervisors before the people they supervise.

    Each wave holds the people whose supervisor already has a key, so a supervisor named on a
    later line of the file is set in the INSERT itself rather than by a slow bulk UPDATE.
    """
    for row in rows:
        row.obj = Person(organisation=org, **row.person)
    waiting = rows
    while waiting:
        ready = [
            r
            for r in waiting
            if not isinstance(r.supervisor, _Row) or r.supervisor.obj.pk is not None
        ]
        if not ready:
            break  # people who supervise each other: see below
        for row in ready:
            row.obj.supervisor_id = _supervisor_id(row)
        Person.objects.bulk_create([r.obj for r in ready], batch_size=_BATCH)
        done = {id(r) for r in ready}
        waiting = [r for r in waiting if id(r) not in done]
    # Only a circle (A supervises B, B supervises A) is left: insert, then link.
    Person.objects.bulk_create([r.obj for r in waiting], batch_size=_BATCH)
    for row in waiting:
        row.obj.supervisor_id = _supervisor_id(row)
    Person.objects.bulk_update([r.obj for r in waiting], ["supervisor"], batch_size=_BATCH)


def _save_sensitive(plan: _Plan, org: Organisation) -> None:
    create: list[SensitiveProfile] = []
    update: list[SensitiveProfile] = []
    fields: set[str] = set()
    profiles = plan.profiles
    for row in plan.rows:
        if row.match is None:
            if any(v not in ("", []) for v in row.sensitive.values()):
                create.append(SensitiveProfile(organisation=org, person=row.obj, **row.sensitive))
            continue
        if not row.sensitive_changes:
            continue
        profile = profiles.get(row.obj.pk)
        if profile is None:
            create.append(SensitiveProfile(organisation=org, person=row.obj, **row.sensitive))
        else:
            for name in row.sensitive_changes:
                setattr(profile, name, row.sensitive[name])
            fields.update(row.sensitive_changes)
            update.append(profile)
    SensitiveProfile.objects.bulk_create(create, batch_size=_BATCH)
    if update:
        SensitiveProfile.objects.bulk_update(update, sorted(fields), batch_size=_BATCH)


def _save_memberships(
    plan: _Plan, org: Organisation, today: date
) -> list[tuple[_Row, Scheme, Membership, str | None]]:
    """Add and change roles as ``membership_add`` and ``membership_set_status`` would."""
    done: list[tuple[_Row, Scheme, Membership, str | None]] = []
    create: list[Membership] = []
    update: list[Membership] = []
    for row in plan.rows:
        if row.scheme is None or row.role is None:
            continue
        waits = waits_for_match(row.scheme, row.role)
        if row.new_membership:
            m = Membership(
                organisation=org,
                person=row.obj,
                scheme=row.scheme,
                role=row.role,
                status=row.status or Status.APPLICANT,
                joined_on=row.joined_on or today,
                status_changed_on=today,
            )
            if m.status in PARTICIPATING and waits:
                m.waiting_since = today
            create.append(m)
            done.append((row, row.scheme, m, None))
        elif row.membership_changes and row.membership is not None:
            m = row.membership
            before = m.status
            if "status" in row.membership_changes and row.status:
                m.status = row.status
                m.status_changed_on = today
                waiting = m.status in PARTICIPATING and waits
                if waiting and m.waiting_since is None:
                    m.waiting_since = today
                elif not waiting:
                    m.waiting_since = None
            if row.joined_on:
                m.joined_on = row.joined_on
            update.append(m)
            done.append((row, row.scheme, m, before))
    Membership.objects.bulk_create(create, batch_size=_BATCH)
    if update:
        Membership.objects.bulk_update(
            update, ["status", "status_changed_on", "waiting_since", "joined_on"], _BATCH
        )
    return done


class _Audit:
    """Audit events for the whole import, written in bulk."""

    def __init__(self, authority: ImportAuthority) -> None:
        self.authority = authority
        self.events: list[AuditEvent] = []

    def add(
        self, target: Any, action: str, summary: str, changes: dict[str, Any] | None = None
    ) -> None:
        self.events.append(
            audit_event(
                organisation=self.authority.organisation,
                actor=self.authority.actor,
                action=action,
                target=target,
                summary=summary,
                changes=changes,
                source=self.authority.source,
            )
        )

    def save(self) -> None:
        audit_record_many(self.events, batch_size=_BATCH)


# Helpers ----------------------------------------------------------------------------------------


def _chunks(items: Sequence[_T], size: int = 1000) -> Iterator[Sequence[_T]]:
    # Bounded IN lists: SQLite limits the number of parameters in one statement.
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _at(cells: list[Cell], index: int) -> Cell:
    return cells[index] if index < len(cells) else None


def _blank(value: Cell) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _sentence(message: str) -> str:
    return message[:1].upper() + message[1:] if message[:1].isalpha() else message


def _ref_key(ref: str) -> str:
    return ref.lower() if "@" in ref else ref
