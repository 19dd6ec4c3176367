"""``peercircle start``, the quick start: a real web server and worker, stopped by Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from peercircle.ops.management.commands.start import Command as StartCommand
from peercircle.ops.tests.test_cli import _SCRUB, REPO
from peercircle.organisations.models import Organisation
from peercircle.people.models import Person


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _get(url: str) -> tuple[int, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback only
        return response.status, response.read()


def _wait_for_worker(base: str, deadline: float) -> dict[str, Any]:
    """/healthz once the web server answers and the worker has reported in."""
    while time.monotonic() < deadline:
        try:
            status, body = _get(f"{base}/healthz")
        except OSError:
            time.sleep(0.5)
            continue
        report: dict[str, Any] = json.loads(body)
        if status == 200 and report["worker"]["state"] == "ok":
            return report
        time.sleep(0.5)
    raise AssertionError("PeerCircle did not start with a live worker in time")


def _task_states(database_file: Path) -> list[tuple[str, str]]:
    database = sqlite3.connect(database_file)
    try:
        rows: list[tuple[str, str]] = database.execute(
            "SELECT task_path, status FROM django_tasks_database_dbtaskresult"
        ).fetchall()
    finally:
        database.close()
    return rows


def test_start_serves_the_demo_runs_the_worker_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path,
) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["PEERCIRCLE_DATA_DIR"] = str(tmp_path)
    # A session of its own, so the test can press "Ctrl-C" for the whole group as a terminal does.
    process = subprocess.Popen(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "peercircle", "start", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        report = _wait_for_worker(base, time.monotonic() + 180)
        assert report["database"] == {"ok": True, "vendor": "sqlite"}
        assert report["worker"]["workers"] == 1
        status, script = _get(f"{base}/static/vendor/htmx-2.min.js")
        assert status == 200
        assert b"htmx" in script[:2000]
        status, page = _get(f"{base}/accounts/login/")
        assert status == 200
        assert b"<form" in page
        # The worker enqueues its periodic housekeeping on its first beat, then runs it.
        done = ("peercircle.ops.tasks.housekeeping", "SUCCESSFUL")
        deadline = time.monotonic() + 60
        while done not in _task_states(tmp_path / "peercircle.sqlite3"):
            assert time.monotonic() < deadline, "the worker did not run the housekeeping task"
            time.sleep(0.5)
    finally:
        os.killpg(process.pid, signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert f"PeerCircle is running at {base}/" in output
    assert "coordinator@tri-borough.example" in output
    assert "password peercircle-demo" in output
    assert output.rstrip().endswith("PeerCircle stopped.")
    with pytest.raises(ProcessLookupError):
        os.killpg(process.pid, 0)  # nothing of the group is left running

    database = sqlite3.connect(tmp_path / "peercircle.sqlite3")
    try:
        stopped = database.execute("SELECT stopped_at FROM ops_workerheartbeat").fetchall()
    finally:
        database.close()
    assert len(stopped) == 1
    assert stopped[0][0] is not None, "the worker records that it stopped cleanly"


@pytest.mark.django_db
def test_the_demo_is_built_on_the_first_start_only() -> None:
    out = StringIO()
    StartCommand(stdout=out)._demo(no_demo=False, site_url="http://127.0.0.1:8000")
    assert "Building the demo organisation (only this once)" in out.getvalue()
    people = Person.objects.count()
    assert people == 60

    out = StringIO()
    StartCommand(stdout=out)._demo(no_demo=False, site_url="http://127.0.0.1:8000")
    assert "Building" not in out.getvalue()
    assert "coordinator@tri-borough.example" in out.getvalue(), "the logins are shown again"
    assert Person.objects.count() == people


@pytest.mark.django_db
def test_no_demo_is_added_to_a_database_with_a_real_organisation() -> None:
    Organisation.objects.create(name="Northshire Fostering", slug="northshire")
    out = StringIO()
    StartCommand(stdout=out)._demo(no_demo=False, site_url="http://127.0.0.1:8000")
    assert out.getvalue() == ""
    assert not Organisation.objects.filter(slug="tri-borough").exists()


def test_a_port_in_use_is_refused_before_anything_changes() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CommandError, match=f"Port {port} on 127.0.0.1 is in use") as refused:
            call_command("start", "--port", str(port))
    assert refused.value.returncode == 2
    assert f"--port {port + 1}" in str(refused.value)
