"""Benchmark of a matching run through the app, from pressing "Run a match" to the proposal page.

    python bench/bench_app_matching.py                       # PostgreSQL, 50,000 people
    python bench/bench_app_matching.py --db sqlite --people 2000     # a quick smoke run

It builds (or reuses) the demo organisation with ``peercircle demo --people N`` (SQLite in
bench/out/app-matching-sqlite, PostgreSQL in the database ``peercircle_bench_matching``), signs in
as the demo coordinator and, through Django's whole request handling:

1. presses "Run a match" on the carer-mentoring scheme (POST; the run is queued as a task);
2. does what the background worker does with that task, in this process, timed: read the scheme
   (adapter), run the engine, write the proposal;
3. polls the progress fragment once and opens the proposal page (first page of pairs and of the
   unmatched), as the coordinator's browser would.

It reports the engine's own time, the app's time around it (reading people, explaining in names,
saving pairs and unmatched entries, the requests), their ratio (target: the app adds no more than
the engine's own time again, a ratio of 1.0 or less), and the queries of each request. Results are
printed and written to bench/out/app-matching-<db>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/peercircle_bench_matching"
SCHEME = "carer-mentoring"


class _QueryCounter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


def measure(people: int) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercircle.settings")
    django.setup()

    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from peercircle.accounts.models import User
    from peercircle.matching.models import MatchRun
    from peercircle.matching.services import run_execute
    from peercircle.ops.demo import build_demo
    from peercircle.organisations.tenancy import scopes_disabled

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    started = time.perf_counter()
    demo = build_demo(people=people)
    build_seconds = time.perf_counter() - started
    user = User.objects.get(email=f"coordinator@{demo.plan.slug}.example")
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, generate_totp_secret())
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    assert client.get(f"/matching/schemes/{SCHEME}/").status_code == 200  # warm up

    def request(method: str, path: str) -> tuple[Any, float, int]:
        counter = _QueryCounter()
        t0 = time.perf_counter()
        with connection.execute_wrapper(counter):
            response = getattr(client, method)(path)
        return response, time.perf_counter() - t0, counter.queries

    wall = time.perf_counter()
    pressed, press_s, press_q = request("post", f"/matching/schemes/{SCHEME}/")
    assert pressed.status_code == 302, pressed.status_code
    run_id = int(pressed["Location"].rstrip("/").rsplit("/", 1)[1])
    t0 = time.perf_counter()
    run_execute(run_id)  # what the worker does with the queued task
    task_s = time.perf_counter() - t0
    progress, progress_s, progress_q = request("get", f"/matching/runs/{run_id}/progress/")
    assert progress["HX-Refresh"] == "true"
    page, page_s, page_q = request("get", f"/matching/runs/{run_id}/")
    assert page.status_code == 200
    wall_s = time.perf_counter() - wall
    with scopes_disabled():
        run = MatchRun.objects.get(pk=run_id)
    assert run.status == MatchRun.Status.DONE, run.message
    engine = run.engine_seconds or 0.0
    app = wall_s - engine
    return {
        "database": connection.vendor,
        "people": people,
        "built": demo.created,
        "build_seconds": round(build_seconds, 1),
        "waiting": run.summary.get("mentees"),
        "mentors_with_places": run.summary.get("mentors"),
        "matched": run.summary.get("matched"),
        "unmatched": run.summary.get("unmatched"),
        "message": run.message,
        "engine_seconds": round(engine, 2),
        "app_seconds": round(app, 2),
        "app_over_engine": round(app / engine, 2) if engine else None,
        "wall_seconds": round(wall_s, 2),
        "task_app_seconds": round(run.app_seconds or 0.0, 2),
        "press_ms": round(press_s * 1000, 1),
        "press_queries": press_q,
        "progress_ms": round(progress_s * 1000, 1),
        "progress_queries": progress_q,
        "proposal_page_ms": round(page_s * 1000, 1),
        "proposal_page_queries": page_q,
        "task_seconds": round(task_s, 2),
    }


def _ensure_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _print(r: dict[str, Any]) -> None:
    built = f"built in {r['build_seconds']} s" if r["built"] else "reused"
    print(f"\n{r['database']}: {r['people']:,} people ({built})")
    if r["message"]:
        print(f"no pairs possible: {r['message']}")
    print(
        f"waiting {r['waiting']}, mentors with places {r['mentors_with_places']}, "
        f"matched {r['matched']}, unmatched {r['unmatched']}"
    )
    print(f"press 'Run a match'   {r['press_ms']:>9.1f} ms  {r['press_queries']:>4} queries")
    print(f"background task       {r['task_seconds']:>9.2f} s")
    print(f"progress fragment     {r['progress_ms']:>9.1f} ms  {r['progress_queries']:>4} queries")
    print(
        f"proposal page         {r['proposal_page_ms']:>9.1f} ms  "
        f"{r['proposal_page_queries']:>4} queries"
    )
    ratio = r["app_over_engine"]
    verdict = "" if ratio is None else ("  (target met)" if ratio <= 1.0 else "  (over target)")
    print(
        f"engine {r['engine_seconds']} s, app around it {r['app_seconds']} s "
        f"(ratio {ratio}){verdict}; press to proposal page {r['wall_seconds']} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        print(json.dumps(measure(args.people)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PEERCIRCLE_DEBUG"}}
    env["PEERCIRCLE_DATA_DIR"] = str(OUT / f"app-matching-sqlite-{args.people}")
    env["LOG_LEVEL"] = "WARNING"
    env["PYTHONPATH"] = str(ROOT)
    if args.db == "postgres":
        _ensure_postgres_database(args.postgres_url)
        env["DATABASE_URL"] = args.postgres_url
    command = [sys.executable, __file__, "--inside", "--people", str(args.people)]
    done = subprocess.run(  # noqa: S603 - this script, fixed arguments
        command, cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        print(f"{args.db}: the benchmark failed\n{done.stderr}", file=sys.stderr)
        sys.exit(1)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    (OUT / f"app-matching-{args.db}.json").write_text(json.dumps(report, indent=2) + "\n")
    _print(report)


if __name__ == "__main__":
    main()
