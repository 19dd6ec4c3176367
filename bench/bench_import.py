"""Time the spreadsheet import: a dry run, the real import and a re-import (all updates).

    .venv/bin/python bench/bench_import.py --people 5000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peercircle_bench \
        .venv/bin/python bench/bench_import.py --people 5000

Without DATABASE_URL it uses a throwaway SQLite database in a temporary directory (never the
checkout's own var/). The organisation it builds is deleted at the end.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def build_file(people: int, supervisors: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["ID", "First name", "Last name", "E-mail", "Scheme", "Role", "Status", "Approved on",
         "Active experience (months)", "Languages", "Working hours", "Town or area",
         "On probation", "Supervisor", "Gender", "Culture and heritage"]
    )  # fmt: skip
    for i in range(supervisors):
        writer.writerow(
            [f"S{i}", "Sue", f"Worker {i}", f"s{i}@bench.example", "bench", "Supervisor",
             "Active", "2010-01-01", "120", "English", "Mon-Fri 9-17", "Leeds", "No", "",
             "female", ""]
        )  # fmt: skip
    for i in range(people - supervisors):
        role = "Mentor" if i % 3 == 0 else "Mentee"
        writer.writerow(
            [f"P{i}", "Pat", f"Person {i}", f"p{i}@bench.example", "bench", role, "Approved",
             f"{1 + i % 28:02d}/0{1 + i % 9}/20{10 + i % 14}", str(i % 200), "English; Polish",
             "Mon-Fri 9-17, Sat 10-14", "Leeds", "y" if i % 10 == 0 else "n",
             f"S{i % supervisors}", "male" if i % 2 else "female", "Polish"]
        )  # fmt: skip
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=5000)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["PEERCIRCLE_DATA_DIR"] = tempfile.mkdtemp(prefix="peercircle-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercircle.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from peercircle.organisations.models import Organisation
    from peercircle.organisations.tenancy import scopes_disabled
    from peercircle.people.importer import ImportAuthority, import_people
    from peercircle.schemes.services import scheme_create

    call_command("migrate", verbosity=0)
    with scopes_disabled():
        Organisation.objects.filter(slug="bench-import").delete()
        org = Organisation.objects.create(name="Bench import", slug="bench-import")
        scheme_create(
            organisation=org, name="Bench", scheme_type="mentoring", actor=None, slug="bench"
        )
    data = build_file(args.people, max(1, args.people // 50))
    authority = ImportAuthority.of_operator(org)
    print(f"{connection.vendor}, {args.people} lines, {len(data) / 1e6:.1f} MB")
    for label, dry_run in (("dry run", True), ("import", False), ("re-import", False)):
        start, cpu = time.perf_counter(), time.process_time()
        report = import_people(
            authority=authority, data=data, filename="bench.csv", dry_run=dry_run
        )
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert report.ok, report.problems[:5]
        # CPU time of this process as well: the machine may be busy with other work.
        print(f"  {label:10} {elapsed:6.2f} s wall {cpu:6.2f} s cpu   {report.summary}")
    with scopes_disabled():
        org.delete()


if __name__ == "__main__":
    main()
