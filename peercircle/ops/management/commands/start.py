"""``peercircle start``: the quick start. Prepare everything, then run the web server and a worker.

It migrates the database, creates the cache table, builds the demo organisation the first time
(when the database has no organisation at all), then starts ``peercircle serve`` and
``peercircle worker`` as two child processes and watches them: Ctrl-C (or SIGTERM) stops both,
and if either dies the other is stopped too, so nothing is left running half-alive.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

import structlog
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from peercircle.ops.demo import build_demo
from peercircle.ops.management.commands.demo import login_lines
from peercircle.ops.management.commands.serve import check_port
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import scopes_disabled

log = structlog.get_logger("peercircle.start")

STOP_GRACE_SECONDS = 10


class _Stop(Exception):
    def __init__(self, signum: int | None = None) -> None:
        super().__init__(signum)
        self.signum = signum


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Command(BaseCommand):
    help = (
        "Prepare the database, load the demo organisation the first time, then run the web "
        "server and a background worker until Ctrl-C."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not build the demo organisation."
        )

    def handle(self, *args: Any, host: str, port: int, no_demo: bool, **options: Any) -> None:
        check_port(port)
        if not _port_free(host, port):
            raise CommandError(
                f"Port {port} on {host} is in use (is PeerCircle already running?). Stop that "
                f"program, or start on another port: peercircle start --port {port + 1}",
                returncode=2,
            )
        self.stdout.write("Preparing the database...")
        call_command("migrate", interactive=False, verbosity=0)
        call_command("createcachetable", verbosity=0)
        self._demo(no_demo=no_demo, site_url=f"http://{host}:{port}")
        self._run(host=host, port=port)

    def _demo(self, *, no_demo: bool, site_url: str) -> None:
        with scopes_disabled():
            first_start = not Organisation.objects.exists()
        if no_demo or not (first_start or self._demo_exists()):
            return
        if first_start:
            self.stdout.write("Building the demo organisation (only this once)...")
        result = build_demo()
        for line in login_lines(result, site_url):
            self.stdout.write(line)

    def _demo_exists(self) -> bool:
        from peercircle.ops.demo.plan import DEFAULT_SLUG

        with scopes_disabled():
            return Organisation.objects.filter(slug=DEFAULT_SLUG).exists()

    def _run(self, *, host: str, port: int) -> None:
        # Our own interpreter and fixed arguments: no shell, nothing taken from outside.
        me = [sys.executable, "-m", "peercircle"]
        children = {
            "web server": subprocess.Popen([*me, "serve", "--host", host, "--port", str(port)]),  # noqa: S603
            "worker": subprocess.Popen([*me, "worker", "--no-startup-delay"]),  # noqa: S603
        }

        def stop(signum: int, frame: FrameType | None) -> None:
            raise _Stop(signum)

        # Installed explicitly: a shell that starts us in the background may have set SIGINT
        # to "ignore", and Ctrl-C must still stop everything.
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        self.stdout.write(f"PeerCircle is running at http://{host}:{port}/  (Ctrl-C stops it)")
        exit_code = 0
        signum: int | None = None
        try:
            while True:
                for name, child in children.items():
                    code = child.poll()
                    if code is not None:
                        self.stderr.write(
                            f"The {name} stopped (exit code {code}); stopping PeerCircle."
                        )
                        exit_code = 1
                        raise _Stop
                time.sleep(0.5)
        except _Stop as stopped:
            signum = stopped.signum
        finally:
            self._stop_all(children, ctrl_c=signum == signal.SIGINT)
        self.stdout.write("PeerCircle stopped.")
        if exit_code:
            sys.exit(exit_code)

    def _stop_all(self, children: dict[str, subprocess.Popen[bytes]], *, ctrl_c: bool) -> None:
        """Stop every child: politely, then firmly; a second Ctrl-C means "now"."""

        def now(signum: int, frame: FrameType | None) -> None:
            raise _Stop(signum)

        def all_exited(until: float) -> bool:
            for child in children.values():
                try:
                    child.wait(timeout=max(0.1, until - time.monotonic()))
                except subprocess.TimeoutExpired:
                    return False
            return True

        signal.signal(signal.SIGINT, now)
        signal.signal(signal.SIGTERM, now)
        started = time.monotonic()
        try:
            # Ctrl-C in a terminal reaches the children too, and a second signal would make
            # the worker abandon its task: give them a moment to stop by themselves.
            if ctrl_c and all_exited(started + STOP_GRACE_SECONDS / 2):
                return
            for child in children.values():
                if child.poll() is None:
                    child.terminate()
            all_exited(started + STOP_GRACE_SECONDS)
        except _Stop:
            pass
        finally:
            for name, child in children.items():
                if child.poll() is None:
                    log.warning("start.kill", process=name, pid=child.pid)
                    child.kill()
                    child.wait()
