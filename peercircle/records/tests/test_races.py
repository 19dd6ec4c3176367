"""Two people saving at the same moment, on PostgreSQL (SQLite serialises writers anyway)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from peercircle.conftest import Cast
from peercircle.meetings.tests.helpers import held_meeting, make_pair
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people.models import Person
from peercircle.records.models import Record
from peercircle.records.services import RecordChanged, RecordInput, record_create, record_update
from peercircle.records.tests.helpers import write_record

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def _at_once(*jobs: Callable[[], object]) -> list[object]:
    """Run ``jobs`` in threads released together; each result or the exception it raised."""
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    barrier = threading.Barrier(len(jobs))
    results: list[object] = []

    def run(job: Callable[[], object]) -> None:
        with scopes_disabled():
            barrier.wait()
            try:
                results.append(job())
            except ValidationError as exc:
                results.append(exc)
        connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_two_devices_saving_one_record_at_once_keep_one_and_tell_the_other(cast: Cast) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)))

    def save(person: Person, text: str) -> Callable[[], object]:
        return lambda: record_update(
            record=Record.objects.get(pk=record.pk),
            author=person,
            actor=None,
            data=RecordInput(discussion=text),
            expected_version=record.version,
        )

    results = _at_once(save(cast.mo, "from the phone"), save(cast.mia, "from the laptop"))
    saved = [r for r in results if isinstance(r, Record)]
    told = [r for r in results if isinstance(r, RecordChanged)]
    assert len(saved) == 1 and len(told) == 1
    stored = Record.objects.get(pk=record.pk)
    assert stored.discussion == saved[0].discussion
    assert stored.version == record.version + 1
    assert "saved this record" in told[0].messages[0]


def test_both_parties_writing_the_first_record_at_once_make_one(cast: Cast) -> None:
    meeting = held_meeting(make_pair(cast))

    def write(person: Person) -> Callable[[], object]:
        return lambda: record_create(
            meeting=meeting, author=person, actor=None, data=RecordInput(discussion="hello")
        )

    results = _at_once(write(cast.mo), write(cast.mia))
    assert sum(isinstance(r, Record) for r in results) == 1
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1
    assert "just written the record of this meeting" in refused[0].messages[0] or (
        "already has a record" in refused[0].messages[0]
    )
    assert Record.objects.count() == 1
