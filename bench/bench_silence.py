"""Benchmark of noticing silence at scale: the dashboard panel, its page and the reminder job.

    python bench/bench_silence.py                     # SQLite and PostgreSQL, 20,000 pairs
    python bench/bench_silence.py --db sqlite --pairs 5000 --requests 30

Builds (once, then reuses) an organisation with ``--pairs`` mentoring pairs (two people each, so
20,000 pairs are 40,000 people) in one scheme, each with up to six held meetings spread over the
last 200 days, so that about a third of the pairs are silent past the scheme's nudge. Then it
times, through Django's whole request handling: the coordinator dashboard (with the "pairs not
meeting" panel), the page of all silent pairs and the concerns list; and the hourly reminder job
twice: the first run sends every rung due (thousands of notifications), the second finds them
all sent. SQLite lives in bench/out/silence-sqlite, PostgreSQL in ``peercircle_bench_silence``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/peercircle_bench_silence"
SLUG = "silence-bench"
PAGES = [
    ("coordinator dashboard", "/"),
    ("pairs not meeting, page 1", "/concerns/pairs-not-meeting/"),
    ("pairs not meeting, page 20", "/concerns/pairs-not-meeting/?page=20"),
    ("concerns list", "/concerns/"),
]


class _QueryCounter:
    def __init__(self) -> None:
        self.queries = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.queries += 1
        return execute(sql, params, many, context)


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def build(pairs: int, seed: int) -> Any:
    """The organisation, built in bulk; returns the coordinator's user."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.utils import timezone

    from peercircle.accounts.models import User
    from peercircle.meetings.choices import MeetingStatus
    from peercircle.meetings.models import Meeting
    from peercircle.organisations.models import Organisation
    from peercircle.people.models import Membership, Person
    from peercircle.relationships.choices import Kind, Purpose, Side, Status
    from peercircle.relationships.models import Participant, Relationship
    from peercircle.schemes.choices import Role, SchemeType
    from peercircle.schemes.choices import Status as MemberStatus
    from peercircle.schemes.services import scheme_create

    rng = random.Random(seed)
    org = Organisation.objects.create(name="Silence bench", slug=SLUG)
    scheme = scheme_create(
        organisation=org, name="Carer mentoring", scheme_type=SchemeType.MENTORING, actor=None
    )
    user = User.objects.create_user(f"coordinator@{SLUG}.example", "bench-password-1")
    TOTP.activate(user, generate_totp_secret())
    coordinator = Person.objects.create(
        organisation=org, user=user, given_name="Cora", family_name="Bench", email=user.email
    )
    Membership.objects.create(
        organisation=org,
        person=coordinator,
        scheme=scheme,
        role=Role.COORDINATOR,
        status=MemberStatus.ACTIVE,
    )
    today = timezone.localdate()
    now = timezone.now()
    batch = 2000
    for first in range(0, pairs, batch):
        n = min(batch, pairs - first)
        people = Person.objects.bulk_create(
            Person(
                organisation=org,
                given_name=f"Person{first * 2 + i}",
                family_name=rng.choice(["Smith", "Khan", "Jones", "Patel", "Brown", "Okafor"]),
                email=f"p{first * 2 + i}@{SLUG}.example",
            )
            for i in range(2 * n)
        )
        Membership.objects.bulk_create(
            Membership(
                organisation=org,
                person=p,
                scheme=scheme,
                role=Role.MENTOR if i % 2 == 0 else Role.MENTEE,
                status=MemberStatus.ACTIVE,
            )
            for i, p in enumerate(people)
        )
        relationships = Relationship.objects.bulk_create(
            Relationship(
                organisation=org,
                scheme=scheme,
                kind=Kind.MENTORING,
                purpose=Purpose.NEW_CARER,
                status=Status.ACTIVE,
                started_on=today - timedelta(days=rng.randint(10, 360)),
            )
            for _ in range(n)
        )
        Participant.objects.bulk_create(
            Participant(
                organisation=org,
                relationship=r,
                person=people[2 * i + side],
                side=Side.MENTOR if side == 0 else Side.MENTEE,
            )
            for i, r in enumerate(relationships)
            for side in (0, 1)
        )
        meetings = []
        for r in relationships:
            assert r.started_on is not None
            span = (today - r.started_on).days
            for _ in range(rng.randint(0, 6)):
                ago = rng.randint(0, min(span, 200))
                meetings.append(
                    Meeting(
                        organisation=org,
                        relationship=r,
                        starts_at=now - timedelta(days=ago, hours=rng.randint(0, 12)),
                        status=MeetingStatus.HELD,
                    )
                )
        Meeting.objects.bulk_create(meetings, batch_size=5000)
    return user


