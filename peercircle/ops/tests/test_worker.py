"""The worker's pulse: heartbeat and periodic jobs, and the worker command's bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from peercircle.ops import heartbeat as heartbeat_module
from peercircle.ops.heartbeat import Pulse
from peercircle.ops.models import PeriodicRun, WorkerHeartbeat
from peercircle.ops.periodic import registered_jobs

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.mark.django_db
def test_a_tick_beats_and_enqueues_the_due_periodic_jobs(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    pulse = Pulse(worker_id="w1", every=10, periodic=True)
    pulse.tick()
    beat = WorkerHeartbeat.objects.get(worker_id="w1")
    assert timezone.now() - beat.last_seen < timedelta(seconds=5)
    assert beat.stopped_at is None
    assert PeriodicRun.objects.filter(job="peercircle.ops.tasks.housekeeping").count() == 1
    # Every app's jobs are due on a first tick: one task each.
    jobs = len(registered_jobs())
    assert DBTaskResult.objects.count() == jobs

    first_seen = beat.last_seen
    pulse.tick()
    beat.refresh_from_db()
    assert beat.last_seen > first_seen
    assert DBTaskResult.objects.count() == jobs, "the same slot must not be enqueued twice"


@pytest.mark.django_db
def test_a_worker_run_with_no_periodic_only_beats(settings: Any) -> None:
    settings.TASKS = DB_TASKS
    Pulse(worker_id="w2", every=10, periodic=False).tick()
    assert WorkerHeartbeat.objects.filter(worker_id="w2").exists()
    assert not PeriodicRun.objects.exists()


@pytest.mark.django_db
def test_a_database_hiccup_does_not_kill_the_pulse(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable(**kwargs: Any) -> None:
        raise DatabaseError("server closed the connection unexpectedly")

    monkeypatch.setattr(heartbeat_module, "heartbeat_record", unavailable)
    Pulse(worker_id="w3", every=10, periodic=True).tick()  # logs a warning, raises nothing
    assert not WorkerHeartbeat.objects.exists()


@pytest.mark.parametrize("seconds", ["0", "61", "-5"])
def test_the_worker_refuses_a_heartbeat_it_could_not_keep(seconds: str, settings: Any) -> None:
    settings.TASKS = DB_TASKS
    with pytest.raises(CommandError, match="--heartbeat-seconds .* out of range") as refused:
        call_command("worker", f"--heartbeat-seconds={seconds}")
    assert refused.value.returncode == 2


@pytest.mark.django_db(transaction=True)
def test_the_worker_loads_the_matching_engine_beside_its_tasks(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    import matchengine

    settings.TASKS = DB_TASKS
    loaded = threading.Event()
    monkeypatch.setattr(matchengine, "warm_up", loaded.set)
    call_command("worker", "--batch", "--no-periodic")
    assert loaded.wait(timeout=10)


def test_an_engine_that_fails_to_load_does_not_stop_the_worker(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import matchengine
    from peercircle.ops.management.commands.worker import warm_up_engine

    def broken() -> None:
        raise RuntimeError("numba cache unreadable")

    monkeypatch.setattr(matchengine, "warm_up", broken)
    warm_up_engine()  # logs the failure and returns
