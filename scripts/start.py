#!/usr/bin/env python3
"""Start PeerCircle on this computer: the first of the README's two commands.

    python3 scripts/start.py [--port 8001] [--no-demo]

Creates .venv and installs PeerCircle into it the first time (later starts skip this unless
pyproject.toml changed), then runs ``peercircle start``: it prepares the embedded SQLite
database, loads the demo organisation once, prints the address and the demo logins, and runs
the web server with a background worker until Ctrl-C. Options are passed to ``peercircle start``.
"""

from __future__ import annotations

import os
import subprocess
import sys

from _venv import ensure_venv, venv_bin


def main() -> None:
    ensure_venv()
    command = [str(venv_bin("peercircle")), "start", *sys.argv[1:]]
    if os.name == "posix":
        # Become the server process, so Ctrl-C and signals reach it directly.
        os.execv(command[0], command)  # noqa: S606 - our own installed script
    try:
        sys.exit(subprocess.call(command))
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
