"""Background jobs of records, registered with the ops scheduler (``ops.periodic``)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from django.utils import timezone
from django_tasks import task

from peercircle.ops.periodic import periodic
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.records.services import records_erase_expired

log = structlog.get_logger("peercircle.records")


@periodic(every=timedelta(days=1))
@task()
def erase_expired_records() -> int:
    """Delete the text of records past their organisation's retention period, every day.

    Works from the data ("ended more than N months ago"), so a day missed while no worker ran
    is caught up the next day, and a second run finds nothing left to do.
    """
    with scopes_disabled():
        erased = records_erase_expired(today=timezone.localdate())
    log.info("records.retention", erased=erased)
    return erased
