"""Records of ended relationships lose their text after the organisation's retention period; the
fact that a record existed, its date and its flags stay. The job is registered to run daily."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast, join, make_person
from peercircle.meetings.tests.helpers import held_meeting, make_pair
from peercircle.ops.periodic import registered_jobs
from peercircle.records.models import ActionItem, BreakGlass, Record
from peercircle.records.services import record_break_glass, records_erase_expired
from peercircle.records.tasks import erase_expired_records
from peercircle.records.tests.helpers import write_record
from peercircle.relationships.choices import EndReason, Purpose, Side
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import relationship_create, relationship_end
from peercircle.schemes.choices import Role

pytestmark = pytest.mark.django_db


def _raw_discussion(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT discussion FROM records_record WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def test_text_goes_after_the_retention_period_and_the_record_stays(cast: Cast) -> None:
    cast.org.retention_months = 12
    cast.org.save()
    with time_machine.travel(datetime(2026, 1, 10, 12, tzinfo=timezone.get_current_timezone())):
        pair = make_pair(cast)
        kept = make_pair_for_other_mentee(cast)
        record = write_record(cast, held_meeting(pair), flags=("stressed",))
        other = write_record(cast, held_meeting(kept))
        record_break_glass(
            record=record,
            person=cast.cora,
            actor=None,
            reason="children",
            details="A child at risk was named in the referral",
        )
        relationship_end(
            relationship=pair, reason=EndReason.PLANNED, actor=None, expected_version=pair.version
        )
    # A day before the period ends nothing goes; on the day after it, the text does.
    assert records_erase_expired(today=date(2027, 1, 10)) == 0
    with time_machine.travel(datetime(2027, 1, 11, 3, tzinfo=timezone.get_current_timezone())):
        assert erase_expired_records.call() == 1
    stored = Record.objects.get(pk=record.pk)
    assert stored.text_erased_at is not None
    assert (stored.discussion, stored.helpful, stored.not_helpful) == ("", "", "")
    assert stored.flags == ["stressed"]  # kept for the scheme's evaluation
    assert _raw_discussion(record.pk) == ""
    assert ActionItem.objects.get(record=record).text == ""
    assert BreakGlass.objects.get().details == ""
    assert AuditEvent.objects.filter(action="record.erase", target_id=str(record.pk)).exists()
    # The relationship that has not ended keeps its record; a second run finds nothing.
    assert Record.objects.get(pk=other.pk).discussion != ""
    assert records_erase_expired(today=date(2027, 1, 12)) == 0


def make_pair_for_other_mentee(cast: Cast) -> Relationship:
    kim = make_person(cast.org, "Kim", category="mainstream")
    join(kim, cast.scheme, Role.MENTEE)
    return relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (kim, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
        started_on=timezone.localdate() - timedelta(days=60),
    )


def test_the_job_is_registered_to_run_every_day() -> None:
    jobs = {job.name: job for job in registered_jobs()}
    job = jobs["peercircle.records.tasks.erase_expired_records"]
    assert job.every == timedelta(days=1)


def test_each_organisation_keeps_its_own_period(cast: Cast) -> None:
    cast.org.retention_months = 120
    cast.org.save()
    with time_machine.travel(datetime(2026, 1, 10, 12, tzinfo=timezone.get_current_timezone())):
        pair = make_pair(cast)
        record = write_record(cast, held_meeting(pair))
        relationship_end(
            relationship=pair, reason=EndReason.PLANNED, actor=None, expected_version=pair.version
        )
    assert records_erase_expired(today=date(2030, 1, 10)) == 0
    assert Record.objects.get(pk=record.pk).discussion != ""
