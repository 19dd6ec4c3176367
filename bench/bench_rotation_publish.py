"""Time publishing a rotation round: end the previous round's pairs, create the new ones, notify.

    .venv/bin/python bench/bench_rotation_publish.py --members 1000 5000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/peercircle_bench \
        .venv/bin/python bench/bench_rotation_publish.py --members 1000 5000

Without DATABASE_URL it uses a throwaway SQLite database in a temporary directory (never the
checkout's own var/). Members and both rounds' pairs are written directly (the engine is not
timed here: see bench_rotation.py); round 1 is published to give round 2 something to replace,
and round 2 is the one timed. ``--services FILE`` times ``round_publish`` from another copy of
``peercircle/rotations/services.py``, e.g. an earlier commit's, to compare:

    git show f3a7fa6:peercircle/rotations/services.py > /tmp/old_services.py
    .venv/bin/python bench/bench_rotation_publish.py --members 1000 --services /tmp/old_services.py

E-mails go to Django's in-memory backend; their sending (after the commit) is included.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, nargs="+", default=[1000])
    parser.add_argument("--services", help="another copy of rotations/services.py to time")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        os.environ["PEERCIRCLE_DATA_DIR"] = tempfile.mkdtemp(prefix="peercircle-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peercircle.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from peercircle.organisations.models import Organisation
    from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
    from peercircle.relationships.models import Relationship
    from peercircle.rotations import services

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.core.mail.backends import locmem

    mailing = [0.0]
    send = locmem.EmailBackend.send_messages

    def timed_send(backend: Any, messages: Any) -> int:
        began = time.perf_counter()
        try:
            return send(backend, messages)
        finally:
            mailing[0] += time.perf_counter() - began

    locmem.EmailBackend.send_messages = timed_send  # type: ignore[method-assign]
    timed: Any = services
    if args.services:
        spec = importlib.util.spec_from_file_location("bench_services", args.services)
        assert spec is not None and spec.loader is not None
        timed = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(timed)
    call_command("migrate", verbosity=0)
    print(f"{connection.vendor}, round_publish from {args.services or 'the checkout'}")
    for members in args.members:
        with scopes_disabled():
            Relationship.objects.filter(organisation__slug="bench-rotation").delete()
            Organisation.objects.filter(slug="bench-rotation").delete()
            org = Organisation.objects.create(name="Bench rotation", slug="bench-rotation")
        with organisation_scope(org):
            scheme, people = build(org, members)
            # Round 1 (with the checkout's services): creates what round 2 replaces.
            first = approved_round(scheme, people, 1)
            assert services.round_publish(rotation_round=first, actor=None)
            second = approved_round(scheme, people, 2)
            mailing[0] = 0.0
            start, cpu = time.perf_counter(), time.process_time()
            assert timed.round_publish(rotation_round=second, actor=None)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        # CPU time of this process as well: the machine may be busy with other work.
        print(
            f"  {members:6} members, {members // 2:5} pairs ended and created: "
            f"{elapsed:6.2f} s wall {cpu:6.2f} s cpu, of which e-mails after the commit "
            f"{mailing[0]:5.2f} s"
        )
        with scopes_disabled():
            Relationship.objects.filter(organisation=org).delete()  # protects people, scheme
            org.delete()


def build(org: Any, members: int) -> tuple[Any, list[Any]]:
    """A rotation scheme of ``members`` active peers."""
    from peercircle.people.models import Membership, Person
    from peercircle.schemes.choices import Role, Status
    from peercircle.schemes.services import scheme_create

    scheme = scheme_create(
        organisation=org, name="Bench peers", scheme_type="rotation", actor=None, slug="peers"
    )
    people = Person.objects.bulk_create(
        Person(
            organisation=org,
            given_name=f"Peer{k}",
            family_name="Bench",
            email=f"peer{k}@bench.example",
        )
        for k in range(members)
    )
    Membership.objects.bulk_create(
        Membership(organisation=org, person=p, scheme=scheme, role=Role.PEER, status=Status.ACTIVE)
        for p in people
    )
    return scheme, people


def approved_round(scheme: Any, people: list[Any], number: int) -> Any:
    """Round ``number``, approved: pairs of neighbours, shifted by one from the round before."""
    from peercircle.rotations.models import EngineState, RotationRound, RoundPair, RoundStatus

    rotation_round = RotationRound.objects.create(
        organisation_id=scheme.organisation_id,
        scheme=scheme,
        number=number,
        status=RoundStatus.APPROVED,
        engine_state=EngineState.DONE,
        members=len(people),
        rotation_date=date(2026, 1, 5) if number == 1 else date(2026, 7, 6),
    )
    shift = (number - 1) % 2
    order = people[shift:] + people[:shift]
    RoundPair.objects.bulk_create(
        (
            RoundPair(
                organisation_id=scheme.organisation_id,
                round=rotation_round,
                kind="mutual",
                person_a=order[k],
                person_b=order[k + 1],
                fit=0.5,
                explanation="Bench pair.",
            )
            for k in range(0, len(order) - 1, 2)
        ),
        batch_size=2000,
    )
    return rotation_round


if __name__ == "__main__":
    main()
