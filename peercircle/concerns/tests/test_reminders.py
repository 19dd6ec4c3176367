"""The inactivity ladder: each rung on its day, once per silence, with time under control."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test import TestCase

from peercircle.concerns.choices import Severity, Source
from peercircle.concerns.models import Concern, PairSilence
from peercircle.concerns.tasks import escalate_overdue_concerns, send_silence_reminders
from peercircle.conftest import Cast, join, make_person
from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.models import Meeting
from peercircle.notifications.models import Notification
from peercircle.ops.periodic import registered_jobs
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.relationships.choices import EndReason, Purpose, Side, Status
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import (
    relationship_create,
    relationship_end,
    relationship_transition,
)
from peercircle.schemes.choices import Role

pytestmark = pytest.mark.django_db

START = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def day(n: int) -> datetime:
    return START + timedelta(days=n)


def start_pair(cast: Cast) -> Relationship:
    with time_machine.travel(START, tick=False):
        return relationship_create(
            scheme=cast.scheme,
            members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
            purpose=Purpose.NEW_CARER,
            actor=None,
        )


def held(relationship: Relationship, on: int) -> Meeting:
    return Meeting.objects.create(
        organisation_id=relationship.organisation_id,
        relationship=relationship,
        starts_at=day(on) - timedelta(hours=2),
        status=MeetingStatus.HELD,
    )


def run_days(first: int, last: int) -> None:
    """Run the hourly job once in the morning and once in the evening of each day."""
    for n in range(first, last + 1):
        for hour in (-3, 8):
            with time_machine.travel(day(n) + timedelta(hours=hour), tick=False):
                send_silence_reminders.call()


def sent(kind: str) -> list[tuple[int, str]]:
    """(day number, first name) of each notification of ``kind``."""
    return [
        ((n.created_at - START + timedelta(hours=12)).days, n.person.given_name)
        for n in Notification.objects.filter(kind=kind).select_related("person").order_by("id")
    ]


def test_each_rung_fires_on_its_day_and_once(cast: Cast) -> None:
    pair = start_pair(cast)
    run_days(0, 85)
    assert sent("silence_nudge") == [(35, "Mo"), (35, "Mia")]
    assert sent("silence_prompt") == [(50, "Cora")]
    concern = Concern.objects.get()
    assert (concern.source, concern.relationship, concern.severity) == (
        Source.INACTIVITY,
        pair,
        Severity.MEDIUM,
    )
    assert concern.raised_at.date() == day(70).date()
    assert sent("concern") == [(70, "Cora")]
    # The same runs keep the coordinators' "pairs not meeting" list up to date.
    assert PairSilence.objects.get(relationship=pair).since == START.date()


def test_the_rungs_follow_the_schemes_own_ladder(cast: Cast) -> None:
    cast.scheme.nudge_after_days, cast.scheme.prompt_coordinator_after_days = 10, 20
    cast.scheme.concern_after_days = 30
    cast.scheme.save(
        update_fields=["nudge_after_days", "prompt_coordinator_after_days", "concern_after_days"]
    )
    start_pair(cast)
    run_days(0, 31)
    assert sent("silence_nudge") == [(10, "Mo"), (10, "Mia")]
    assert sent("silence_prompt") == [(20, "Cora")]
    assert sent("concern") == [(30, "Cora")]


def test_a_held_meeting_starts_the_ladder_again(cast: Cast) -> None:
    pair = start_pair(cast)
    run_days(0, 39)
    held(pair, on=40)
    run_days(40, 76)
    # Nudged after the first silence; the meeting on day 40 reset the count: no prompt on day
    # 50, and a new nudge 35 days after the meeting.
    assert sent("silence_nudge") == [(35, "Mo"), (35, "Mia"), (75, "Mo"), (75, "Mia")]
    assert sent("silence_prompt") == []
    assert not Concern.objects.exists()


def test_a_job_that_first_runs_late_sends_each_reached_rung_once(cast: Cast) -> None:
    start_pair(cast)
    run_days(72, 74)
    assert sent("silence_nudge") == [(72, "Mo"), (72, "Mia")]
    assert sent("silence_prompt") == [(72, "Cora")]
    assert Concern.objects.count() == 1


def test_paused_and_ended_pairs_are_left_alone(cast: Cast) -> None:
    pair = start_pair(cast)
    relationship_transition(
        relationship=pair, to_status=Status.SUSPENDED, actor=None, expected_version=pair.version
    )
    ned = make_person(cast.org, "Ned")
    join(ned, cast.scheme, Role.MENTEE)
    other = relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (ned, Side.MENTEE)],
        purpose=Purpose.SPECIFIC,
        actor=None,
        started_on=START.date(),
    )
    relationship_end(
        relationship=other, reason=EndReason.GOALS_MET, actor=None, expected_version=other.version
    )
    run_days(36, 71)
    assert not Notification.objects.exists()
    assert not Concern.objects.exists()


def test_reminder_emails_name_no_pair_to_the_coordinator(cast: Cast) -> None:
    start_pair(cast)
    with TestCase.captureOnCommitCallbacks(execute=True):
        run_days(50, 50)
    prompt = next(m for m in mail.outbox if m.to == ["cora@tri-borough.example"])
    assert "Mo" not in prompt.body and "Mia" not in prompt.body
    nudge = next(m for m in mail.outbox if m.to == ["mo@tri-borough.example"])
    assert "Mia" in nudge.body and "50 days" in nudge.body


def test_both_jobs_are_registered_to_run_without_anyone_pressing_a_button() -> None:
    jobs = {job.name: job.every for job in registered_jobs()}
    assert jobs["peercircle.concerns.tasks.send_silence_reminders"] == timedelta(hours=1)
    assert jobs["peercircle.concerns.tasks.escalate_overdue_concerns"] == timedelta(minutes=15)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_job_run_twice_at_once_sends_each_reminder_once(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    start_pair(cast)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                send_silence_reminders.call()
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    # time-machine patches the clock for the whole process, so both threads see day 71.
    with time_machine.travel(day(71), tick=False):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sorted(name for _, name in sent("silence_nudge")) == ["Mia", "Mo"]
    assert [name for _, name in sent("silence_prompt")] == ["Cora"]
    assert Concern.objects.count() == 1
    assert [name for _, name in sent("concern")] == ["Cora"]


def test_a_concern_nobody_picks_up_is_escalated_to_the_admins_once(cast: Cast) -> None:
    from peercircle.concerns.services import concern_raise

    with time_machine.travel(START, tick=False):
        concern = concern_raise(
            scheme=cast.scheme, source=Source.MANUAL, severity=Severity.URGENT, actor=None
        )
    assert concern is not None
    with time_machine.travel(START + timedelta(hours=23, minutes=59), tick=False):
        assert escalate_overdue_concerns.call() == 0
    with time_machine.travel(START + timedelta(days=1, minutes=1), tick=False):
        with TestCase.captureOnCommitCallbacks(execute=True):
            assert escalate_overdue_concerns.call() == 1
        assert escalate_overdue_concerns.call() == 0
    assert [n.person for n in Notification.objects.filter(kind="concern_escalated")] == [cast.ada]
    concern.refresh_from_db()
    assert concern.escalated_at == START + timedelta(days=1, minutes=1)
    assert [m.to for m in mail.outbox if "Nobody has picked up" in m.subject] == [
        ["ada@tri-borough.example"]
    ]


def test_a_concern_with_an_owner_is_not_escalated(cast: Cast) -> None:
    from peercircle.concerns.services import concern_assign, concern_raise

    with time_machine.travel(START, tick=False):
        concern = concern_raise(
            scheme=cast.scheme, source=Source.MANUAL, severity=Severity.LOW, actor=None
        )
        assert concern is not None
        concern_assign(
            concern=concern, owner=cast.cora, actor=None, expected_version=concern.version
        )
    with time_machine.travel(START + timedelta(days=30), tick=False):
        assert escalate_overdue_concerns.call() == 0
    assert not Notification.objects.filter(kind="concern_escalated").exists()
