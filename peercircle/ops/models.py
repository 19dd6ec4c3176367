from __future__ import annotations

from django.db import models


class WorkerHeartbeat(models.Model):
    """A background worker's last sign of life, for /healthz. Not tenant data."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(
        null=True, blank=True, help_text="Set when the worker stopped cleanly."
    )

    def __str__(self) -> str:
        return f"{self.worker_id} on {self.hostname}"


class PeriodicRun(models.Model):
    """One slot of a periodic job, claimed by the worker that enqueued it. Not tenant data.

    The unique constraint is the whole guarantee: however many workers reach the same slot at
    once, exactly one insert succeeds, so a reminder is never sent twice.
    """

    job = models.CharField(max_length=200)
    slot = models.DateTimeField(help_text="The start of the period this run covers.")
    claimed_by = models.CharField(max_length=64)
    claimed_at = models.DateTimeField()
    task_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["job", "slot"], name="one_run_per_job_slot"),
        ]
        indexes = [models.Index(fields=["claimed_at"])]

    def __str__(self) -> str:
        return f"{self.job} for {self.slot:%Y-%m-%d %H:%M}"
