"""Periodic jobs: each slot is enqueued exactly once, however many workers look for it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from peercircle.ops import periodic as periodic_module
from peercircle.ops.models import PeriodicRun, WorkerHeartbeat
from peercircle.ops.periodic import PeriodicJob, periodic, registered_jobs, run_due
from peercircle.ops.tasks import housekeeping

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
HOURLY = PeriodicJob(name="test.hourly", every=timedelta(hours=1), task=housekeeping)
NOON = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@task()
def no_op() -> None:
    """Stands for a real job in the registration tests."""


def test_a_slot_starts_at_a_whole_period_since_the_epoch() -> None:
    daily = PeriodicJob(name="d", every=timedelta(days=1), task=housekeeping)
    assert daily.slot(datetime(2026, 3, 4, 23, 59, tzinfo=UTC)) == datetime(2026, 3, 4, tzinfo=UTC)
    assert HOURLY.slot(NOON + timedelta(minutes=59)) == NOON
    assert HOURLY.slot(NOON + timedelta(minutes=60)) == NOON + timedelta(hours=1)


def test_the_worker_finds_the_jobs_apps_declare_in_their_tasks_module() -> None:
    jobs = {job.name: job for job in registered_jobs()}
    assert jobs["peercircle.ops.tasks.housekeeping"].every == timedelta(days=1)


def test_two_different_jobs_cannot_share_a_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(periodic_module, "_registry", {})
    periodic(every=timedelta(hours=1), name="reminders")(housekeeping)
    with pytest.raises(ImproperlyConfigured, match="Two periodic jobs are called 'reminders'"):
        periodic(every=timedelta(hours=1), name="reminders")(no_op)


def test_a_job_cannot_run_more_than_once_a_minute() -> None:
    with pytest.raises(ImproperlyConfigured, match="at most once a minute"):
        periodic(every=timedelta(seconds=10))


@pytest.mark.django_db
def test_a_slot_is_enqueued_once_and_the_next_slot_again(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    assert run_due(worker_id="a", now=NOON, jobs=[HOURLY]) == ["test.hourly"]
    assert run_due(worker_id="b", now=NOON + timedelta(minutes=30), jobs=[HOURLY]) == []
    assert run_due(worker_id="b", now=NOON + timedelta(hours=1), jobs=[HOURLY]) == ["test.hourly"]
    runs = list(PeriodicRun.objects.order_by("slot").values_list("slot", "claimed_by"))
    assert runs == [(NOON, "a"), (NOON + timedelta(hours=1), "b")]
    queued = DBTaskResult.objects.filter(task_path="peercircle.ops.tasks.housekeeping")
    assert queued.count() == 2
    assert set(PeriodicRun.objects.values_list("task_id", flat=True)) == {
        str(pk) for pk in queued.values_list("id", flat=True)
    }


@pytest.mark.django_db
def test_a_claim_lost_to_another_worker_enqueues_nothing(settings: Any) -> None:
    """The race the cheap check cannot see: the row appears between check and insert."""
    settings.TASKS = DB_TASKS
    assert periodic_module.claim(HOURLY, slot=NOON, worker_id="a") is True
    assert periodic_module.claim(HOURLY, slot=NOON, worker_id="b") is False
    assert PeriodicRun.objects.get().claimed_by == "a"
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_housekeeping_forgets_only_what_is_old() -> None:
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=40), now - timedelta(days=1)
    for name, when in (("old", old), ("recent", recent)):
        PeriodicRun.objects.create(job=name, slot=when, claimed_by="w", claimed_at=when)
        WorkerHeartbeat.objects.create(
            worker_id=name, hostname="h", pid=1, started_at=when, last_seen=when
        )
    for key, expires in (
        ("expired", now - timedelta(minutes=1)),
        ("live", now + timedelta(hours=1)),
    ):
        Session.objects.create(session_key=key, session_data="", expire_date=expires)
    counts = housekeeping.call()
    assert counts["periodic_runs"] == 1
    assert counts["workers"] == 1
    assert counts["sessions"] == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert list(PeriodicRun.objects.values_list("job", flat=True)) == ["recent"]
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["recent"]


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_one_slot_enqueue_it_once(settings: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite has a single writer, so there is no race")
    settings.TASKS = DB_TASKS
    workers = 8
    barrier = threading.Barrier(workers)
    won: list[list[str]] = []

    def worker(n: int) -> None:
        try:
            barrier.wait()
            won.append(run_due(worker_id=f"w{n}", now=NOON, jobs=[HOURLY]))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(won) == workers
    assert sorted(len(names) for names in won) == [0] * (workers - 1) + [1]
    assert PeriodicRun.objects.count() == 1
    assert DBTaskResult.objects.count() == 1
