"""The worker's pulse: a heartbeat row for /healthz and a turn of the periodic-job scheduler."""

from __future__ import annotations

import os
import socket
import threading
from datetime import datetime

import structlog
from django.db import DatabaseError, close_old_connections, connection, connections
from django.utils import timezone

from peercircle.ops.models import WorkerHeartbeat
from peercircle.ops.periodic import run_due

log = structlog.get_logger("peercircle.worker")


def heartbeat_record(
    *, worker_id: str, started_at: datetime, now: datetime | None = None
) -> WorkerHeartbeat:
    """Say that ``worker_id`` (this process) is alive now."""
    heartbeat, _ = WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={
            "hostname": socket.gethostname()[:200],
            "pid": os.getpid(),
            "started_at": started_at,
            "last_seen": now or timezone.now(),
            "stopped_at": None,
        },
    )
    return heartbeat


def heartbeat_stopped(*, worker_id: str) -> None:
    """Say that ``worker_id`` stopped cleanly, so /healthz stops counting it at once."""
    WorkerHeartbeat.objects.filter(worker_id=worker_id).update(stopped_at=timezone.now())


class Pulse(threading.Thread):
    """Beats and schedules beside the task loop, so a long task never makes a worker look dead.

    It runs in its own thread, which gives it its own database connection.
    """

    def __init__(self, *, worker_id: str, every: float, periodic: bool) -> None:
        super().__init__(name="peercircle-pulse", daemon=True)
        self.worker_id = worker_id
        self.every = every
        self.periodic = periodic
        self.started_at = timezone.now()
        self._stopping = threading.Event()

    def tick(self) -> None:
        # A connection dropped by PostgreSQL (restart, idle timeout) is replaced, not fatal;
        # but never mid-transaction, where Django would close a connection still in use.
        if not connection.in_atomic_block:
            close_old_connections()
        try:
            heartbeat_record(worker_id=self.worker_id, started_at=self.started_at)
            if self.periodic:
                run_due(worker_id=self.worker_id)
        except DatabaseError as exc:
            # The database may be restarting; the next tick tries again.
            log.warning("worker.pulse_failed", worker_id=self.worker_id, error=str(exc))

    def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self.tick()
                self._stopping.wait(self.every)
            try:
                heartbeat_stopped(worker_id=self.worker_id)
            except DatabaseError as exc:
                log.warning("worker.pulse_failed", worker_id=self.worker_id, error=str(exc))
        finally:
            connections.close_all()

    def stop(self) -> None:
        self._stopping.set()
