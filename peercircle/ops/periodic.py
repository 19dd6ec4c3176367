"""Periodic jobs: a small registry that the worker consults to enqueue work on a schedule.

An app declares a job next to its task, in its ``tasks.py`` (found by autodiscovery)::

    @periodic(every=timedelta(days=1))
    @task()
    def send_training_reminders() -> int: ...

Time is cut into slots of length ``every``, counted from the Unix epoch in UTC (a daily job's slot
starts at midnight UTC). Each worker calls ``run_due`` every few seconds. A job whose current
slot has not been claimed yet is claimed and enqueued in one transaction; the unique
``(job, slot)`` constraint on ``PeriodicRun`` makes exactly one worker win, however many run on
PostgreSQL. A slot missed while no worker ran is not caught up: the next slot runs as usual, so
jobs must work out what is due from the data ("training overdue today"), not from the schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django_tasks.base import Task

from peercircle.ops.models import PeriodicRun

log = structlog.get_logger("peercircle.periodic")

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every: timedelta
    task: Task[[], Any]

    def slot(self, now: datetime) -> datetime:
        """The start of the slot that ``now`` falls in."""
        elapsed = (now - _EPOCH) // self.every
        return _EPOCH + elapsed * self.every


_registry: dict[str, PeriodicJob] = {}


def periodic(*, every: timedelta, name: str = "") -> Callable[[Task[[], Any]], Task[[], Any]]:
    """Register a task that takes no arguments to be enqueued once per ``every``."""
    if every < timedelta(minutes=1):
        raise ImproperlyConfigured("A periodic job runs at most once a minute.")

    def register(task: Task[[], Any]) -> Task[[], Any]:
        job_name = name or task.module_path
        known = _registry.get(job_name)
        if known is not None and known.task.module_path != task.module_path:
            raise ImproperlyConfigured(f"Two periodic jobs are called {job_name!r}.")
        _registry[job_name] = PeriodicJob(name=job_name, every=every, task=task)
        return task

    return register


def registered_jobs() -> list[PeriodicJob]:
    """Every job, after importing each app's ``tasks`` module so that all have registered."""
    autodiscover_modules("tasks")
    return sorted(_registry.values(), key=lambda job: job.name)


def claim(job: PeriodicJob, *, slot: datetime, worker_id: str) -> bool:
    """Claim ``slot`` of ``job`` and enqueue its task; False if another worker already did.

    The claim and the enqueued task commit together, so a crash between them cannot leave a
    claimed slot with no task, nor a task for a slot that someone else also claimed.
    """
    try:
        with transaction.atomic():
            run = PeriodicRun.objects.create(
                job=job.name, slot=slot, claimed_by=worker_id, claimed_at=timezone.now()
            )
            result = job.task.enqueue()
            run.task_id = str(result.id)
            run.save(update_fields=["task_id"])
    except IntegrityError:
        # The slot's row exists: another worker got there first.
        return False
    log.info("periodic.enqueued", job=job.name, slot=slot.isoformat(), task_id=run.task_id)
    return True


def run_due(
    *, worker_id: str, now: datetime | None = None, jobs: list[PeriodicJob] | None = None
) -> list[str]:
    """Enqueue every job whose current slot nobody has claimed; returns the names enqueued."""
    now = now or timezone.now()
    claimed = []
    for job in registered_jobs() if jobs is None else jobs:
        slot = job.slot(now)
        if PeriodicRun.objects.filter(job=job.name, slot=slot).exists():
            continue  # the cheap check spares the insert (and its error) on most ticks
        if claim(job, slot=slot, worker_id=worker_id):
            claimed.append(job.name)
    return claimed
