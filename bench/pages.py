"""Page benchmark: server time of the busiest pages in a 50,000-person organisation.

    python bench/pages.py                      # SQLite and PostgreSQL, 50 requests a page
    python bench/pages.py --db sqlite --requests 100
    python bench/pages.py --db postgres --postgres-url postgres://postgres@127.0.0.1:5432/x

For each database it builds the organisation once with ``peercircle demo --people 50000`` (kept
in bench/out/ for SQLite and in the database ``peercircle_bench`` on PostgreSQL, and reused by
later runs), signs in as the demo coordinator (who runs carer mentoring and the support groups,
about 18,000 people) and as the organisation admin (all 50,000), and times each page through
Django's whole request handling (middleware, view, queries, template) with the test client.
A few requests warm the caches first; then the median and 95th percentile of ``--requests``
requests are reported with the number of queries a page makes. The target on a 2-core machine is a
95th percentile under 150 ms for each page. Results are printed and written to bench/out/.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/peercircle_bench"
TARGET_MS = 150.0

# (label, who, path)
PAGES = [
    ("coordinator dashboard", "coordinator", "/"),
    ("people list, first page", "coordinator", "/people/"),
    (
        "people list, filtered (eligible mentors)",
        "coordinator",
        "/people/?scheme=carer-mentoring&role=mentor&status=active&eligible=yes",
    ),
    ("people list, filtered (training overdue)", "coordinator", "/people/?training=overdue"),
    ("search 'smith'", "coordinator", "/people/?q=smith"),
    ("search 'sarah kha' (two words)", "coordinator", "/people/?q=sarah+kha"),
    ("people list, first page (admin: all)", "admin", "/people/"),
    ("search 'smith' (admin: all)", "admin", "/people/?q=smith"),
]


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))
    return ordered[index]


class _QueryCounter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


def measure(people: int, requests: int) -> dict[str, Any]:
    """Build (or reuse) the organisation and time every page; runs inside one database."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercircle.settings")
    django.setup()

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from peercircle.accounts.models import User
    from peercircle.ops.demo import build_demo

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    result = build_demo(people=people)
    build_seconds = time.perf_counter() - started
    slug = result.plan.slug

    clients = {}
    for who in ("coordinator", "admin"):
        user = User.objects.get(email=f"{who}@{slug}.example")
        # The organisation requires two-factor sign-in of both; the bench has set it up.
        if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            TOTP.activate(user, generate_totp_secret())
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        clients[who] = client

    rows = []
    for label, who, path in PAGES:
        client = clients[who]
        for _ in range(5):
            assert client.get(path).status_code == 200, (label, path)
        # Counted at the driver: the request machinery resets Django's own query log.
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(path)
        timings = []
        for _ in range(requests):
            t0 = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200
        rows.append(
            {
                "page": label,
                "as": who,
                "path": path,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(_percentile(timings, 0.95), 1),
                "max_ms": round(max(timings), 1),
                "queries": counter.queries,
            }
        )
    return {
        "database": connection.vendor,
        "people": people,
        "built": result.created,
        "build_seconds": round(build_seconds, 1),
        "requests": requests,
        "rows": rows,
    }


def _ensure_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _print(report: dict[str, Any]) -> None:
    built = "built" if report["built"] else "reused"
    print(
        f"\n{report['database']}: {report['people']:,} people ({built}"
        + (f" in {report['build_seconds']} s" if report["built"] else "")
        + f"), {report['requests']} requests a page"
    )
    print(f"{'page':<44} {'median':>8} {'p95':>8} {'max':>8} {'queries':>8}")
    for row in report["rows"]:
        flag = "" if row["p95_ms"] < TARGET_MS else "  over target"
        print(
            f"{row['page']:<44} {row['median_ms']:>6.1f}ms {row['p95_ms']:>6.1f}ms "
            f"{row['max_ms']:>6.1f}ms {row['queries']:>8}{flag}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.inside:
        print(json.dumps(measure(args.people, args.requests)))
        return

    OUT.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PEERCIRCLE_DEBUG"}}
    env["PEERCIRCLE_DATA_DIR"] = str(OUT / "pages-sqlite")
    env["LOG_LEVEL"] = "WARNING"  # one log line per request would be timed too
    env["PYTHONPATH"] = str(ROOT)  # a checkout without ``pip install -e .`` works too
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    failed = False
    for database in databases:
        run_env = dict(env)
        if database == "postgres":
            _ensure_postgres_database(args.postgres_url)
            run_env["DATABASE_URL"] = args.postgres_url
        command = [
            sys.executable,
            __file__,
            "--inside",
            "--people",
            str(args.people),
            "--requests",
            str(args.requests),
        ]
        done = subprocess.run(  # noqa: S603 - this script, fixed arguments
            command, cwd=ROOT, env=run_env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(f"{database}: the benchmark failed\n{done.stderr}", file=sys.stderr)
            failed = True
            continue
        report = json.loads(done.stdout.strip().splitlines()[-1])
        (OUT / f"pages-{database}.json").write_text(json.dumps(report, indent=2) + "\n")
        _print(report)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
