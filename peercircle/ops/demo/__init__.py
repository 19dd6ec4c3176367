"""The demo organisation: ``peercircle demo`` and the quick start's first run.

``build_demo`` plans the organisation from a seed (``plan.py``), then writes it through the
services when it is small or with bulk inserts when it is large (``write.py``). Building a demo
that exists already changes nothing, so the quick start can ask for it on every start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from peercircle.accounts.models import User
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import scopes_disabled

from .plan import DEFAULT_PEOPLE, DEFAULT_SEED, DemoPlan, make_plan
from .write import DEMO_PASSWORD, analyze, write_bulk, write_with_services

__all__ = ["DEMO_PASSWORD", "DemoError", "DemoResult", "build_demo", "SERVICES_UP_TO"]

# Up to this many people the demo goes through the services (about 15 seconds for 1,000).
SERVICES_UP_TO = 1000


class DemoError(Exception):
    """The demo cannot be built as asked; the message says why and what to do."""


@dataclass(frozen=True)
class DemoResult:
    organisation: Organisation
    plan: DemoPlan
    created: bool
    seconds: float

    @property
    def logins(self) -> list[tuple[str, str]]:
        return self.plan.logins()


def build_demo(
    *,
    people: int = DEFAULT_PEOPLE,
    seed: int = DEFAULT_SEED,
    two_factor: bool = True,
    slug: str = "",
    replace: bool = False,
    today: date | None = None,
    bulk: bool | None = None,
) -> DemoResult:
    """Build the demo organisation, or return the existing one with the same slug."""
    try:
        plan = make_plan(people=people, seed=seed, today=today or timezone.localdate(), slug=slug)
    except ValueError as exc:
        raise DemoError(str(exc)) from None
    started = time.perf_counter()
    with scopes_disabled():
        existing = Organisation.objects.filter(slug=plan.slug).first()
        if existing is not None and not replace:
            return DemoResult(existing, plan, created=False, seconds=0.0)
        emails = [email for _, email in plan.logins()]
        with transaction.atomic():
            if existing is not None:
                User.objects.filter(email__in=emails).delete()
                existing.delete()
            taken = list(User.objects.filter(email__in=emails).values_list("email", flat=True))
            if taken:
                raise DemoError(
                    f"The demo's sign-in addresses are already in use ({', '.join(taken)}). "
                    "Build the demo under another name with --slug."
                )
            use_bulk = people > SERVICES_UP_TO if bulk is None else bulk
            writer = write_bulk if use_bulk else write_with_services
            org = writer(plan, two_factor=two_factor)
        if use_bulk:
            analyze()
    return DemoResult(org, plan, created=True, seconds=time.perf_counter() - started)
