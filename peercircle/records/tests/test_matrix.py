"""The authorisation matrix, generated from the written policy (``records.policy``).

For every relationship state and two settings of the scheme (the template's "supervisors read"
and "coordinators read instead"), every actor below tries every record action through the real
pages; what each should get comes from ``policy.allows`` applied to how the actor stands to the
relationship, which this file states from the cast (not from the database). Every cell is
asserted; a refusal must be "not found" (404), never "forbidden".

The actors: the named cast, plus
- *the suspended mentor*, Sid: mentor of his own relationship with Mia (in the same state),
  his role in the scheme suspended and the subject of an open allegation;
- *a former party*, Fay: Mia's previous mentor, whose relationship with her has ended; she must
  see nothing of Mia's later relationship (that former parties keep reading their *own* records
  is the "ended" column for Mo and Mia, and ``test_access.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peercircle.conftest import Cast, join, make_person
from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.models import Meeting
from peercircle.meetings.tests.helpers import held_meeting
from peercircle.people.models import Membership, Person
from peercircle.records.models import Record
from peercircle.records.policy import Action, Standing, allows
from peercircle.records.services import RecordInput, record_create
from peercircle.relationships.allegations.models import Allegation
from peercircle.relationships.choices import EndReason, Purpose, Side, Status
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import (
    relationship_create,
    relationship_end,
    relationship_transition,
)
from peercircle.schemes.choices import Role
from peercircle.schemes.choices import Status as MemberStatus

pytestmark = pytest.mark.django_db

STATES = [Status.PROPOSED, Status.ACTIVE, Status.SUSPENDED, Status.ENDING, Status.ENDED]
# (supervisors may read, coordinators may read)
SETTINGS = {"supervisor reads": (True, False), "coordinator reads": (False, True)}

# How each actor stands to the relationship whose record they try: the cast's own story.
STANDING = {
    "ada": Standing.COORDINATOR,  # an organisation admin may coordinate every scheme
    "cora": Standing.COORDINATOR,
    "sam": Standing.SUPERVISOR,  # Mia's supervising social worker
    "mo": Standing.PARTY,
    "mia": Standing.PARTY,
    "oz": Standing.NONE,
    "olga": Standing.NONE,  # another organisation's coordinator
    "suspended mentor": Standing.BARRED_PARTY,
    "former party": Standing.NONE,
}


@dataclass
class Subject:
    relationship: Relationship
    record: Record
    unrecorded: Meeting  # a held meeting without a record, for "create"


def _bring_to(relationship: Relationship, state: str) -> None:
    if state in (Status.ACTIVE, Status.PROPOSED):
        return
    if state == Status.ENDED:
        relationship_end(
            relationship=relationship,
            reason=EndReason.GOALS_MET,
            actor=None,
            expected_version=relationship.version,
        )
        return
    relationship_transition(
        relationship=relationship,
        to_status=state,
        actor=None,
        expected_version=relationship.version,
    )


def _subject(cast: Cast, mentor: Person, state: str) -> Subject:
    """A relationship of ``mentor`` and Mia in ``state``, with a record and an unrecorded
    meeting. A proposed relationship cannot hold meetings through the services, so its rows are
    written directly: the gate must follow the policy however a record came to exist."""
    start = timezone.localdate() - timedelta(days=60)
    status = Status.PROPOSED if state == Status.PROPOSED else Status.ACTIVE
    relationship = relationship_create(
        scheme=cast.scheme,
        members=[(mentor, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
        status=status,
        started_on=start,
    )
    if state == Status.PROPOSED:
        meeting = Meeting.objects.create(
            organisation=cast.org,
            relationship=relationship,
            starts_at=timezone.now() - timedelta(days=3),
            status=MeetingStatus.HELD,
        )
        record = Record.objects.create(
            organisation=cast.org,
            relationship=relationship,
            meeting=meeting,
            author=mentor,
            discussion="Imported from the paper file",
        )
    else:
        record = record_create(
            meeting=held_meeting(relationship, days_ago=3),
            author=mentor,
            actor=None,
            data=RecordInput(discussion="What was said", flags=["stressed"]),
        )
    unrecorded = Meeting.objects.create(
        organisation=cast.org,
        relationship=relationship,
        starts_at=timezone.now() - timedelta(days=1),
        status=MeetingStatus.HELD,
    )
    relationship.refresh_from_db()
    _bring_to(relationship, state)
    relationship.refresh_from_db()
    return Subject(relationship, record, unrecorded)


def _url(action: Action, subject: Subject) -> str:
    record, relationship = subject.record, subject.relationship
    return {
        Action.LIST: reverse("records:list", args=[relationship.pk]),
        Action.READ: reverse("records:detail", args=[record.pk]),
        Action.CREATE: reverse("records:create", args=[subject.unrecorded.pk]),
        Action.EDIT: reverse("records:edit", args=[record.pk]),
        Action.EXPORT: reverse("records:export", args=[record.pk]),
        Action.BREAK_GLASS: reverse("records:break_glass", args=[record.pk]),
    }[action]


@pytest.mark.parametrize("setting", SETTINGS, ids=str)
@pytest.mark.parametrize("state", STATES, ids=str)
def test_every_actor_gets_exactly_what_the_policy_allows(
    cast: Cast, client_for: Callable[[Person], Client], state: str, setting: str
) -> None:
    supervisor_reads, coordinator_reads = SETTINGS[setting]
    cast.scheme.records_readable_by_supervisor = supervisor_reads
    cast.scheme.records_readable_by_coordinator = coordinator_reads
    cast.scheme.save()

    fay = make_person(cast.org, "Fay", category="mainstream")
    join(fay, cast.scheme, Role.MENTOR)
    earlier = relationship_create(
        scheme=cast.scheme,
        members=[(fay, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
        started_on=timezone.localdate() - timedelta(days=400),
    )
    relationship_end(
        relationship=earlier,
        reason=EndReason.PLANNED,
        actor=None,
        expected_version=earlier.version,
    )
    sid = make_person(cast.org, "Sid", category="mainstream")
    join(sid, cast.scheme, Role.MENTOR)

    main = _subject(cast, cast.mo, state)
    sids = _subject(cast, sid, state)
    Membership.objects.filter(person=sid).update(status=MemberStatus.SUSPENDED)
    Allegation.objects.create(
        organisation=cast.org, subject=sid, received_on=timezone.localdate(), reference="A-1"
    )

    actors: dict[str, tuple[Person, Subject]] = {
        name: (person, main) for name, person in cast.everyone().items()
    }
    actors["suspended mentor"] = (sid, sids)
    actors["former party"] = (fay, main)
    assert set(actors) == set(STANDING)

    wrong = []
    cells = 0
    for name, (person, subject) in actors.items():
        client = client_for(person)
        for action in Action:
            expected = allows(
                action, STANDING[name], scheme=cast.scheme, status=subject.relationship.status
            )
            status = client.get(_url(action, subject)).status_code
            cells += 1
            if status != (200 if expected else 404):
                wrong.append(f"{name} {action}: got {status}, policy says {expected}")
    assert wrong == []
    assert cells == len(STANDING) * len(Action)


def test_the_matrix_allows_and_refuses_something_in_every_state() -> None:
    """Guards the generator: a policy that allowed everything, or nothing, would pass above."""

    class Scheme:
        scheme_type = "mentoring"
        records_readable_by_supervisor = True
        records_readable_by_coordinator = False

    for state in STATES:
        verdicts = {
            allows(action, standing, scheme=Scheme(), status=state)  # type: ignore[arg-type]
            for action in Action
            for standing in STANDING.values()
        }
        assert verdicts == {True, False}
    # Spot checks in words, independent of the generator.
    scheme = Scheme()
    assert allows(Action.READ, Standing.SUPERVISOR, scheme=scheme, status=Status.ENDED)  # type: ignore[arg-type]
    assert not allows(Action.READ, Standing.COORDINATOR, scheme=scheme, status=Status.ACTIVE)  # type: ignore[arg-type]
    assert allows(Action.BREAK_GLASS, Standing.COORDINATOR, scheme=scheme, status=Status.ACTIVE)  # type: ignore[arg-type]
    assert not allows(Action.READ, Standing.BARRED_PARTY, scheme=scheme, status=Status.SUSPENDED)  # type: ignore[arg-type]
    assert allows(Action.READ, Standing.PARTY, scheme=scheme, status=Status.ENDED)  # type: ignore[arg-type]
    assert not allows(Action.EDIT, Standing.PARTY, scheme=scheme, status=Status.ENDED)  # type: ignore[arg-type]
    assert not allows(Action.EXPORT, Standing.SUPERVISOR, scheme=scheme, status=Status.ACTIVE)  # type: ignore[arg-type]
