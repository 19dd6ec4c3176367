"""The permission matrix, generated from the written policy in docs/relationships.md, and the
pages that are not about one relationship.

Every action of the policy table, in every relationship state, is requested by every person of
the cast plus a mentor whose membership is suspended (Sid) and a former partner of one of the
parties (Fay, Mia's earlier mentor). The people the table names must get in (200, or 302 after
a refused or empty form); everyone else must get "not found" (404). Posts carry no data, so they
change nothing (except a party signing the statement, which changes nobody's access).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from peercircle.conftest import Cast, join, make_person
from peercircle.people.models import Person
from peercircle.relationships import services as core
from peercircle.relationships.agreements.services import agreement_revise, agreement_template_save
from peercircle.relationships.allegations.services import allegation_record
from peercircle.relationships.choices import EndReason, Purpose, Side, Status
from peercircle.relationships.endings.models import Disagreement
from peercircle.relationships.endings.services import disagreement_record
from peercircle.relationships.models import Relationship
from peercircle.schemes.choices import Role
from peercircle.schemes.choices import Status as MemberStatus

POLICY = Path(__file__).resolve().parents[3] / "docs" / "relationships.md"
ROLES = {
    "parties": {"mo", "mia"},
    "supervisor": {"sam"},
    "coordinator": {"cora"},
    "admin": {"ada"},
    "nobody": set(),
}
PERSONAS = ("ada", "cora", "sam", "mo", "mia", "oz", "olga", "fay", "sid")
STATES = {label: value for value, label in Status.choices}


def read_policy() -> dict[str, dict[str, set[str]]]:
    """{action: {status: names allowed}} from the table between the policy markers."""
    text = POLICY.read_text(encoding="utf-8")
    table = text.split("<!-- policy:start -->")[1].split("<!-- policy:end -->")[0]
    rows = [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in table.strip().splitlines()
    ]
    header, body = rows[0], rows[2:]
    statuses = [STATES[label] for label in header[1:]]
    policy: dict[str, dict[str, set[str]]] = {}
    for action, *cells in body:
        policy[action] = {}
        for status, cell in zip(statuses, cells, strict=True):
            names: set[str] = set()
            for role in cell.split(","):
                names |= ROLES[role.strip()]
            policy[action][status] = names
    return policy


@dataclass(frozen=True)
class Scene:
    relationship: Relationship
    disagreement: Disagreement


Request = tuple[str, str]  # (method, url)
REQUESTS: dict[str, Callable[[Scene], list[Request]]] = {
    "See the relationship and its history": lambda s: [("get", s.relationship.get_absolute_url())],
    "Change its status or planned end, end it": lambda s: [
        ("post", reverse("relationships:status", args=[s.relationship.pk])),
        ("post", reverse("relationships:planned_end", args=[s.relationship.pk])),
        ("get", reverse("relationships:end", args=[s.relationship.pk])),
    ],
    "Read the agreement, its copy and the statements": lambda s: [
        ("get", reverse("relationships:agreement", args=[s.relationship.pk])),
        ("get", reverse("relationships:agreement_download", args=[s.relationship.pk])),
        ("get", reverse("relationships:confidentiality", args=[s.relationship.pk])),
    ],
    "Write or change the agreement": lambda s: [
        ("get", reverse("relationships:agreement_edit", args=[s.relationship.pk])),
    ],
    "Accept the agreement, sign the statement": lambda s: [
        ("post", reverse("relationships:agreement_accept", args=[s.relationship.pk])),
        ("post", reverse("relationships:confidentiality", args=[s.relationship.pk])),
    ],
    "Record a disagreement": lambda s: [
        ("get", reverse("relationships:disagreement_create", args=[s.relationship.pk])),
    ],
    "Read a disagreement": lambda s: [
        ("get", reverse("relationships:disagreement", args=[s.disagreement.pk])),
    ],
    "Arrange the three-way meeting, record its outcome": lambda s: [
        ("post", reverse("relationships:disagreement_meeting", args=[s.disagreement.pk])),
        ("post", reverse("relationships:disagreement_outcome", args=[s.disagreement.pk])),
    ],
    "Give exit feedback": lambda s: [
        ("get", reverse("relationships:feedback", args=[s.relationship.pk])),
    ],
    "Ask for a different supporter": lambda s: [
        ("get", reverse("relationships:change", args=[s.relationship.pk])),
        ("post", reverse("relationships:change", args=[s.relationship.pk])),
    ],
}


def test_the_policy_table_and_the_tests_name_the_same_actions() -> None:
    policy = read_policy()
    assert set(policy) == set(REQUESTS)
    assert all(set(by_state) == set(Status.values) for by_state in policy.values())


def build(cast: Cast, status: str) -> tuple[Scene, dict[str, Person]]:
    fay = make_person(cast.org, "Fay")
    join(fay, cast.scheme, Role.MENTOR)
    earlier = core.relationship_create(
        scheme=cast.scheme,
        members=[(fay, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
    core.relationship_end(
        relationship=earlier, reason=EndReason.PLANNED, actor=None, expected_version=1
    )
    sid = make_person(cast.org, "Sid")
    join(sid, cast.scheme, Role.MENTOR, status=MemberStatus.SUSPENDED)

    proposed = status == Status.PROPOSED
    relationship = core.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
        status=Status.PROPOSED if proposed else Status.ACTIVE,
    )
    agreement_revise(
        relationship=relationship, sections={"purpose": "Support"}, actor=None, based_on=0
    )
    disagreement = disagreement_record(
        relationship=relationship, raised_by=cast.mia, description="Timing", actor=None
    )
    relationship.refresh_from_db()
    if status in (Status.SUSPENDED, Status.ENDING):
        core.relationship_transition(
            relationship=relationship,
            to_status=status,
            actor=None,
            expected_version=relationship.version,
        )
    elif status == Status.ENDED:
        core.relationship_end(
            relationship=relationship,
            reason=EndReason.GOALS_MET,
            actor=None,
            expected_version=relationship.version,
        )
    relationship.refresh_from_db()
    assert relationship.status == status
    people = {name: getattr(cast, name) for name in PERSONAS if hasattr(cast, name)}
    return Scene(relationship, disagreement), {**people, "fay": fay, "sid": sid}


CELLS = [(action, status) for action in REQUESTS for status in Status.values]


@pytest.mark.django_db
@pytest.mark.parametrize(("action", "status"), CELLS, ids=[f"{a} [{s}]" for a, s in CELLS])
def test_each_cell_of_the_policy_holds_for_everyone(
    cast: Cast, client_for: Callable[[Person], Client], action: str, status: str
) -> None:
    allowed = read_policy()[action][status]
    scene, people = build(cast, status)
    for name in PERSONAS:
        client = client_for(people[name])
        for method, url in REQUESTS[action](scene):
            response = client.post(url, {}) if method == "post" else client.get(url)
            if name in allowed:
                assert response.status_code in (200, 302), f"{name} should reach {method} {url}"
            else:
                assert response.status_code == 404, f"{name} must get 'not found' on {url}"


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Cast], str]
    allowed: frozenset[str]
    method: str = "get"


def _allegation(cast: Cast) -> str:
    core.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
    allegation = allegation_record(
        subject=cast.mo, received_on=date(2026, 1, 5), reference="R-1", notes="", actor=None
    )
    return str(allegation.pk)


CAST = PERSONAS[:7]  # the named cast of peercircle/conftest.py
RUNNERS = frozenset({"ada", "cora", "olga"})  # coordinators, each in their own organisation
# The pages that are not about one relationship (the second table of docs/relationships.md).
PAGES = [
    Page("list", lambda c: reverse("relationships:list"), frozenset(CAST)),
    Page("create", lambda c: reverse("relationships:create"), RUNNERS),
    Page("import", lambda c: reverse("relationships:import"), RUNNERS),
    Page("import template", lambda c: reverse("relationships:import_template"), RUNNERS),
    Page("confirm import", lambda c: reverse("relationships:import_confirm"), RUNNERS, "post"),
    Page("allegations", lambda c: reverse("relationships:allegations"), RUNNERS),
    Page("record an allegation", lambda c: reverse("relationships:allegation_create"), RUNNERS),
    Page(
        "an allegation",
        lambda c: reverse("relationships:allegation", args=[_allegation(c)]),
        frozenset({"ada", "cora"}),
    ),
    Page(
        "its outcome",
        lambda c: reverse("relationships:allegation_conclude", args=[_allegation(c)]),
        frozenset({"ada", "cora"}),
    ),
    Page(
        "appoint a supporter",
        lambda c: reverse("relationships:allegation_support", args=[_allegation(c)]),
        frozenset({"ada", "cora"}),
    ),
    # Olga's own scheme has the same slug: she reaches her own template, never Tri-Borough's.
    Page(
        "agreement template",
        lambda c: reverse("relationships:agreement_template", args=["mentoring"]),
        RUNNERS,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_each_page_lets_in_only_whom_the_policy_names(
    cast: Cast, client_for: Callable[[Person], Client], page: Page
) -> None:
    url = page.url(cast)
    for name in CAST:
        client = client_for(getattr(cast, name))
        response = client.post(url, {}) if page.method == "post" else client.get(url)
        if name in page.allowed:
            assert response.status_code in (200, 302), f"{name} should reach {page.name}"
        else:
            assert response.status_code == 404, f"{name} must get 'not found' on {page.name}"


@pytest.mark.django_db
def test_another_organisations_coordinator_sees_only_her_own_template(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    agreement_template_save(
        scheme=cast.scheme,
        sections={"purpose": "Tri-Borough's own purpose"},
        actor=None,
        expected_version=0,
    )
    url = reverse("relationships:agreement_template", args=["mentoring"])
    body = client_for(cast.olga).get(url).content.decode()
    assert "Northshire mentoring" in body and "Tri-Borough&#x27;s own purpose" not in body