def measure(pairs: int, requests: int, seed: int) -> dict[str, Any]:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercircle.settings")
    django.setup()

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from peercircle.accounts.models import User
    from peercircle.concerns.models import Concern
    from peercircle.concerns.tasks import send_silence_reminders
    from peercircle.meetings.models import Meeting
    from peercircle.notifications.models import Notification
    from peercircle.organisations.models import Organisation
    from peercircle.organisations.tenancy import scopes_disabled

    # The bench measures PeerCircle, not an SMTP server: e-mails stay in memory.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    built = False
    started = time.perf_counter()
    if not Organisation.objects.filter(slug=SLUG).exists():
        with scopes_disabled():
            build(pairs, seed)
        built = True
    build_seconds = time.perf_counter() - started
    with scopes_disabled():
        org = Organisation.objects.get(slug=SLUG)
        meetings = Meeting.objects.filter(organisation=org).count()
        # Each run of the job starts from nothing sent, so the first run is the worst case.
        Notification.objects.filter(organisation=org).delete()
        Concern.objects.filter(organisation=org).delete()

    job = []
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        sent = send_silence_reminders.call()
        job.append(
            {
                "seconds": round(time.perf_counter() - t0, 2),
                # This process only: on PostgreSQL the server's work is not in it.
                "cpu_seconds": round(time.process_time() - c0, 2),
                "sent": sent,
            }
        )

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(email=f"coordinator@{SLUG}.example"))
    rows = []
    for label, path in PAGES:
        for _ in range(3):
            assert client.get(path).status_code == 200, path
        counter = _QueryCounter()
        with connection.execute_wrapper(counter):
            client.get(path)
        timings, cpu = [], []
        for _ in range(requests):
            t0, c0 = time.perf_counter(), time.process_time()
            assert client.get(path).status_code == 200
            timings.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        rows.append(
            {
                "page": label,
                "median_ms": round(statistics.median(timings), 1),
                "p95_ms": round(_percentile(timings, 0.95), 1),
                "cpu_median_ms": round(statistics.median(cpu), 1),
                "queries": counter.queries,
            }
        )
    return {
        "database": connection.vendor,
        "pairs": pairs,
        "meetings": meetings,
        "built": built,
        "build_seconds": round(build_seconds, 1),
        "job": job,
        "rows": rows,
    }


def _ensure_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1].split("?")[0]
    with psycopg.connect(url, dbname="postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pairs", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        print(json.dumps(measure(args.pairs, args.requests, args.seed)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "PEERCIRCLE_DEBUG"}}
    env["PEERCIRCLE_DATA_DIR"] = str(OUT / "silence-sqlite")
    env["LOG_LEVEL"] = "WARNING"
    env["PYTHONPATH"] = str(ROOT)
    for database in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        run_env = dict(env)
        if database == "postgres":
            _ensure_postgres_database(args.postgres_url)
            run_env["DATABASE_URL"] = args.postgres_url
        command = [sys.executable, __file__, "--inside", "--pairs", str(args.pairs)]
        command += ["--requests", str(args.requests), "--seed", str(args.seed)]
        done = subprocess.run(  # noqa: S603 - this script, fixed arguments
            command, cwd=ROOT, env=run_env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            print(f"{database}: the benchmark failed\n{done.stderr}", file=sys.stderr)
            sys.exit(1)
        report = json.loads(done.stdout.strip().splitlines()[-1])
        (OUT / f"silence-{database}.json").write_text(json.dumps(report, indent=2))
        built = f"built in {report['build_seconds']} s" if report["built"] else "reused"
        print(
            f"\n{report['database']}: {report['pairs']:,} pairs, {report['meetings']:,} "
            f"meetings ({built})"
        )
        for n, run in enumerate(report["job"], 1):
            print(
                f"  reminder job, run {n}: {run['seconds']} s ({run['cpu_seconds']} s CPU here), "
                f"sent {run['sent']}"
            )
        print(f"  {'page':<30} {'median':>8} {'p95':>8} {'CPU':>8} {'queries':>8}")
        for row in report["rows"]:
            print(
                f"  {row['page']:<30} {row['median_ms']:>6.1f}ms {row['p95_ms']:>6.1f}ms "
                f"{row['cpu_median_ms']:>6.1f}ms {row['queries']:>8}"
            )


if __name__ == "__main__":
    main()
