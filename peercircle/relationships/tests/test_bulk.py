"""The bulk services do what the single ones do, all or none, in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from peercircle.accounts.models import User
from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast, join, make_person
from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.meetings.models import Meeting
from peercircle.meetings.services import meeting_book
from peercircle.people.models import Membership, Person
from peercircle.relationships import hooks, services
from peercircle.relationships.allegations.services import allegation_record
from peercircle.relationships.choices import EndReason, Kind, Purpose, Side, Status
from peercircle.relationships.models import (
    PairExclusion,
    Participant,
    Relationship,
    RelationshipEvent,
)
from peercircle.schemes.choices import Role, SchemeType
from peercircle.schemes.models import Scheme
from peercircle.schemes.services import scheme_create

pytestmark = pytest.mark.django_db


def peer_scheme(cast: Cast) -> Scheme:
    return scheme_create(
        organisation=cast.org, name="Staff peers", scheme_type=SchemeType.ROTATION, actor=None
    )


def peers(cast: Cast, scheme: Scheme, count: int, prefix: str = "Peer") -> list[Person]:
    people = []
    for k in range(count):
        person = make_person(cast.org, f"{prefix}{k:02d}")
        join(person, scheme, Role.PEER)
        people.append(person)
    return people


def items(people: Sequence[Person]) -> list[services.NewRelationship]:
    """Pairs of consecutive people as mutual peers."""
    return [
        services.NewRelationship(
            members=[(people[k], Side.PEER), (people[k + 1], Side.PEER)],
            purpose=Purpose.PEER,
            started_on=date(2026, 7, 6),
        )
        for k in range(0, len(people) - 1, 2)
    ]


def shape(relationship: Relationship) -> dict[str, Any]:
    """What a relationship, its history and its audit trail say, without ids or names."""
    events = [
        (e.action, e.actor_label, e.from_status, e.to_status, e.summary.split(":")[0])
        for e in relationship.events.all()
    ]
    audit = [
        (a.action, a.actor_label, a.summary.split(":")[0], a.changes, a.source)
        for a in AuditEvent.objects.filter(
            target_type="relationships.relationship", target_id=str(relationship.pk)
        ).order_by("id")
    ]
    return {
        "fields": (
            relationship.kind,
            relationship.purpose,
            relationship.status,
            relationship.started_on,
            relationship.planned_end_on,
            relationship.ended_on,
            relationship.end_reason,
            relationship.version,
            relationship.created_by_id,
        ),
        "sides": sorted(relationship.participants.values_list("side", flat=True)),
        "events": [e[:4] for e in events],
        "audit": [(a[0], a[1], a[3], a[4]) for a in audit],
    }


@time_machine.travel(date(2026, 7, 6))
def test_create_many_gives_what_creating_one_by_one_gives(cast: Cast) -> None:
    scheme = peer_scheme(cast)
    a, b, c, d = peers(cast, scheme, 4)
    Membership.objects.filter(person__in=[a, b, c, d]).update(waiting_since=date(2026, 1, 1))
    one = services.relationship_create(
        scheme=scheme,
        members=[(a, Side.PEER), (b, Side.PEER)],
        purpose=Purpose.PEER,
        actor=cast.cora.user,
        source="rotation",
    )
    (many,) = services.relationships_create_many(
        scheme=scheme,
        items=[services.NewRelationship(members=[(c, Side.PEER), (d, Side.PEER)], purpose="peer")],
        actor=cast.cora.user,
        source="rotation",
    )
    many.refresh_from_db()
    assert shape(many) == shape(one)
    assert shape(many)["fields"][3:5] == (date(2026, 7, 6), date(2027, 1, 6))
    assert set(many.participants.values_list("person_id", flat=True)) == {c.pk, d.pk}
    summaries = {e.summary for e in RelationshipEvent.objects.filter(relationship=many)}
    assert summaries == {"Mutual peers between Peer02 Example and Peer03 Example active"}
    assert not Membership.objects.filter(scheme=scheme, waiting_since__isnull=False).exists()


def test_create_many_refuses_what_creating_one_refuses_and_saves_nothing(cast: Cast) -> None:
    scheme = peer_scheme(cast)
    a, b, c, d, e, f = peers(cast, scheme, 6)
    services.relationship_create(
        scheme=scheme, members=[(a, Side.PEER), (b, Side.PEER)], purpose="peer", actor=None
    )
    services.pair_exclude(scheme=scheme, a=c, b=d, reason="Not the right fit", actor=None)
    allegation_record(
        subject=f,
        received_on=date(2026, 3, 2),
        reference="LADO/1",
        notes="",
        actor=cast.cora.user,
    )
    good = services.NewRelationship(members=[(e, Side.PEER), (b, Side.PEER)], purpose="peer")
    cases: list[tuple[list[tuple[Person, str]], str]] = [
        ([(b, Side.PEER), (a, Side.PEER)], "already have a relationship"),
        ([(d, Side.PEER), (c, Side.PEER)], "not to be matched again .*Not the right fit"),
        ([(e, Side.PEER), (f, Side.PEER)], "Peer05 Example is the subject of an open allegation"),
        ([(e, Side.PEER), (cast.oz, Side.PEER)], "Oz Example is not an approved or active peer"),
        ([(e, Side.PEER), (cast.olga, Side.PEER)], "belongs to another organisation"),
        ([(e, Side.PEER), (e, Side.PEER)], "with themselves"),
        ([(e, Side.MENTOR), (c, Side.PEER)], "a mentor and a mentee, two peers"),
        # The same pair twice in one batch: the second would be a second relationship.
        ([(b, Side.PEER), (e, Side.PEER)], "already have a relationship"),
    ]
    before = Relationship.objects.count()
    for members, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.relationships_create_many(
                scheme=scheme,
                items=[good, services.NewRelationship(members=members, purpose="peer")],
                actor=None,
            )
    assert Relationship.objects.count() == before
    assert not Participant.objects.filter(person=e).exists()


def test_create_many_keeps_a_mentors_capacity_across_the_batch(cast: Cast) -> None:
    mentees = []
    for name in ("Nia", "Ola", "Pia"):
        person = make_person(cast.org, name)
        join(person, cast.scheme, Role.MENTEE)
        mentees.append(person)
    cast.scheme.mentor_capacity = 3
    cast.scheme.save()
    services.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
    batch = [
        services.NewRelationship(
            members=[(cast.mo, Side.MENTOR), (m, Side.MENTEE)], purpose=Purpose.NEW_CARER
        )
        for m in mentees
    ]
    with pytest.raises(ValidationError, match="Mo Example already supports 3 people"):
        services.relationships_create_many(scheme=cast.scheme, items=batch, actor=None)
    assert services.giving_load(cast.scheme, cast.mo) == 1
    services.relationships_create_many(scheme=cast.scheme, items=batch[:2], actor=None)
    assert services.giving_load(cast.scheme, cast.mo) == 3


def book(relationship: Relationship) -> Meeting:
    return meeting_book(
        relationship=relationship,
        starts_at=timezone.now() + timedelta(days=3),
        duration_minutes=60,
        mode=Mode.PHONE,
        place="",
        actor=None,
    )


@pytest.mark.parametrize("reason", [EndReason.ROTATION, EndReason.NOT_A_FIT])
def test_end_many_gives_what_ending_one_by_one_gives(cast: Cast, reason: str) -> None:
    scheme = peer_scheme(cast)
    people = peers(cast, scheme, 8)
    made = services.relationships_create_many(scheme=scheme, items=items(people), actor=None)
    proposed = services.relationships_create_many(
        scheme=scheme,
        items=[
            services.NewRelationship(
                members=[(people[0], Side.PEER), (people[3], Side.PEER)], purpose="peer"
            )
        ],
        actor=None,
        status=Status.PROPOSED,
    )
    meetings = [book(made[1]), book(made[2])]
    one = services.relationship_end(
        relationship=made[0],
        reason=reason,
        actor=cast.cora.user,
        expected_version=made[0].version,
        requeue=[people[0]],
    )
    rest = [*made[1:], *proposed]
    ended = services.relationships_end_many(
        relationships=rest, reason=reason, actor=cast.cora.user, requeue=[people[2]]
    )
    assert ended == rest
    for relationship in rest:
        stored = Relationship.objects.get(pk=relationship.pk)
        assert (stored.status, stored.version) == (relationship.status, relationship.version)
        assert stored.status == Status.ENDED
        # ended_on, end_reason, version, created_by (a proposal never started, so not the dates)
        assert shape(stored)["fields"][5:] == shape(one)["fields"][5:]
    assert shape(Relationship.objects.get(pk=made[1].pk)) == shape(one)
    proposed_events = list(proposed[0].events.values_list("from_status", "to_status"))
    assert proposed_events == [("", Status.PROPOSED), (Status.PROPOSED, Status.ENDED)]
    # The stop hooks ran: booked meetings to come are cancelled and the parties told.
    for meeting in meetings:
        meeting.refresh_from_db()
        assert meeting.status == MeetingStatus.CANCELLED
    waiting = set(
        Membership.objects.filter(scheme=scheme, waiting_since__isnull=False).values_list(
            "person_id", flat=True
        )
    )
    assert waiting == {people[0].pk, people[2].pk}
    excluded = {
        (x.person_low_id, x.person_high_id, x.relationship_id)
        for x in PairExclusion.objects.filter(scheme=scheme)
    }
    if reason == EndReason.NOT_A_FIT:
        assert excluded == {
            (*sorted(r.participants.values_list("person_id", flat=True)), r.pk)
            for r in [made[0], *rest]
        }
        assert set(PairExclusion.objects.values_list("reason", flat=True)) == {
            "The match was not the right fit"
        }
    else:
        assert excluded == set()


def test_end_many_keeps_an_existing_exclusion_as_it_was(cast: Cast) -> None:
    scheme = peer_scheme(cast)
    a, b = peers(cast, scheme, 2)
    (made,) = services.relationships_create_many(scheme=scheme, items=items([a, b]), actor=None)
    services.pair_exclude(scheme=scheme, a=b, b=a, reason="Asked by both", actor=None)
    services.relationships_end_many(relationships=[made], reason=EndReason.NOT_A_FIT, actor=None)
    (kept,) = PairExclusion.objects.all()
    assert (kept.reason, kept.relationship_id) == ("Asked by both", None)


def test_a_concurrent_change_refuses_the_whole_ending(cast: Cast) -> None:
    scheme = peer_scheme(cast)
    people = peers(cast, scheme, 6)
    made = services.relationships_create_many(scheme=scheme, items=items(people), actor=None)
    meeting = book(made[0])
    seen = list(Relationship.objects.filter(pk__in=[r.pk for r in made]).order_by("id"))
    # Someone pauses one of them after the caller read it.
    services.relationship_transition(
        relationship=made[2],
        to_status=Status.SUSPENDED,
        actor=cast.cora.user,
        expected_version=made[2].version,
    )
    with pytest.raises(services.ConcurrentChange, match="cora@tri-borough.example changed it"):
        services.relationships_end_many(relationships=seen, reason=EndReason.ROTATION, actor=None)
    statuses = list(
        Relationship.objects.filter(pk__in=[r.pk for r in made])
        .order_by("id")
        .values_list("status", flat=True)
    )
    assert statuses == [Status.ACTIVE, Status.ACTIVE, Status.SUSPENDED]
    assert not RelationshipEvent.objects.filter(action="ended").exists()
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.BOOKED
    ended = services.relationship_end(
        relationship=Relationship.objects.get(pk=made[0].pk),
        reason=EndReason.GOALS_MET,
        actor=None,
        expected_version=1,
    )
    with pytest.raises(ValidationError, match="already ended"):
        services.relationships_end_many(
            relationships=[seen[1], ended], reason=EndReason.ROTATION, actor=None
        )
    assert Relationship.objects.get(pk=made[1].pk).status == Status.ACTIVE


def test_end_many_runs_each_stop_hook_once_for_the_batch_or_once_per_relationship(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hooks, "_STOP_HOOKS", list(hooks._STOP_HOOKS))
    monkeypatch.setattr(hooks, "_MANY", dict(hooks._MANY))
    calls: list[tuple[str, list[int], User | None]] = []

    def single(relationship: Relationship, actor: User | None) -> None:
        calls.append(("single", [relationship.pk], actor))

    def batched(relationship: Relationship, actor: User | None) -> None:
        calls.append(("batched-single", [relationship.pk], actor))

    def batched_many(relationships: Sequence[Relationship], actor: User | None) -> None:
        assert all(r.status == Status.ENDED for r in relationships)
        calls.append(("many", [r.pk for r in relationships], actor))

    hooks.on_stop_working(single)
    hooks.on_stop_working(batched, many=batched_many)
    scheme = peer_scheme(cast)
    people = peers(cast, scheme, 4)
    made = services.relationships_create_many(scheme=scheme, items=items(people), actor=None)
    services.relationships_end_many(
        relationships=made, reason=EndReason.ROTATION, actor=cast.cora.user
    )
    pks = [r.pk for r in made]
    user = cast.cora.user
    assert calls == [
        ("single", pks[:1], user),
        ("single", pks[1:], user),
        ("many", pks, user),
    ]
    calls.clear()
    services.relationship_transition(
        relationship=services.relationship_create(
            scheme=scheme,
            members=[(people[0], Side.PEER), (people[3], Side.PEER)],
            purpose="peer",
            actor=None,
        ),
        to_status=Status.SUSPENDED,
        actor=None,
        expected_version=1,
    )
    assert [c[0] for c in calls] == ["single", "batched-single"]


def queries(run: Callable[[], object]) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def test_bulk_services_take_the_same_number_of_queries_for_2_and_20_relationships(
    cast: Cast,
) -> None:
    scheme = peer_scheme(cast)
    counts = []
    for size, prefix in ((4, "Few"), (40, "Many")):
        people = peers(cast, scheme, size, prefix=prefix)
        Membership.objects.filter(person__in=people).update(waiting_since=date(2026, 1, 1))
        batch = items(people)
        made: list[Relationship] = []

        def create(batch: list[services.NewRelationship] = batch, made: list[Any] = made) -> None:
            made += services.relationships_create_many(scheme=scheme, items=batch, actor=None)

        def end(made: list[Relationship] = made) -> None:
            services.relationships_end_many(
                relationships=made, reason=EndReason.NOT_A_FIT, actor=None
            )

        created = queries(create)
        ended = queries(end)
        assert len(made) == size // 2
        assert Relationship.objects.filter(
            pk__in=[r.pk for r in made], kind=Kind.PEER_PAIR, status=Status.ENDED
        ).count() == len(made)
        assert PairExclusion.objects.filter(relationship__in=made).count() == len(made)
        counts.append((created, ended))
    assert counts[0] == counts[1]
