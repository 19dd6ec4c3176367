"""Background tasks of operations itself."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.utils import timezone
from django_tasks import task

from peercircle.ops.models import PeriodicRun, WorkerHeartbeat
from peercircle.ops.periodic import periodic

log = structlog.get_logger("peercircle.ops")

# Long enough to investigate a failed task or a worker that vanished last week.
KEEP_FINISHED_TASKS = timedelta(days=30)
KEEP_PERIODIC_RUNS = timedelta(days=30)
KEEP_DEAD_WORKERS = timedelta(days=7)


@periodic(every=timedelta(days=1))
@task()
def housekeeping() -> dict[str, int]:
    """Forget finished tasks, old periodic runs, workers gone for a week and expired sessions.

    Without this the task table grows by every task ever run, /healthz lists every worker
    process that ever started, and the session table keeps every sign-in (Django leaves expired
    sessions to ``clearsessions``).
    """
    from django.contrib.sessions.models import Session
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    tasks, _ = (
        DBTaskResult.objects.finished().filter(finished_at__lt=now - KEEP_FINISHED_TASKS).delete()
    )
    runs, _ = PeriodicRun.objects.filter(claimed_at__lt=now - KEEP_PERIODIC_RUNS).delete()
    workers, _ = WorkerHeartbeat.objects.filter(last_seen__lt=now - KEEP_DEAD_WORKERS).delete()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    counts = {
        "finished_tasks": tasks,
        "periodic_runs": runs,
        "workers": workers,
        "sessions": sessions,
    }
    log.info("ops.housekeeping", **counts)
    return counts
