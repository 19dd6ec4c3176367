#!/usr/bin/env python3
"""Set up and run every check: the second of the README's two commands, and what CI runs.

    python3 scripts/test.py [pytest arguments, e.g. -k import]

1. .venv with PeerCircle and its development tools (skipped when nothing changed);
2. a Chromium for the browser tests (Debian's, else installed, else Playwright's);
3. ruff check, ruff format --check, mypy --strict, and import-linter when it has a contract;
4. the test suite on SQLite, then again on PostgreSQL when a server answers.

PostgreSQL comes from PEERCIRCLE_TEST_DATABASE_URL (default
postgres://postgres@127.0.0.1:5432/peercircle; the tests use a test_ copy of that database).
With PEERCIRCLE_REQUIRE_POSTGRES=1 (as .ci/run sets) an unreachable server is a failure.
Everything runs even after a failure, and the summary at the end says what passed.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from _venv import ROOT, ensure_venv, step, venv_bin

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/peercircle"
DEBIAN_CHROMIUM = Path("/usr/bin/chromium")


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").lower() in {"1", "true", "yes", "on"}


def _run(command: list[str], *, env: dict[str, str] | None = None) -> bool:
    print("    $ " + " ".join(command), flush=True)
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode == 0


def _playwright_chromium(python: Path) -> str | None:
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "from playwright.sync_api import sync_playwright\n"
            "with sync_playwright() as p: print(p.chromium.executable_path)",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    path = probe.stdout.strip()
    return path if probe.returncode == 0 and path and Path(path).exists() else None


def find_chromium(python: Path) -> str | None:
    """A Chromium the browser tests can drive, installing one if we can."""
    chosen = os.environ.get("PEERCIRCLE_CHROMIUM")
    if chosen and Path(chosen).exists():
        return chosen
    if DEBIAN_CHROMIUM.exists():
        return str(DEBIAN_CHROMIUM)
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        step("Installing Debian's Chromium for the browser tests")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], env=apt_env, check=False)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "chromium", "chromium-driver"],
            env=apt_env,
            check=False,
        )
        if DEBIAN_CHROMIUM.exists():
            return str(DEBIAN_CHROMIUM)
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    step("Installing Playwright's Chromium for the browser tests")
    subprocess.run([str(python), "-m", "playwright", "install", "chromium"], check=False)
    return _playwright_chromium(python)


def postgres_reachable(python: Path, url: str) -> str | None:
    """None if a PostgreSQL server answers at ``url``, else why not."""
    # The server's own "postgres" database: the one named in the URL may not exist yet, and
    # pytest-django creates its test_ copy by itself.
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import sys, psycopg\n"
            "psycopg.connect(sys.argv[1], dbname='postgres', connect_timeout=5).close()",
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode == 0:
        return None
    lines = probe.stderr.strip().splitlines()
    return lines[-1] if lines else f"exit code {probe.returncode}"


def main() -> None:
    started = time.monotonic()
    extra = sys.argv[1:]
    python = ensure_venv(extras="dev")
    results: list[tuple[str, bool | None]] = []

    step("Looking for Chromium for the browser tests")
    chromium = find_chromium(python)
    if chromium:
        print(f"    using {chromium}")
    else:
        print(
            "    No Chromium could be found or installed, so the browser tests will fail.\n"
            "    Install it (Debian or Ubuntu: sudo apt-get install chromium) or run\n"
            f"    {venv_bin('playwright')} install chromium",
            file=sys.stderr,
        )

    step("Lint and types")
    results.append(("ruff check", _run([str(venv_bin("ruff")), "check", "."])))
    results.append(("ruff format", _run([str(venv_bin("ruff")), "format", "--check", "."])))
    results.append(("mypy --strict", _run([str(venv_bin("mypy")), "peercircle", "matchengine"])))
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    if "[tool.importlinter]" in pyproject or (ROOT / ".importlinter").exists():
        results.append(("import contracts", _run([str(venv_bin("lint-imports"))])))

    base_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    if chromium:
        base_env["PEERCIRCLE_CHROMIUM"] = chromium
    pytest = [str(python), "-m", "pytest", "-n", "2", "-q", *extra]

    step("Tests on SQLite")
    results.append(("tests on SQLite", _run(pytest, env=base_env)))

    url = os.environ.get("PEERCIRCLE_TEST_DATABASE_URL", DEFAULT_POSTGRES)
    shown = url.split("@")[-1]  # never print a password from the URL
    problem = postgres_reachable(python, url)
    if problem is None:
        step(f"Tests on PostgreSQL ({shown})")
        results.append(("tests on PostgreSQL", _run(pytest, env={**base_env, "DATABASE_URL": url})))
    elif _truthy("PEERCIRCLE_REQUIRE_POSTGRES"):
        print(f"\nPostgreSQL at {shown} is required but cannot be reached: {problem}")
        results.append(("tests on PostgreSQL (required, unreachable)", False))
    else:
        print(
            f"\nPostgreSQL at {shown} cannot be reached ({problem}), so the tests ran on SQLite "
            "only. Set PEERCIRCLE_TEST_DATABASE_URL to test on another server."
        )
        results.append(("tests on PostgreSQL", None))

    minutes, seconds = divmod(int(time.monotonic() - started), 60)
    print(f"\nSummary ({minutes} min {seconds} s):")
    for name, ok in results:
        print(f"  {'passed' if ok else 'skipped' if ok is None else 'FAILED'}  {name}")
    ran = [name for name, ok in results if name.startswith("tests on") and ok is not None]
    print(f"Databases tested: {', '.join(n.split(' on ')[1] for n in ran) or 'none'}")
    sys.exit(0 if all(ok is not False for _, ok in results) else 1)


if __name__ == "__main__":
    main()
