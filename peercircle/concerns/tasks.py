"""Periodic jobs of concerns: the silence ladder and the escalation of concerns nobody took.

Both work out what is due from the data and send each message once (dedupe keys, conditional
updates), so they may run often: a slot missed while no worker ran costs an hour at most.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from peercircle.concerns.reminders import silence_ladder_run
from peercircle.concerns.services import concerns_escalate_overdue
from peercircle.ops.periodic import periodic
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope


@periodic(every=timedelta(hours=1))
@task()
def send_silence_reminders() -> dict[str, int]:
    """Nudge silent pairs, prompt their coordinators and raise concerns, in every organisation."""
    totals: Counter[str] = Counter()
    today = timezone.localdate()
    for organisation in Organisation.objects.order_by("pk"):
        with organisation_scope(organisation):
            totals.update(silence_ladder_run(today=today))
    return dict(totals)


@periodic(every=timedelta(minutes=15))
@task()
def escalate_overdue_concerns() -> int:
    """Tell the admins of every concern that nobody picked up by its due date."""
    now = timezone.now()
    escalated = 0
    for organisation in Organisation.objects.order_by("pk"):
        with organisation_scope(organisation):
            escalated += concerns_escalate_overdue(now=now)
    return escalated
