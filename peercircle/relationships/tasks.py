"""Scheduled work of relationships, run by the worker (see ``peercircle.ops.periodic``)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from peercircle.ops.periodic import periodic
from peercircle.relationships.endings.services import ending_prompts_send


# Hourly, not daily: a slot missed while no worker ran is not caught up, and the prompts are
# claimed per relationship, so running often costs one query when nothing is due.
@periodic(every=timedelta(hours=1))
@task()
def prompt_planned_endings() -> int:
    """Tell both parties and the coordinator, once, that a planned ending is four weeks away."""
    return ending_prompts_send(today=timezone.localdate())
