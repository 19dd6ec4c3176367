"""``peercircle worker``: run background tasks, report a heartbeat and enqueue periodic jobs.

It is django_tasks_db's ``db_worker`` with a pulse thread beside it, and a thread that loads the
matching engine's compiled kernels as it starts (``matchengine.warm_up``), so that the first
matching run after a (re)start does not wait for them. Run as many as you like on
PostgreSQL: tasks are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and periodic slots
through a unique constraint, so no task and no periodic slot runs twice.
"""

from __future__ import annotations

import threading
import time
from argparse import ArgumentParser
from typing import Any

import structlog
from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

import matchengine
from peercircle.ops.heartbeat import Pulse

log = structlog.get_logger("peercircle.worker")


def warm_up_engine() -> None:
    """Load the engine's kernels: 0.3 s from numba's cache, longer the first time after an
    install, when they are compiled. A failure is logged; the worker runs its tasks anyway."""
    started = time.perf_counter()
    try:
        matchengine.warm_up()
    except Exception:  # noqa: BLE001 - the worker must keep running whatever the engine does
        log.exception("worker.engine_warm_up_failed")
        return
    log.info("worker.engine_warmed_up", seconds=round(time.perf_counter() - started, 2))


class Command(DbWorkerCommand):
    help = (
        "Run background tasks from the database queue, with a heartbeat for /healthz and the "
        "periodic-job scheduler. Stop with Ctrl-C: the running task finishes first."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--heartbeat-seconds",
            type=float,
            default=10.0,
            help="How often to report a heartbeat and look for due periodic jobs (default 10).",
        )
        parser.add_argument(
            "--no-periodic",
            action="store_true",
            help="Run tasks only; leave periodic jobs to other workers.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        every = options.pop("heartbeat_seconds")
        periodic = not options.pop("no_periodic")
        if not 1 <= every <= 60:
            raise CommandError(
                f"--heartbeat-seconds {every:g} is out of range: use 1 to 60 seconds (a worker "
                "that beats less than every 60 seconds looks dead on /healthz).",
                returncode=2,
            )
        pulse = Pulse(worker_id=options["worker_id"], every=every, periodic=periodic)
        log.info("worker.started", worker_id=pulse.worker_id, periodic=periodic)
        pulse.start()
        # Beside the task loop, not before it: other kinds of task need not wait.
        threading.Thread(target=warm_up_engine, name="engine-warm-up", daemon=True).start()
        try:
            super().handle(*args, **options)
        finally:
            pulse.stop()
            pulse.join(timeout=5)
            log.info("worker.stopped", worker_id=pulse.worker_id)
