"""Conflict and endings: disagreements with a three-way meeting, asking for a different
supporter, exit feedback, and the prompt four weeks before a planned ending."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client, TestCase
from django.urls import reverse

from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.ops.periodic import registered_jobs
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people.models import Membership, Person
from peercircle.relationships import services as core
from peercircle.relationships.choices import Status
from peercircle.relationships.endings import services
from peercircle.relationships.endings.models import Disagreement, ExitFeedback
from peercircle.relationships.models import PairExclusion, Relationship
from peercircle.relationships.selectors import relationships_ending_soon
from peercircle.relationships.tests.helpers import in_state, mentoring, text_of

pytestmark = pytest.mark.django_db
ClientFor = Callable[[Person], Client]


def test_either_party_records_a_disagreement_and_the_coordinator_is_told_not_what(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    url = reverse("relationships:disagreement_create", args=[relationship.pk])
    empty = client_for(cast.mia).post(url, {"description": "  "})
    assert "This field is required." in text_of(empty)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client_for(cast.mia).post(
            url, {"description": "Mo keeps cancelling at short notice"}
        )
    disagreement = Disagreement.objects.get()
    assert response["Location"] == reverse("relationships:disagreement", args=[disagreement.pk])
    assert disagreement.raised_by == cast.mia
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT description FROM relationships_disagreement WHERE id = %s", [disagreement.pk]
        )
        assert "cancelling" not in cursor.fetchone()[0]
    told = Notification.objects.get(person=cast.cora)
    assert "cancelling" not in told.title + told.body
    assert all("cancelling" not in m.body for m in mail.outbox)
    page = reverse("relationships:disagreement", args=[disagreement.pk])
    for who, status in [(cast.mo, 200), (cast.cora, 200), (cast.sam, 404), (cast.oz, 404)]:
        assert client_for(who).get(page).status_code == status


def test_the_coordinator_arranges_a_three_way_meeting_and_records_the_outcome(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    disagreement = services.disagreement_record(
        relationship=relationship, raised_by=cast.mo, description="Clash of styles", actor=None
    )
    cora = client_for(cast.cora)
    meeting = reverse("relationships:disagreement_meeting", args=[disagreement.pk])
    outcome = reverse("relationships:disagreement_outcome", args=[disagreement.pk])
    cora.post(meeting, {"meeting_on": "2026-06-03", "meeting_with": "Sam", "version": 1})
    disagreement.refresh_from_db()
    assert disagreement.status == "meeting" and disagreement.meeting_on == date(2026, 6, 3)
    titles = Notification.objects.filter(kind="disagreement.meeting").values_list(
        "person__given_name", "title"
    )
    assert sorted(titles) == [
        ("Mia", "A three-way meeting on 03 June 2026"),
        ("Mo", "A three-way meeting on 03 June 2026"),
    ]
    # A second coordinator working from the page they opened before is told what changed.
    stale = client_for(cast.ada).post(outcome, {"outcome": "resolved", "version": 1}, follow=True)
    assert "cora@tri-borough.example set the three-way meeting for 03 June 2026" in text_of(stale)
    cora.post(outcome, {"outcome": "changes", "outcome_notes": "Fortnightly calls", "version": 2})
    disagreement.refresh_from_db()
    assert disagreement.outcome == "changes" and disagreement.outcome_notes == "Fortnightly calls"
    assert client_for(cast.mo).post(outcome, {"outcome": "end", "version": 3}).status_code == 404


def test_any_participant_can_ask_for_a_different_supporter_at_any_time(
    cast: Cast, client_for: ClientFor
) -> None:
    for status in (Status.ACTIVE, Status.SUSPENDED, Status.ENDING, Status.PROPOSED):
        relationship = in_state(cast, status)
        url = reverse("relationships:change", args=[relationship.pk])
        unconfirmed = client_for(cast.mia).post(url, {}, follow=True)
        assert "Tick the box to confirm" in text_of(unconfirmed)
        response = client_for(cast.mia).post(url, {"confirm": "yes"})
        assert response.status_code == 302, status
        relationship.refresh_from_db()
        assert relationship.status == Status.ENDED and relationship.end_reason == "change_asked"
        assert Membership.objects.get(person=cast.mia).waiting_since is not None
        assert PairExclusion.objects.filter(scheme=cast.scheme).count() == 1
        # Reset for the next status: the pair may be tried again in this test only.
        PairExclusion.objects.all().delete()
        Membership.objects.filter(person=cast.mia).update(waiting_since=None)
    ended = in_state(cast, Status.ENDED)
    url = reverse("relationships:change", args=[ended.pk])
    assert client_for(cast.mia).post(url, {"confirm": "yes"}).status_code == 404
    active = in_state(cast, Status.ACTIVE)
    url = reverse("relationships:change", args=[active.pk])
    for who in (cast.cora, cast.sam, cast.oz, cast.olga):
        assert client_for(who).post(url, {"confirm": "yes"}).status_code == 404


def test_asking_for_a_change_tells_the_coordinator_and_ends_without_blame(
    cast: Cast,
) -> None:
    relationship = mentoring(cast)
    services.relationship_ask_for_change(
        relationship=relationship, person=cast.mo, actor=cast.mo.user
    )
    coordinator = Notification.objects.get(person=cast.cora)
    assert coordinator.title == "Mo Example asked for a different match in Carer mentoring"
    mia = Notification.objects.get(person=cast.mia)
    assert mia.title == "Your relationship with Mo Example has ended"
    assert "nobody's failure" in mia.body
    # Mia still needs a mentor; Mo, a mentor, does not wait for one.
    assert Membership.objects.get(person=cast.mia).waiting_since is not None
    assert Membership.objects.get(person=cast.mo).waiting_since is None


def test_each_party_gives_exit_feedback_once_and_only_coordinators_read_it(
    cast: Cast, client_for: ClientFor
) -> None:
    relationship = mentoring(cast)
    url = reverse("relationships:feedback", args=[relationship.pk])
    assert client_for(cast.mia).get(url).status_code == 404  # not before the ending
    core.relationship_end(
        relationship=relationship, reason="goals_met", actor=None, expected_version=1
    )
    mentor_form = client_for(cast.mo).get(url)
    assert "Would you do this again?" in text_of(mentor_form)
    mentee_form = client_for(cast.mia).get(url)
    assert "How useful was the relationship for you?" in text_of(mentee_form)
    missing = client_for(cast.mia).post(url, {"goals": "Yes"})
    assert "Choose how useful it was." in text_of(missing)
    client_for(cast.mia).post(
        url,
        {
            "usefulness": "5",
            "goals": "Contact with Jay's mum is calmer now",
            "would_again": "yes",
            "would_recommend": "yes",
        },
    )
    feedback = ExitFeedback.objects.get()
    assert feedback.form == "mentee" and feedback.usefulness == 5 and feedback.would_again
    with connection.cursor() as cursor:
        cursor.execute("SELECT answers FROM relationships_exitfeedback")
        assert "Jay" not in cursor.fetchone()[0]
    again = client_for(cast.mia).get(url)
    assert "You sent it on" in text_of(again)
    assert "Contact with Jay's mum is calmer now" in text_of(
        client_for(cast.cora).get(relationship.get_absolute_url())
    )
    for who in (cast.mo, cast.sam):
        page = text_of(client_for(who).get(relationship.get_absolute_url()))
        assert "Jay's mum" not in page
    assert client_for(cast.cora).get(url).status_code == 404


def test_ending_soon_follows_each_schemes_notice(cast: Cast) -> None:
    relationship = mentoring(cast)
    end = relationship.planned_end_on
    assert end is not None
    assert list(relationships_ending_soon(end - timedelta(days=29))) == []
    assert list(relationships_ending_soon(end - timedelta(days=28))) == [relationship]
    assert list(relationships_ending_soon(end + timedelta(days=3))) == [relationship]
    cast.scheme.ending_notice_days = 60
    cast.scheme.save(update_fields=["ending_notice_days"])
    assert list(relationships_ending_soon(end - timedelta(days=59))) == [relationship]
    core.relationship_end(
        relationship=relationship, reason="planned", actor=None, expected_version=1
    )
    assert list(relationships_ending_soon(end)) == []


def test_the_job_prompts_both_parties_and_the_coordinator_once_four_weeks_ahead(
    cast: Cast,
) -> None:
    with time_machine.travel(date(2026, 1, 5)):
        relationship = mentoring(cast)
    assert relationship.planned_end_on == date(2027, 1, 5)
    job = next(j for j in registered_jobs() if j.name.endswith("prompt_planned_endings"))
    with time_machine.travel(date(2026, 12, 7)):  # 29 days ahead: not yet
        assert job.task.call() == 0
    with time_machine.travel(date(2026, 12, 8)), TestCase.captureOnCommitCallbacks(execute=True):
        assert job.task.call() == 1
        assert job.task.call() == 0  # running again sends nothing
    with time_machine.travel(date(2026, 12, 20)):
        assert job.task.call() == 0
    prompts = Notification.objects.filter(kind="relationship.ending_soon")
    assert sorted(prompts.values_list("person__given_name", flat=True)) == ["Cora", "Mia", "Mo"]
    assert sorted(m.to[0] for m in mail.outbox) == [
        "cora@tri-borough.example",
        "mia@tri-borough.example",
        "mo@tri-borough.example",
    ]
    assert prompts.get(person=cast.mia).title == (
        "Your relationship with Mo Example is planned to end on 05 January 2027"
    )
    # Moving the planned end prompts again, once, for the new date.
    relationship.refresh_from_db()
    core.relationship_set_planned_end(
        relationship=relationship,
        planned_end_on=date(2027, 1, 12),
        actor=None,
        expected_version=relationship.version,
    )
    with time_machine.travel(date(2026, 12, 21)):
        assert job.task.call() == 1
        assert job.task.call() == 0
    assert prompts.count() == 6


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_prompt_job_at_once_prompt_once(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    with time_machine.travel(date(2026, 1, 5)):
        relationship = mentoring(cast)
    assert relationship.planned_end_on is not None
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                results.append(services.ending_prompts_send(today=date(2026, 12, 10)))
        except BaseException as exc:  # report it to the test, not the thread's stderr
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [0, 1]
    with scopes_disabled():
        assert Notification.objects.filter(kind="relationship.ending_soon").count() == 3
        assert Relationship.objects.get().ending_prompt_for == relationship.planned_end_on


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_feedback_sent_from_two_devices_at_once_is_kept_once(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    relationship = mentoring(cast)
    core.relationship_end(
        relationship=relationship, reason="goals_met", actor=None, expected_version=1
    )
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def device(usefulness: int) -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                services.exit_feedback_submit(
                    relationship=relationship,
                    person=cast.mia,
                    usefulness=usefulness,
                    answers={},
                    would_again=None,
                    would_recommend=None,
                    actor=None,
                )
            outcomes.append("saved")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        finally:
            connection.close()

    threads = [threading.Thread(target=device, args=(n,)) for n in (4, 5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[1] == "saved"
    assert "thank you" in sorted(outcomes)[0]
    with scopes_disabled():
        assert ExitFeedback.objects.count() == 1
