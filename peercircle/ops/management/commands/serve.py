"""``peercircle serve``: the web server (waitress), for a laptop or a small organisation.

waitress is pure Python and runs everywhere, Windows included. A large organisation runs
gunicorn with several worker processes instead (docs/operations.md); both serve the same WSGI
application, and WhiteNoise serves the static files in either.
"""

from __future__ import annotations

import contextlib
import signal
from argparse import ArgumentParser
from types import FrameType
from typing import Any

import structlog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

log = structlog.get_logger("peercircle.serve")


def check_port(value: int) -> None:
    if not 1 <= value <= 65535:
        raise CommandError(
            f"--port {value} is not a port: use a number from 1 to 65535.", returncode=2
        )


class Command(BaseCommand):
    help = "Run the PeerCircle web server (waitress). Stop with Ctrl-C."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1", help="Address to listen on.")
        parser.add_argument("--port", type=int, default=8000, help="Port to listen on.")
        parser.add_argument(
            "--threads", type=int, default=8, help="Requests served at once (default 8)."
        )

    def handle(self, *args: Any, host: str, port: int, threads: int, **options: Any) -> None:
        from waitress.server import create_server

        from peercircle.wsgi import application

        check_port(port)
        if not 1 <= threads <= 64:
            raise CommandError(
                f"--threads {threads} is out of range: use 1 to 64 (8 suits most machines).",
                returncode=2,
            )
        proxy: dict[str, Any] = {}
        if settings.PRODUCTION:
            # Behind a reverse proxy on the same host: trust its X-Forwarded-* headers only.
            proxy = {
                "trusted_proxy": "127.0.0.1",
                "trusted_proxy_headers": {"x-forwarded-proto", "x-forwarded-for"},
            }
        try:
            server = create_server(
                application, host=host, port=port, threads=threads, ident="PeerCircle", **proxy
            )
        except OSError as exc:
            raise CommandError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}. Stop the program "
                "using that port or choose another with --port.",
                returncode=2,
            ) from None

        def stop(signum: int, frame: FrameType | None) -> None:
            raise SystemExit(0)  # waitress closes its sockets on SystemExit

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        log.info("serve.listening", url=f"http://{host}:{port}/", threads=threads)
        with contextlib.suppress(KeyboardInterrupt):
            server.run()
        log.info("serve.stopped")
