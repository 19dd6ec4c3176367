"""The import service: what a good file does, and that a bad one does nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

import pytest
import time_machine
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast, join, make_person
from peercircle.people import importer
from peercircle.people.importer import ImportAuthority, ImportReport, import_people
from peercircle.people.models import Membership, Person, SensitiveProfile
from peercircle.people.viewer import viewer_for_person
from peercircle.schemes.choices import Role, Status
from peercircle.schemes.services import scheme_create

pytestmark = pytest.mark.django_db

HEADINGS = [
    "ID",
    "First name",
    "Last name",
    "E-mail",
    "Scheme",
    "Role",
    "Status",
    "Approved on",
    "Languages",
    "Working hours",
    "On probation",
    "Supervisor",
    "Gender",
]


def csv_file(*rows: Sequence[object]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode()


def as_cora(cast: Cast) -> ImportAuthority:
    return ImportAuthority.of_viewer(viewer_for_person(cast.cora))


def as_ada(cast: Cast) -> ImportAuthority:
    return ImportAuthority.of_viewer(viewer_for_person(cast.ada))


def run(
    cast: Cast, data: bytes, *, dry_run: bool = False, who: ImportAuthority | None = None
) -> ImportReport:
    return import_people(
        authority=who or as_cora(cast), data=data, filename="people.csv", dry_run=dry_run
    )


def problems(report: ImportReport) -> dict[int, list[tuple[str, str]]]:
    found: dict[int, list[tuple[str, str]]] = {}
    for p in report.problems:
        found.setdefault(p.line, []).append((p.column, p.message))
    return found


GOOD = csv_file(
    HEADINGS,
    ["C-1", "Jo", "Bloggs", "Jo@Example.org", "mentoring", "Mentee", "Approved", "01/03/2019",
     "English; Polish", "Mon-Fri 9-17", "y", "sam@tri-borough.example", "female"],
    ["C-2", "Ann", "Other", "", "Carer mentoring", "mentor", "in training", "2018-05-02",
     "", "", "No", "", ""],
)  # fmt: skip


@time_machine.travel(date(2026, 2, 1), tick=False)
def test_it_imports_people_with_roles_sensitive_details_and_supervisor(cast: Cast) -> None:
    report = run(cast, GOOD)

    assert report.ok and report.imported, report.problems
    assert report.summary is not None
    assert (report.summary.created, report.summary.roles_added) == (2, 2)
    jo = Person.objects.get(external_id="C-1")
    assert (jo.given_name, jo.email, jo.approved_on) == ("Jo", "jo@example.org", date(2019, 3, 1))
    assert jo.languages == ["English", "Polish"]
    assert jo.working_hours == [[d, 9, 17] for d in range(5)]
    assert jo.on_probation is True
    assert jo.supervisor == cast.sam
    assert SensitiveProfile.objects.get(person=jo).gender == "female"
    mentee = Membership.objects.get(person=jo)
    assert (mentee.scheme, mentee.role, mentee.status) == (cast.scheme, Role.MENTEE, "approved")
    # An approved mentee waits for a match, exactly as when added on the person page.
    assert mentee.waiting_since == date(2026, 2, 1)
    ann = Person.objects.get(external_id="C-2")
    assert ann.email == "" and ann.supervisor is None
    assert not SensitiveProfile.objects.filter(person=ann).exists()
    assert Membership.objects.get(person=ann).status == Status.IN_TRAINING


def test_it_leaves_an_audit_trail_without_personal_values(cast: Cast) -> None:
    run(cast, GOOD)
    events = AuditEvent.objects.filter(source="import")
    assert sorted(events.values_list("action", flat=True)) == [
        "membership.create",
        "membership.create",
        "people.import",
        "person.create",
        "person.create",
    ]
    assert set(events.values_list("actor", flat=True)) == {cast.cora.user_id}
    assert "female" not in " ".join(events.values_list("summary", flat=True))


def test_a_dry_run_reports_what_would_happen_and_saves_nothing(cast: Cast) -> None:
    people, events = Person.objects.count(), AuditEvent.objects.count()
    report = run(cast, GOOD, dry_run=True)
    assert report.ok and not report.imported
    assert report.summary is not None and report.summary.created == 2
    assert (Person.objects.count(), AuditEvent.objects.count()) == (people, events)


def test_importing_the_same_file_again_updates_instead_of_duplicating(cast: Cast) -> None:
    run(cast, GOOD)
    people, memberships = Person.objects.count(), Membership.objects.count()

    again = run(cast, GOOD)
    assert again.summary is not None
    assert (again.summary.created, again.summary.updated, again.summary.unchanged) == (0, 0, 2)
    assert (Person.objects.count(), Membership.objects.count()) == (people, memberships)

    changed = GOOD.replace(b"Bloggs", b"Bloggs-Smith").replace(b"in training", b"approved")
    third = run(cast, changed)
    assert third.summary is not None
    assert (third.summary.created, third.summary.updated, third.summary.roles_changed) == (0, 2, 1)
    assert Person.objects.get(external_id="C-1").family_name == "Bloggs-Smith"
    assert Person.objects.count() == people
    ann = Membership.objects.get(person__external_id="C-2")
    assert ann.status == Status.APPROVED
    assert AuditEvent.objects.filter(action="membership.status", target_id=str(ann.pk)).exists()


def test_an_update_changes_only_the_columns_in_the_file(cast: Cast) -> None:
    # Mo was added by hand, with no ID: the e-mail finds him and he is given the ID.
    report = run(
        cast, csv_file(["E-mail", "ID", "Phone"], ["MO@tri-borough.example", "M-7", "0207"])
    )
    assert report.ok, report.problems
    cast.mo.refresh_from_db()
    assert (cast.mo.external_id, cast.mo.phone) == ("M-7", "0207")
    assert cast.mo.languages == ["English", "Polish"]
    assert cast.mo.approved_on == date(2015, 3, 1)
    event = AuditEvent.objects.get(action="person.update", target_id=str(cast.mo.pk))
    assert event.changes == {"fields": ["external_id", "phone"]}
    # A blank cell in a column that is in the file clears it; a blank ID never does.
    run(cast, csv_file(["E-mail", "ID", "Phone"], ["mo@tri-borough.example", "", ""]))
    cast.mo.refresh_from_db()
    assert (cast.mo.external_id, cast.mo.phone) == ("M-7", "")


def test_every_kind_of_bad_line_is_reported_with_its_line_and_column(cast: Cast) -> None:
    staff = scheme_create(
        organisation=cast.org, name="Staff peers", scheme_type="rotation", actor=None
    )
    join(cast.oz, staff, Role.PEER)
    cast.mo.external_id = "MO-1"
    cast.mo.save(update_fields=["external_id"])
    headings = ["ID", "First name", "Last name", "E-mail", "Scheme", "Role", "Status",
                "Approved on", "On probation", "Active experience (months)", "Working hours",
                "Category", "Supervisor", "Latitude", "Longitude"]  # fmt: skip
    lines: list[dict[str, str]] = [
        {"ID": "A1", "E-mail": "ok@x.org"},
        {"ID": "A2", "Approved on": "31/02/2020"},
        {"ID": "A3", "Approved on": "01/03/19"},
        {"ID": "A4", "On probation": "perhaps"},
        {"ID": "A5", "Active experience (months)": "8 years"},
        {"ID": "A6", "Working hours": "Mon-Fri 9am"},
        {"ID": "A7", "Category": "fostering"},
        {"ID": "A8", "Role": "boss"},
        {"ID": "A9", "Role": "peer"},
        {"ID": "A10", "Scheme": "staff-peers", "Role": "peer"},
        {"ID": "A11", "First name": ""},
        {"ID": ""},
        {"ID": "A13", "Latitude": "51.5"},
        {"ID": "A14", "Scheme": "", "Role": "", "Status": "active"},
        {"ID": "A15", "E-mail": "not-an-address"},
        {"ID": "A16", "E-mail": "mo@tri-borough.example"},
        {"ID": "A17", "Supervisor": "nobody@x.org"},
        {"ID": "A18", "Supervisor": "mia@tri-borough.example"},
        {"ID": "A19", "Supervisor": "A19"},
        {"ID": "A20", "Approved on": "#N/A"},
        {"ID": "A21", "Active experience (months)": "5000"},
        {"ID": "A22", "": "?"},
        {"ID": "A23", "First name": "X" * 101},
    ]
    base = {"First name": "Pat", "Last name": "Line", "Scheme": "mentoring", "Role": "mentee"}
    rows: list[Sequence[object]] = [headings]
    for cells in lines:
        values = {**base, **cells}
        rows.append([values.get(h, "") for h in headings] + ([values[""]] if "" in values else []))
    before = Person.objects.count()
    report = run(cast, csv_file(*rows))

    expected = {
        3: ("Approved on", "is not a date"),
        4: ("Approved on", "two-digit year"),
        5: ("On probation", "Write Yes or No"),
        6: ("Active experience (months)", "not a number"),
        7: ("Working hours", "Mon-Fri 9-17"),
        8: ("Category", "not a category"),
        9: ("Role", "not a role"),
        10: ("Role", "Carer mentoring has no peer role"),
        11: ("Scheme", "not a scheme you coordinate"),
        12: ("First name", "needed for a new person"),
        13: ("ID", "Give this person an ID or an e-mail"),
        14: ("Latitude", "both latitude and longitude"),
        15: ("Scheme", "need a scheme"),
        16: ("E-mail", "not an e-mail address"),
        17: ("E-mail", "Another person already uses this e-mail"),
        18: ("Supervisor", "no one with the e-mail address nobody@x.org"),
        19: ("Supervisor", "not a supervisor"),
        20: ("Supervisor", "cannot supervise themselves"),
        21: ("Approved on", "spreadsheet error #N/A"),
        22: ("Active experience (months)", "out of range"),
        23: ("column P", "right of the last heading"),
        24: ("First name", "shorten it to 100"),
    }
    found = problems(report)
    assert sorted(found) == sorted(expected)
    for line, (column, words) in expected.items():
        assert [c for c, _ in found[line]] == [column], (line, found[line])
        assert words in found[line][0][1], (line, found[line])
    assert Person.objects.count() == before
    assert not report.imported
    # The refusal names only Cora's own scheme: it does not say Staff peers exists.
    assert "Staff peers" not in found[11][0][1]
    assert "Carer mentoring (mentoring)" in found[11][0][1]


def test_duplicate_ids_and_emails_in_the_file_name_both_lines(cast: Cast) -> None:
    report = run(
        cast,
        csv_file(
            ["ID", "First name", "Last name", "E-mail", "Scheme", "Role"],
            ["D1", "A", "A", "a@x.org", "mentoring", "mentee"],
            ["D2", "B", "B", "A@X.org", "mentoring", "mentee"],
            ["D1", "C", "C", "c@x.org", "mentoring", "mentee"],
        ),
    )
    found = problems(report)
    assert found[3] == [("E-mail", found[3][0][1])] and "also on line 2" in found[3][0][1]
    assert found[4][0][0] == "ID" and "The ID D1 is also on line 2" in found[4][0][1]
    assert 2 not in found


def test_unknown_columns_are_refused_with_the_known_ones(cast: Cast) -> None:
    report = run(
        cast, csv_file(["ID", "First name", "Last name", "Langauges"], ["1", "A", "B", "x"])
    )
    assert [(p.line, p.column) for p in report.problems] == [(1, "Langauges")]
    assert "Languages" in report.problems[0].message
    assert "Working hours" in report.problems[0].message


@pytest.mark.parametrize(
    ("headings", "words"),
    [
        (["First name", "Last name"], "needs an ID column or an E-mail column"),
        (["ID", "Scheme"], "Scheme and Role go together"),
        (["ID", "Latitude"], "Latitude and Longitude go together"),
        (["ID", "Status"], "add the Scheme and Role columns"),
        (["ID", "e-mail", "EMAIL"], "appears twice"),
        (["Name", "Address"], "none of them is one PeerCircle knows"),
    ],
)
def test_headings_that_cannot_work_are_refused(cast: Cast, headings: list[str], words: str) -> None:
    report = run(cast, csv_file(headings, ["x"] * len(headings)))
    assert any(words in p.message for p in report.problems), report.problems
    assert not report.imported


def test_headings_are_matched_whatever_their_case_and_spacing(cast: Cast) -> None:
    data = csv_file(
        ["  external_id ", "FIRST NAME", "last_name", "Email", "scheme", "ROLE", "approval date"],
        ["H1", "Hal", "Case", "hal@x.org", "MENTORING", "Mentee", "2020-01-02"],
    )
    assert run(cast, data).imported
    assert Person.objects.get(external_id="H1").approved_on == date(2020, 1, 2)


def test_one_bad_line_means_nothing_is_imported(cast: Cast) -> None:
    before = (Person.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    rows = [["ID", "First name", "Last name", "Scheme", "Role"]]
    rows += [[f"G{i}", "Good", f"Person {i}", "mentoring", "mentee"] for i in range(50)]
    rows.append(["G99", "Bad", "Role", "mentoring", "chief"])
    report = run(cast, csv_file(*rows))
    assert [p.line for p in report.problems] == [52]
    after = (Person.objects.count(), Membership.objects.count(), AuditEvent.objects.count())
    assert after == before


def test_an_error_found_only_while_saving_imports_nothing(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = (Person.objects.count(), Membership.objects.count(), SensitiveProfile.objects.count())

    def refuse(self: object) -> None:
        raise IntegrityError("UNIQUE constraint failed")

    # The audit events are written last, after people, profiles and roles.
    monkeypatch.setattr(importer._Audit, "save", refuse)
    report = run(cast, GOOD)

    assert not report.imported
    assert "refused the import while saving" in report.problems[0].message
    after = (Person.objects.count(), Membership.objects.count(), SensitiveProfile.objects.count())
    assert after == before


def test_a_coordinator_cannot_import_into_a_scheme_they_do_not_coordinate(cast: Cast) -> None:
    scheme_create(organisation=cast.org, name="Staff peers", scheme_type="rotation", actor=None)
    data = csv_file(
        ["ID", "First name", "Last name", "Scheme", "Role"], ["S1", "S", "P", "Staff peers", "peer"]
    )
    refused = run(cast, data)
    assert [(p.line, p.column) for p in refused.problems] == [(2, "Scheme")]
    assert not Person.objects.filter(external_id="S1").exists()
    # The organisation admin may.
    assert run(cast, data, who=as_ada(cast)).imported
    assert Membership.objects.get(person__external_id="S1").scheme.slug == "staff-peers"


def test_another_organisations_scheme_with_the_same_name_is_not_reached(cast: Cast) -> None:
    olga = ImportAuthority.of_viewer(viewer_for_person(cast.olga))
    data = csv_file(
        ["ID", "First name", "Last name", "Scheme", "Role"], ["N1", "N", "P", "mentoring", "mentee"]
    )
    assert run(cast, data, who=olga).imported
    person = Person.objects.get(external_id="N1")
    assert person.organisation == cast.other_org
    assert Membership.objects.get(person=person).scheme == cast.other_scheme
    # Tri-Borough's scheme by its full name is not one of Olga's.
    other = csv_file(
        ["ID", "First name", "Last name", "Scheme", "Role"],
        ["N2", "N", "P", "Carer mentoring", "mentee"],
    )
    report = run(cast, other, who=olga)
    assert "Northshire mentoring (mentoring)" in report.problems[0].message


def test_a_coordinator_cannot_change_someone_outside_their_schemes(cast: Cast) -> None:
    data = csv_file(["E-mail", "Phone"], ["oz@tri-borough.example", "999"])
    report = run(cast, data)
    assert [(p.line, p.column) for p in report.problems] == [(2, "E-mail")]
    assert "not in a scheme you coordinate" in report.problems[0].message
    cast.oz.refresh_from_db()
    assert cast.oz.phone == ""
    assert run(cast, data, who=as_ada(cast)).imported
    cast.oz.refresh_from_db()
    assert cast.oz.phone == "999"


def test_a_coordinator_must_name_a_scheme_for_a_new_person_but_an_admin_need_not(
    cast: Cast,
) -> None:
    data = csv_file(["ID", "First name", "Last name"], ["Z1", "Zed", "Nowhere"])
    report = run(cast, data)
    assert report.problems[0].column == "Scheme" and "Carer mentoring" in report.problems[0].message
    assert run(cast, data, who=as_ada(cast)).imported
    assert not Membership.objects.filter(person__external_id="Z1").exists()


def test_a_supervisor_may_be_a_new_person_later_in_the_same_file(cast: Cast) -> None:
    data = csv_file(
        ["ID", "First name", "Last name", "E-mail", "Scheme", "Role", "Supervisor"],
        ["K1", "Kid", "Carer", "", "mentoring", "mentee", "sue@x.org"],
        ["K2", "Sue", "Worker", "sue@x.org", "mentoring", "supervisor", ""],
        ["K3", "Kim", "Carer", "", "mentoring", "mentee", "K2"],
    )
    assert run(cast, data).imported
    sue = Person.objects.get(external_id="K2")
    assert Person.objects.get(external_id="K1").supervisor == sue
    assert Person.objects.get(external_id="K3").supervisor == sue


def test_two_new_supervisors_may_supervise_each_other(cast: Cast) -> None:
    data = csv_file(
        ["ID", "First name", "Last name", "Scheme", "Role", "Supervisor"],
        ["W1", "Wyn", "One", "mentoring", "supervisor", "W2"],
        ["W2", "Wes", "Two", "mentoring", "supervisor", "W1"],
    )
    assert run(cast, data).imported
    one, two = Person.objects.get(external_id="W1"), Person.objects.get(external_id="W2")
    assert (one.supervisor, two.supervisor) == (two, one)


def test_two_people_may_swap_email_addresses(cast: Cast) -> None:
    data = csv_file(
        ["E-mail", "ID"], ["mo@tri-borough.example", "MO"], ["mia@tri-borough.example", "MIA"]
    )
    assert run(cast, data).imported
    swapped = csv_file(
        ["ID", "E-mail"], ["MO", "mia@tri-borough.example"], ["MIA", "mo@tri-borough.example"]
    )
    report = run(cast, swapped)
    assert report.imported, report.problems
    cast.mo.refresh_from_db()
    assert cast.mo.email == "mia@tri-borough.example"


def test_a_confirmed_import_is_refused_when_the_people_changed_since_the_check(cast: Cast) -> None:
    checked = run(cast, GOOD, dry_run=True).summary
    make_person(cast.org, "Early", email="jo@example.org")
    join(Person.objects.get(email="jo@example.org"), cast.scheme, Role.MENTEE)
    report = import_people(
        authority=as_cora(cast), data=GOOD, filename="people.csv", dry_run=False, expect=checked
    )
    assert report.stale and not report.imported
    assert not Person.objects.filter(external_id="C-1").exists()
    assert report.summary is not None and report.summary.created == 1


def test_an_xlsx_file_with_real_dates_numbers_and_booleans_imports(cast: Cast) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["ID", "First name", "Last name", "Scheme", "Role", "Approved on",
                  "Active experience (months)", "On probation", "Phone"])  # fmt: skip
    sheet.append([1001, "Xl", "Sheet", "mentoring", "mentor", date(2017, 6, 30), 40.0, True, 7700])
    sheet.append([None] * 9)
    sheet.append([1002, "Yu", "Sheet", "mentoring", "mentee", 45352, 0, False, None])
    out = io.BytesIO()
    book.save(out)
    report = import_people(
        authority=as_cora(cast), data=out.getvalue(), filename="people.xlsx", dry_run=False
    )
    assert report.imported, report.problems
    xl = Person.objects.get(external_id="1001")
    assert (xl.approved_on, xl.active_experience_months, xl.on_probation) == (
        date(2017, 6, 30),
        40,
        True,
    )
    assert xl.phone == "7700"
    # A date that lost its format in Excel shows as a day number; it is read as the date.
    assert Person.objects.get(external_id="1002").approved_on == date(2024, 3, 1)


def _big_file(count: int) -> bytes:
    rows: list[Sequence[object]] = [
        ["ID", "First name", "Last name", "E-mail", "Scheme", "Role", "Supervisor", "Gender"]
    ]
    rows += [
        [f"B{i}", "Bulk", f"Person {i}", f"b{i}@x.org", "mentoring", "mentee",
         "sam@tri-borough.example", "female"]
        for i in range(count)
    ]  # fmt: skip
    return csv_file(*rows)


@pytest.mark.parametrize("dry_run", [True, False])
def test_lookups_and_writes_are_batched_not_one_query_per_line(cast: Cast, dry_run: bool) -> None:
    def queries(count: int) -> int:
        Person.objects.filter(external_id__startswith="B").delete()
        with CaptureQueriesContext(connection) as captured:
            report = run(cast, _big_file(count), dry_run=dry_run)
        assert report.ok, report.problems[:3]
        return len(captured)

    few, many = queries(30), queries(300)
    assert few < 40
    if dry_run:
        assert many == few
    else:
        # Only Django's own INSERT/UPDATE batches grow: far fewer than one query per line.
        assert many - few < 270 / 10
