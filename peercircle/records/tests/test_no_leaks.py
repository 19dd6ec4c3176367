"""Record text never leaves the record: not in any e-mail or notification after any record action,
not in search results, not in the calendar feed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from peercircle.conftest import Cast
from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.meetings.services import calendar_feed_reset, meeting_book, meeting_set_status
from peercircle.meetings.tests.helpers import held_meeting, in_days, make_pair
from peercircle.people.models import Person
from peercircle.records.services import (
    RecordInput,
    record_break_glass,
    record_update,
    records_erase_expired,
)
from peercircle.records.tests.helpers import SECRETS, assert_no_record_text_sent, write_record
from peercircle.relationships.choices import EndReason
from peercircle.relationships.services import relationship_end

pytestmark = pytest.mark.django_db


def test_no_message_carries_record_text_after_any_record_action(
    cast: Cast,
    client_for: Callable[[Person], Client],
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    @contextmanager
    def sent() -> Iterator[None]:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[attr-defined]
            yield
        assert_no_record_text_sent()

    pair = make_pair(cast)
    with sent():
        booked = meeting_book(
            relationship=pair,
            starts_at=in_days(2),
            duration_minutes=60,
            mode=Mode.IN_PERSON,
            place="Library",
            actor=None,
        )
    with sent():
        meeting_set_status(
            meeting=booked,
            status=MeetingStatus.CANCELLED,
            actor=None,
            expected_version=booked.version,
        )
    with sent():
        record = write_record(cast, held_meeting(pair), flags=("safeguarding", "stressed"))
    with sent():
        record = record_update(
            record=record,
            author=cast.mia,
            actor=cast.mia.user,
            data=RecordInput(discussion=SECRETS[0] + " again", flags=["struggling"]),
            expected_version=record.version,
        )
    with sent():
        for view in ("records:detail", "records:export"):
            client_for(cast.mo).get(reverse(view, args=[record.pk]))
    with sent():
        record_break_glass(
            record=record,
            person=cast.cora,
            actor=cast.cora.user,
            reason="adults",
            details="An adult at risk: " + SECRETS[0],
        )
    with sent():
        relationship_end(
            relationship=pair, reason=EndReason.PLANNED, actor=None, expected_version=pair.version
        )
        records_erase_expired(today=date(2099, 1, 1))
    assert len(mail.outbox) >= 8  # the steps above did send: invitations, concern, record, glass


def test_search_and_the_calendar_feed_never_show_record_text(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    pair = make_pair(cast)
    write_record(cast, held_meeting(pair), flags=("stressed",))
    for who in (cast.cora, cast.ada, cast.mo):
        for url in (reverse("people:list"), reverse("relationships:list")):
            page = client_for(who).get(url, {"q": "Jay"})
            assert page.status_code == 200
            body = page.content.decode()
            assert all(secret not in body for secret in SECRETS)
            assert "Mo Example" not in body  # "Jay" is in a record only: no match
    token = calendar_feed_reset(person=cast.mo, actor=None)
    feed = Client().get(f"/calendar/{token}.ics").content.decode()
    assert "PeerCircle meeting with Mia" in feed
    assert all(secret not in feed for secret in SECRETS)
