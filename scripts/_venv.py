"""The virtual environment the helper scripts share: create it, install PeerCircle, skip repeats.

Standard library only: this runs before anything is installed, on any machine with Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
# What was installed, and from which pyproject.toml: a second start with nothing changed is quick.
STAMP = VENV / ".peercircle-installed"
MINIMUM_PYTHON = (3, 11)


def fail(message: str) -> None:
    print(f"\n{message}", file=sys.stderr)
    sys.exit(1)


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def venv_bin(name: str) -> Path:
    if os.name == "nt":
        return VENV / "Scripts" / f"{name}.exe"
    return VENV / "bin" / name


def _wanted(extras: str) -> str:
    pyproject = (ROOT / "pyproject.toml").read_bytes()
    digest = hashlib.sha256(pyproject).hexdigest()
    return f"{digest} {extras or '-'}"


def _installed() -> set[str]:
    if not STAMP.exists():
        return set()
    return set(STAMP.read_text(encoding="utf-8").splitlines())


def ensure_venv(*, extras: str = "") -> Path:
    """.venv with PeerCircle installed (editable, with ``extras``); returns its python."""
    if sys.version_info < MINIMUM_PYTHON:
        fail(
            f"PeerCircle needs Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer; this is "
            f"{sys.version.split()[0]}. Install a newer Python and run this script with it."
        )
    python = venv_bin("python")
    if not python.exists():
        step(f"Creating the virtual environment in {VENV}")
        created = subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=False)
        if created.returncode != 0 or not python.exists():
            fail(
                "Could not create a virtual environment. On Debian or Ubuntu install the venv "
                "module first:  sudo apt-get install python3-venv"
            )
    wanted = _wanted(extras)
    installed = _installed()
    current = wanted.split()[0]
    # A test set-up (with [dev]) also serves the plain start, never the other way round.
    if wanted in installed or (not extras and any(i.startswith(current) for i in installed)):
        return python
    target = f".[{extras}]" if extras else "."
    step(f"Installing PeerCircle{f' with {extras} tools' if extras else ''} (a few minutes once)")
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--disable-pip-version-check", "-e", target],
        cwd=ROOT,
        check=False,
    )
    if install.returncode != 0:
        fail(
            "Installing PeerCircle failed (see pip's message above). Check the internet "
            "connection, or remove the .venv folder and try again."
        )
    # Installs from an older pyproject.toml no longer count.
    kept = {i for i in installed if i.startswith(current)} | {wanted}
    STAMP.write_text("\n".join(sorted(kept)) + "\n", encoding="utf-8")
    return python
