"""The demo organisation: ``peercircle demo`` and the quick start's first run.

``build_demo`` plans the organisation from a seed (``plan.py``, its relationships in
``stories.py``), then writes it through the services when it is small or with bulk inserts when
it is large (``write.py``); the relationships' stories always go through the services, each step
at its own moment (``tell.py``, ``clock.py``). Building a demo that exists already changes
nothing, so the quick start can ask for it on every start.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.db import transaction
from django.db.models import ProtectedError
from django.test.utils import override_settings
from django.utils import timezone

from peercircle.accounts.models import User
from peercircle.organisations.models import Organisation, TenantModel
from peercircle.organisations.tenancy import scopes_disabled

from .plan import DEFAULT_PEOPLE, DEFAULT_SEED, DemoPlan, make_plan
from .write import DEMO_PASSWORD, analyze, write_bulk, write_with_services

__all__ = ["DEMO_PASSWORD", "DemoError", "DemoResult", "build_demo", "SERVICES_UP_TO"]

QUIET_EMAIL = "django.core.mail.backends.dummy.EmailBackend"
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


def _delete_organisation(org: Organisation) -> None:
    """Delete the organisation and everything in it.

    Confidential history is protected from deletion one object at a time (a record keeps its
    meeting, a relationship its people), so a plain ``delete()`` refuses. Each kind of row is
    deleted once nothing protects it any more, whatever apps the organisation's data spans.
    """
    pending = [m for m in apps.get_models() if issubclass(m, TenantModel)]
    while pending:
        protected = []
        for model in pending:
            try:
                with transaction.atomic():
                    model._default_manager.filter(organisation=org).delete()
            except ProtectedError:
                protected.append(model)
        if len(protected) == len(pending):
            names = ", ".join(m._meta.label for m in protected)
            raise DemoError(f"The old demo could not be deleted: {names} protect each other.")
        pending = protected
    org.delete()


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
        # The demo's addresses are invented: its notifications stay in PeerCircle, instead of
        # hundreds of e-mails printed over the sign-in details in the embedded mode.
        with override_settings(EMAIL_BACKEND=QUIET_EMAIL), transaction.atomic():
            if existing is not None:
                User.objects.filter(email__in=emails).delete()
                _delete_organisation(existing)
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
