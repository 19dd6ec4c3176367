"""/healthz: database and worker state for load balancers, with no personal data."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from peercircle.ops.heartbeat import heartbeat_record, heartbeat_stopped
from peercircle.ops.tasks import housekeeping

DB_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


def _health(client: Client) -> dict[str, Any]:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.django_db
def test_it_says_never_seen_before_any_worker_has_run(client: Client) -> None:
    body = _health(client)
    assert body["database"]["ok"] is True
    assert body["worker"]["state"] == "never seen"
    assert body["worker"]["workers"] == 0
    assert body["worker"]["last_seen"] is None


@pytest.mark.django_db
def test_it_says_ok_with_a_recent_heartbeat(client: Client) -> None:
    heartbeat_record(worker_id="w1", started_at=timezone.now() - timedelta(minutes=5))
    heartbeat_record(worker_id="w2", started_at=timezone.now())
    worker = _health(client)["worker"]
    assert worker["state"] == "ok"
    assert worker["workers"] == 2


@pytest.mark.django_db
def test_it_says_stale_when_the_last_heartbeat_is_too_old(client: Client, settings: Any) -> None:
    settings.WORKER_STALE_SECONDS = 120
    beat_at = timezone.now() - timedelta(seconds=121)
    heartbeat_record(worker_id="w1", started_at=beat_at, now=beat_at)
    worker = _health(client)["worker"]
    assert worker["state"] == "stale"
    assert worker["workers"] == 0
    assert worker["last_seen"] == beat_at.isoformat()


@pytest.mark.django_db
def test_a_worker_that_stopped_cleanly_is_not_counted(client: Client) -> None:
    heartbeat_record(worker_id="gone", started_at=timezone.now())
    heartbeat_record(worker_id="alive", started_at=timezone.now())
    heartbeat_stopped(worker_id="gone")
    worker = _health(client)["worker"]
    assert (worker["state"], worker["workers"]) == ("ok", 1)
    heartbeat_stopped(worker_id="alive")
    assert _health(client)["worker"]["state"] == "stale"


@pytest.mark.django_db
def test_it_counts_queued_tasks_and_the_age_of_the_oldest(client: Client, settings: Any) -> None:
    settings.TASKS = DB_TASKS
    start = timezone.now()
    with time_machine.travel(start - timedelta(seconds=300), tick=False):
        housekeeping.enqueue()
    with time_machine.travel(start - timedelta(seconds=10), tick=False):
        housekeeping.enqueue()
    with time_machine.travel(start, tick=False):
        worker = _health(client)["worker"]
    assert worker["queued_tasks"] == 2
    assert worker["oldest_queued_seconds"] == 300


@pytest.mark.django_db
def test_it_answers_without_signing_in_and_shows_nobody(client: Client, cast: Any) -> None:
    body = client.get("/healthz").content.decode()
    for person in cast.everyone().values():
        assert person.email not in body
        assert person.family_name not in body
