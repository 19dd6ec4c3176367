"""The demo's relationships: every part of issue 6 is there to see, told through the services.

One demo is built for the module (a build takes a few seconds) and deleted afterwards.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django.plugin import DjangoDbBlocker

from peercircle.accounts.models import User
from peercircle.concerns.choices import Source
from peercircle.concerns.choices import Status as ConcernStatus
from peercircle.concerns.models import Concern, ConcernNote, PairSilence
from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.models import Meeting
from peercircle.meetings.selectors import upcoming_for
from peercircle.notifications.models import Notification
from peercircle.ops.demo import DemoResult, _delete_organisation, build_demo
from peercircle.ops.demo import stories as story_words
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people.models import Membership, Person
from peercircle.records.models import ActionItem, Record
from peercircle.relationships.choices import EndReason, Kind, Purpose, Side, Status
from peercircle.relationships.models import (
    AgreementAcceptance,
    AgreementVersion,
    Allegation,
    AllegationPause,
    ConfidentialityStatement,
    ExitFeedback,
    Participant,
    Relationship,
)
from peercircle.relationships.services import giving_load, months_after
from peercircle.schemes.choices import PARTICIPATING, Role, SchemeType
from peercircle.schemes.models import Scheme
from peercircle.web.selectors import open_action_counts, still_to_sign

SLUG = "story-demo"


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[DemoResult]:
    with django_db_blocker.unblock():
        result = build_demo(slug=SLUG, two_factor=False)
        try:
            yield result
        finally:
            with scopes_disabled(), transaction.atomic():
                User.objects.filter(email__in=[e for _, e in result.logins]).delete()
                _delete_organisation(result.organisation)


def login(name: str) -> Person:
    return Person.objects.select_related("user").get(email=f"{name}@{SLUG}.example")


def mentoring(demo: DemoResult) -> Scheme:
    return Scheme.objects.get(organisation=demo.organisation, scheme_type=SchemeType.MENTORING)


def people_of(relationship: Relationship) -> dict[str, Person]:
    return {
        p.side: p.person
        for p in Participant.objects.filter(relationship=relationship).select_related("person")
    }


def test_the_plan_spells_the_choices_as_the_models_do() -> None:
    assert {story_words.MENTOR, story_words.MENTEE, story_words.PEER} <= set(Side.values)
    assert {story_words.SUPPORTER, story_words.SUPPORTED} <= set(Side.values)
    assert {
        story_words.NEW_CARER,
        story_words.SPECIFIC,
        story_words.PEER_PURPOSE,
        story_words.PROBATION,
        story_words.INVESTIGATION,
    } <= set(Purpose.values)
    assert {story_words.HELD, story_words.BOOKED, story_words.CANCELLED, story_words.MISSED} == set(
        MeetingStatus.values
    )


@pytest.mark.django_db
def test_the_mentoring_scheme_has_relationships_in_every_state(demo: DemoResult) -> None:
    scheme = mentoring(demo)
    by_state = Counter(
        Relationship.objects.filter(scheme=scheme).values_list("kind", "purpose", "status")
    )
    assert by_state == {
        (Kind.MENTORING, Purpose.NEW_CARER, Status.ACTIVE): 2,  # the demo pair, the quiet pair
        (Kind.MENTORING, Purpose.SPECIFIC, Status.ACTIVE): 2,  # one ending soon
        (Kind.MENTORING, Purpose.NEW_CARER, Status.SUSPENDED): 1,  # an allegation
        (Kind.MENTORING, Purpose.NEW_CARER, Status.ENDED): 1,
        (Kind.SUPPORT, Purpose.INVESTIGATION, Status.ACTIVE): 1,
    }
    today = timezone.localdate()
    meetings = Meeting.objects.filter(relationship__scheme=scheme)
    assert Counter(meetings.values_list("status", flat=True)).keys() == set(MeetingStatus.values)
    booked = meetings.get(status=MeetingStatus.BOOKED)
    assert today < timezone.localdate(booked.starts_at) <= today + timedelta(days=7)
    held = meetings.filter(status=MeetingStatus.HELD)
    assert held.filter(starts_at__lt=timezone.now() - timedelta(days=120)).exists()
    # Every record belongs to a held meeting; actions are carried forward, some done.
    records = Record.objects.filter(relationship__scheme=scheme).select_related("meeting")
    assert len(records) >= 15
    assert all(r.meeting.status == MeetingStatus.HELD for r in records)
    assert all(r.created_at > r.meeting.starts_at for r in records)
    actions = ActionItem.objects.filter(relationship__scheme=scheme)
    assert actions.filter(done_at__isnull=True).exists()
    done = actions.filter(done_at__isnull=False).select_related("record", "done_in")
    assert done and all(a.done_in is not None and a.done_in.pk != a.record.pk for a in done)


@pytest.mark.django_db
def test_the_demo_logins_are_the_parties_of_the_richest_pair(demo: DemoResult) -> None:
    mentor, mentee = login("mentor"), login("mentee")
    lead = Relationship.objects.get(participants__person=mentee, status=Status.ACTIVE)
    assert people_of(lead) == {Side.MENTOR: mentor, Side.MENTEE: mentee}
    assert lead.purpose == Purpose.NEW_CARER
    assert lead.started_on is not None
    assert lead.planned_end_on == months_after(lead.started_on, 12)
    # The mentor's second mentee is ending within four weeks, and everyone was prompted.
    mine = Relationship.objects.filter(participants__person=mentor, status=Status.ACTIVE)
    ending = mine.get(purpose=Purpose.SPECIFIC)
    assert ending.planned_end_on is not None
    assert 0 < (ending.planned_end_on - timezone.localdate()).days <= 28
    assert ending.ending_prompt_for == ending.planned_end_on
    assert Notification.objects.filter(
        person=login("coordinator"), kind="relationship.ending_soon"
    ).exists()

    # Agreement: version 1 accepted by both; version 2 waits for the mentee alone.
    versions = {v.number: v for v in AgreementVersion.objects.filter(relationship=lead)}
    assert sorted(versions) == [1, 2]
    accepted = {
        (a.version.number, a.person_id)
        for a in AgreementAcceptance.objects.filter(version__relationship=lead)
    }
    assert accepted == {(1, mentor.pk), (1, mentee.pk), (2, mentor.pk)}
    assert versions[2].sections["goals"] != versions[1].sections["goals"]
    assert still_to_sign(mentee, [lead.pk])[lead.pk].agreement_version == 2
    assert lead.pk not in still_to_sign(mentor, [lead.pk])
    assert ConfidentialityStatement.objects.filter(relationship=lead).count() == 2
    # Their pages: the meeting next week, open actions, records.
    assert [m.relationship_id for m in upcoming_for(mentee)] == [lead.pk]
    counts = open_action_counts(mentee, [lead.pk])[lead.pk]
    assert counts.total >= 2 and counts.mine >= 1
    for person in (mentor, mentee):
        client = Client()
        assert person.user is not None
        client.force_login(person.user)
        page = client.get("/")
        assert page.status_code == 200
        assert "open action" in page.content.decode()
    assert "(version 2)" in client.get("/").content.decode()  # the mentee's, still to accept


@pytest.mark.django_db
def test_flags_and_a_request_for_support_became_concerns_in_each_state(demo: DemoResult) -> None:
    scheme = mentoring(demo)
    coordinator = login("coordinator")
    concerns = {
        (c.source, c.status, tuple(c.flags)): c for c in Concern.objects.filter(scheme=scheme)
    }
    owned = concerns[Source.FLAG, ConcernStatus.IN_PROGRESS, ("stressed",)]
    assert owned.owner == coordinator and owned.escalated_at is None
    assert ConcernNote.objects.filter(concern=owned, author=coordinator).exists()
    overdue = concerns[Source.FLAG, ConcernStatus.NEW, ("overworked", "needs_support")]
    assert overdue.owner is None and overdue.due_at < timezone.now()
    assert overdue.escalated_at is not None
    assert Notification.objects.filter(person=login("admin"), kind="concern_escalated").count() == 1
    closed = concerns[Source.FLAG, ConcernStatus.CLOSED, ("overworked",)]
    assert closed.raised_by is not None and closed.relationship is not None
    assert closed.relationship.status == Status.ENDED
    request = concerns[Source.SUPPORT_REQUEST, ConcernStatus.NEW, ()]
    assert request.raised_by == login("mentee")
    assert len(concerns) == 4  # the quiet pair is not yet silent long enough for a concern
    # Each concern from a flag points at its record, whose flags match.
    for concern in (owned, overdue, closed):
        assert concern.record_id is not None
        assert set(concern.flags) == set(Record.objects.get(pk=concern.record_id).flags)
        assert concern.raised_at < timezone.now() - timedelta(days=2)


@pytest.mark.django_db
def test_the_pair_that_stopped_meeting_is_on_the_silence_ladder(demo: DemoResult) -> None:
    today = timezone.localdate()
    silences = list(
        PairSilence.objects.filter(scheme=mentoring(demo), since__lt=today - timedelta(days=35))
    )
    assert len(silences) == 1
    quiet = silences[0]
    assert 50 <= (today - quiet.since).days <= 55
    assert quiet.met
    parties = people_of(Relationship.objects.get(pk=quiet.relationship_id))
    nudged = Notification.objects.filter(kind="silence_nudge").values_list("person", flat=True)
    assert set(nudged) == {p.pk for p in parties.values()}
    prompted = Notification.objects.filter(kind="silence_prompt").values_list("person", flat=True)
    assert list(prompted) == [login("coordinator").pk]


@pytest.mark.django_db
def test_the_coordinator_dashboard_shows_the_quiet_pair_and_the_open_concerns(
    demo: DemoResult,
) -> None:
    quiet = PairSilence.objects.get(
        scheme=mentoring(demo), since__lt=timezone.localdate() - timedelta(days=35)
    )
    parties = people_of(Relationship.objects.get(pk=quiet.relationship_id))
    coordinator = login("coordinator")
    assert coordinator.user is not None
    client = Client()
    client.force_login(coordinator.user)
    page = client.get("/").content.decode()
    assert "1 pair has logged no meeting" in page
    for person in parties.values():
        assert person.full_name in page
    assert "3 open concerns" in page
    assert "2 not picked up yet" in page
    assert "1 past its due date" in page


@pytest.mark.django_db
def test_an_allegation_paused_a_relationship_and_its_subject_has_support(demo: DemoResult) -> None:
    allegation = Allegation.objects.get(organisation=demo.organisation)
    assert allegation.status == "open" and allegation.notes
    paused = AllegationPause.objects.get(allegation=allegation).relationship
    assert paused.status == Status.SUSPENDED
    assert people_of(paused)[Side.MENTOR] == allegation.subject
    support = Relationship.objects.get(purpose=Purpose.INVESTIGATION)
    assert people_of(support)[Side.SUPPORTED] == allegation.subject
    assert paused.events.filter(to_status=Status.SUSPENDED).exists()


@pytest.mark.django_db
def test_the_ended_relationship_has_both_parties_feedback(demo: DemoResult) -> None:
    ended = Relationship.objects.get(scheme=mentoring(demo), status=Status.ENDED)
    assert ended.end_reason == EndReason.PLANNED and ended.ended_on is not None
    feedback = ExitFeedback.objects.filter(relationship=ended)
    assert {f.person_id for f in feedback} == {p.pk for p in people_of(ended).values()}
    assert all(f.answer_texts and f.submitted_at.date() >= ended.ended_on for f in feedback)


@pytest.mark.django_db
def test_matching_still_has_mentees_waiting_and_mentors_with_room(demo: DemoResult) -> None:
    scheme = mentoring(demo)
    waiting = Membership.objects.filter(
        scheme=scheme, role=Role.MENTEE, waiting_since__isnull=False
    ).select_related("person")
    assert len(waiting) >= 5
    assert all(m.person.supervisor_id is not None for m in waiting)
    busy = set(
        Participant.objects.filter(
            relationship__status__in=(Status.ACTIVE, Status.SUSPENDED)
        ).values_list("person_id", flat=True)
    )
    assert not busy & {m.person_id for m in waiting}
    mentors = Membership.objects.filter(
        scheme=scheme, role=Role.MENTOR, status__in=PARTICIPATING
    ).select_related("person")
    room = [m for m in mentors if giving_load(scheme, m.person) < scheme.mentor_capacity]
    assert len(room) >= 3


@pytest.mark.django_db
def test_the_peer_rotation_has_last_round_and_this_round(demo: DemoResult) -> None:
    scheme = Scheme.objects.get(organisation=demo.organisation, scheme_type=SchemeType.ROTATION)
    pairs = Relationship.objects.filter(scheme=scheme, kind=Kind.PEER_PAIR)
    earlier = list(pairs.filter(status=Status.ENDED))
    current = list(pairs.filter(status=Status.ACTIVE))
    assert len(earlier) >= 2 and len(current) >= 2
    last_rotation = {r.started_on for r in current}
    assert len(last_rotation) == 1
    assert {r.ended_on for r in earlier} == last_rotation
    assert {r.end_reason for r in earlier} == {EndReason.ROTATION}
    together = {
        r.pk: frozenset(
            Participant.objects.filter(relationship=r).values_list("person_id", flat=True)
        )
        for r in earlier + current
    }
    assert len(set(together.values())) == len(together)  # nobody meets last round's peer again
    assert any(login("peer").pk in together[r.pk] for r in current)
    probation = Relationship.objects.filter(
        scheme=scheme, kind=Kind.SUPPORT, purpose=Purpose.PROBATION, status=Status.ACTIVE
    )
    assert probation
    for relationship in probation:
        parties = people_of(relationship)
        assert parties[Side.SUPPORTED].on_probation
        assert not parties[Side.SUPPORTER].on_probation


@pytest.mark.django_db
def test_record_text_is_encrypted_in_the_raw_rows(demo: DemoResult) -> None:
    record = (
        Record.objects.filter(relationship__scheme=mentoring(demo)).exclude(discussion="").first()
    )
    assert record is not None
    action = ActionItem.objects.filter(record=record).first()
    request = Concern.objects.get(organisation=demo.organisation, source=Source.SUPPORT_REQUEST)
    for model, pk, column, text in (
        (Record, record.pk, "discussion", record.discussion),
        (ActionItem, action.pk if action else 0, "text", action.text if action else ""),
        (Concern, request.pk, "message", request.message),
    ):
        assert text
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(model._meta.db_table)
            cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
            raw = cursor.fetchone()[0]
        assert raw and text not in raw and text.split()[0] not in raw


@pytest.mark.django_db
def test_every_demo_login_can_open_the_pages_of_its_part(demo: DemoResult) -> None:
    """The demo's data renders: no page of a story fails for the people who open it."""
    mentee = login("mentee")
    lead = Relationship.objects.get(participants__person=mentee, status=Status.ACTIVE)
    record = Record.objects.filter(relationship=lead).latest("id")
    ended = Relationship.objects.get(scheme=mentoring(demo), status=Status.ENDED)
    paused = Relationship.objects.get(scheme=mentoring(demo), status=Status.SUSPENDED)
    concerns = Concern.objects.filter(scheme=mentoring(demo))
    party_pages = [
        reverse("relationships:detail", args=[lead.pk]),
        reverse("relationships:agreement", args=[lead.pk]),
        reverse("meetings:relationship", args=[lead.pk]),
        reverse("records:list", args=[lead.pk]),
        reverse("records:detail", args=[record.pk]),
    ]
    pages = {
        "mentor": party_pages,
        "mentee": party_pages,
        "supervisor": [reverse("records:detail", args=[record.pk])],
        "coordinator": [
            reverse("concerns:list"),
            reverse("concerns:silent"),
            *(reverse("concerns:detail", args=[c.pk]) for c in concerns),
            reverse("relationships:detail", args=[ended.pk]),
            reverse("relationships:detail", args=[paused.pk]),
            reverse("relationships:list"),
        ],
        "peer": ["/"],
        "people-circle": ["/", reverse("relationships:list")],
    }
    for name, urls in pages.items():
        person = login(name)
        assert person.user is not None
        client = Client()
        client.force_login(person.user)
        for url in urls:
            assert client.get(url).status_code == 200, (name, url)
    # The coordinator sees the record's flags, not its words (the scheme keeps records to the
    # parties and the supervisor).
    coordinator = Client()
    user = login("coordinator").user
    assert user is not None
    coordinator.force_login(user)
    assert coordinator.get(reverse("records:detail", args=[record.pk])).status_code == 404
