"""``peercircle worker``: run background tasks, report a heartbeat and enqueue periodic jobs.

It is django_tasks_db's ``db_worker`` with a pulse thread beside it. Run as many as you like on
PostgreSQL: tasks are claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` and periodic slots
through a unique constraint, so no task and no periodic slot runs twice.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

import structlog
from django.core.management.base import CommandError
from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from peercircle.ops.heartbeat import Pulse

log = structlog.get_logger("peercircle.worker")


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
        try:
            super().handle(*args, **options)
        finally:
            pulse.stop()
            pulse.join(timeout=5)
            log.info("worker.stopped", worker_id=pulse.worker_id)
