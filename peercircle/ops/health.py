from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection
from django.utils import timezone


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return {"ok": False, "vendor": connection.vendor, "error": type(exc).__name__}
    return {"ok": True, "vendor": connection.vendor}


def _worker() -> dict[str, Any]:
    from django_tasks_db.models import DBTaskResult

    from peercircle.ops.models import WorkerHeartbeat

    now = timezone.now()
    stale_after = timedelta(seconds=settings.WORKER_STALE_SECONDS)
    try:
        beats = list(WorkerHeartbeat.objects.order_by("-last_seen")[:20])
        ready = DBTaskResult.objects.ready()
        queued = ready.count()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    except DatabaseError:
        return {"state": "unknown", "workers": 0}
    alive = [b for b in beats if b.stopped_at is None and now - b.last_seen <= stale_after]
    if alive:
        state = "ok"
    elif beats:
        state = "stale"
    else:
        state = "never seen"
    return {
        "state": state,
        "workers": len(alive),
        "last_seen": beats[0].last_seen.isoformat() if beats else None,
        "queued_tasks": queued,
        "oldest_queued_seconds": int((now - oldest).total_seconds()) if oldest else 0,
    }


def health_report() -> dict[str, Any]:
    database = _database()
    return {
        "database": database,
        "worker": _worker() if database["ok"] else {"state": "unknown", "workers": 0},
        "time": timezone.now().isoformat(),
    }
