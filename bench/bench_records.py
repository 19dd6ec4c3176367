"""Benchmark of meetings and records: their pages, the calendar feed and key rotation.

    python bench/bench_records.py                      # SQLite and PostgreSQL
    python bench/bench_records.py --db sqlite --records 5000 --requests 30

Builds (afresh each run) an organisation in which Mo and Mia have met weekly for years
(``--history`` held meetings, each with a record, an action and a flag, far more than any real pair,
to show that the pages do not grow with it; three actions still open), and 20 other pairs share
``--records`` more records. Then it times, through Django's whole request handling as Mo: the
meetings page, the records list, one record, the record form and the calendar feed (median and 95th
percentile of ``--requests``, with the number of queries); and ``rotate-keys`` over every
encrypted value after a new key is put first, then again with nothing left to do. SQLite lives
in bench/out/records-sqlite, PostgreSQL in ``peercircle_bench_records``.
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
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/peercircle_bench_records"


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(fraction * len(ordered)) - 1))]


def _run(args: argparse.Namespace) -> dict[str, Any]:  # noqa: PLR0915 - one linear script
    import django

    django.setup()
    from datetime import timedelta

    from cryptography.fernet import Fernet
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from peercircle.accounts.models import User
    from peercircle.lib import crypto
    from peercircle.meetings.choices import MeetingStatus
    from peercircle.meetings.models import Meeting
    from peercircle.meetings.services import calendar_feed_reset
    from peercircle.organisations.models import Organisation
    from peercircle.organisations.tenancy import scopes_disabled
    from peercircle.people import services as people
    from peercircle.records.keys import rotate_all
    from peercircle.records.models import ActionItem, Record
    from peercircle.relationships.choices import Kind, Purpose, Side
    from peercircle.relationships.models import Participant, Relationship
    from peercircle.schemes.choices import Role, SchemeType, Status
    from peercircle.schemes.services import scheme_create

    call_command("migrate", verbosity=0)
    settings.ALLOWED_HOSTS = ["testserver"]
    now = timezone.now()
    with scopes_disabled():
        org = Organisation.objects.create(name="Bench", slug=f"bench-{int(time.time())}")
        scheme = scheme_create(
            organisation=org, name="Mentoring", scheme_type=SchemeType.MENTORING, actor=None
        )

        def person(name: str, role: str) -> Any:
            p = people.person_create(
                organisation=org,
                actor=None,
                data={
                    "given_name": name,
                    "family_name": "Bench",
                    "email": f"{name}@{org.slug}.example",
                },
            )
            p.user = User.objects.create_user(f"{name}@{org.slug}.example", "correct horse battery")
            p.save(update_fields=["user"])
            people.membership_add(
                person=p, scheme=scheme, role=role, status=Status.ACTIVE, actor=None
            )
            return p

        mo, mia = person("mo", Role.MENTOR), person("mia", Role.MENTEE)
        others = [(person(f"t{i}", Role.MENTOR), person(f"m{i}", Role.MENTEE)) for i in range(20)]

        def pair(mentor: Any, mentee: Any) -> Relationship:
            r = Relationship.objects.create(
                organisation=org,
                scheme=scheme,
                kind=Kind.MENTORING,
                purpose=Purpose.NEW_CARER,
                started_on=(now - timedelta(days=4000)).date(),
            )
            Participant.objects.bulk_create(
                [
                    Participant(organisation=org, relationship=r, person=mentor, side=Side.MENTOR),
                    Participant(organisation=org, relationship=r, person=mentee, side=Side.MENTEE),
                ]
            )
            return r

        def fill(r: Relationship, count: int, author: Any) -> None:
            meetings = Meeting.objects.bulk_create(
                Meeting(
                    organisation=org,
                    relationship=r,
                    starts_at=now - timedelta(days=7 * (i + 1)),
                    status=MeetingStatus.HELD,
                    place="Library",
                )
                for i in range(count)
            )
            records = Record.objects.bulk_create(
                Record(
                    organisation=org,
                    relationship=r,
                    meeting=m,
                    author=author,
                    discussion=f"Discussion {m.pk}: " + "words " * 40,
                    helpful="Listening",
                    not_helpful="Time",
                    flags=["stressed"],
                )
                for m in meetings
            )
            ActionItem.objects.bulk_create(
                # Done by now, but the last three: actions come back until someone ticks them.
                ActionItem(
                    organisation=org,
                    relationship=r,
                    record=rec,
                    owner=author,
                    text="Ring school",
                    done_at=None if i < 3 else now,
                )
                for i, rec in enumerate(records)
            )

        started = time.perf_counter()
        main = pair(mo, mia)
        fill(main, args.history, mo)
        rest = args.records // len(others)
        for mentor, mentee in others:
            fill(pair(mentor, mentee), rest, mentor)
        build = time.perf_counter() - started
        record = Record.objects.filter(relationship=main).order_by("-meeting__starts_at").first()
        unrecorded = Meeting.objects.create(
            organisation=org,
            relationship=main,
            starts_at=now - timedelta(hours=2),
            status=MeetingStatus.HELD,
        )
        token = calendar_feed_reset(person=mo, actor=None)
        total_records = Record.objects.filter(organisation=org).count()

    client = Client()
    client.force_login(mo.user)
    pages = [
        ("meetings page", f"/meetings/relationship/{main.pk}/", client),
        ("records list", f"/records/relationship/{main.pk}/", client),
        ("one record", f"/records/{record.pk}/", client),  # type: ignore[union-attr]
        ("record form", f"/records/meeting/{unrecorded.pk}/new/", client),
        ("calendar feed", f"/calendar/{token}.ics", Client()),
    ]
    timings = []
    for label, url, who in pages:
        for _ in range(3):
            who.get(url)
        times, queries = [], 0
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as captured:
                t0 = time.perf_counter()
                response = who.get(url)
                times.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            queries = len(captured)
        timings.append(
            {
                "page": label,
                "median_ms": round(statistics.median(times), 1),
                "p95_ms": round(_percentile(times, 0.95), 1),
                "queries": queries,
            }
        )

    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode(), *settings.ENCRYPTION_KEYS]
    with scopes_disabled():
        t0 = time.perf_counter()
        reports = rotate_all()
        first = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = rotate_all()
        second = time.perf_counter() - t0
    crypto.reset_keys()
    return {
        "database": connection.vendor,
        "records": total_records,
        "build_s": round(build, 1),
        "pages": timings,
        "rotate_keys": {
            "values_rotated": sum(r.rotated for r in reports),
            "seconds": round(first, 1),
            "second_run_rotated": sum(r.rotated for r in again),
            "second_run_seconds": round(second, 1),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--history", type=int, default=300)
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_run(args)))
        return
    OUT.mkdir(parents=True, exist_ok=True)
    results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        env = dict(os.environ, DJANGO_SETTINGS_MODULE="peercircle.settings")
        env.pop("PEERCIRCLE_PRODUCTION", None)
        if db == "sqlite":
            data = OUT / "records-sqlite"
            data.mkdir(exist_ok=True)
            (data / "peercircle.sqlite3").unlink(missing_ok=True)
            env["PEERCIRCLE_DATA_DIR"] = str(data)
            env.pop("DATABASE_URL", None)
        else:
            base, name = args.postgres_url.rsplit("/", 1)
            subprocess.run(  # noqa: S603 - fixed arguments
                ["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name],  # noqa: S607
                check=True,
            )
            subprocess.run(  # noqa: S603
                ["createdb", "-h", "127.0.0.1", "-U", "postgres", name],  # noqa: S607
                check=True,
            )
            env["DATABASE_URL"] = args.postgres_url
        child = subprocess.run(  # noqa: S603 - our interpreter, our script
            [
                sys.executable,
                __file__,
                "--child",
                "--history",
                str(args.history),
                "--records",
                str(args.records),
                "--requests",
                str(args.requests),
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        if child.returncode != 0:
            print(child.stderr, file=sys.stderr)
            sys.exit(child.returncode)
        result = json.loads(child.stdout.strip().splitlines()[-1])
        results.append(result)
        print(f"{result['database']}: {result['records']} records (built in {result['build_s']} s)")
        for row in result["pages"]:
            print(
                f"  {row['page']:<14} median {row['median_ms']:>6} ms  "
                f"p95 {row['p95_ms']:>6} ms  {row['queries']} queries"
            )
        rk = result["rotate_keys"]
        print(
            f"  rotate-keys: {rk['values_rotated']} values in {rk['seconds']} s; "
            f"again: {rk['second_run_rotated']} in {rk['second_run_seconds']} s"
        )
    (OUT / "records.json").write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
