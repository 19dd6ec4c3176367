"""Writing and editing record sheets: encryption at rest, actions carried over, flags to concerns,
two devices saving at once, and no record text in any message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from peercircle.audit.models import AuditEvent
from peercircle.concerns.models import Concern
from peercircle.conftest import Cast
from peercircle.lib.crypto import PREFIX
from peercircle.meetings.choices import MeetingStatus, Mode
from peercircle.meetings.services import meeting_book
from peercircle.meetings.tests.helpers import held_meeting, in_days, make_pair
from peercircle.records.models import ActionItem, Record
from peercircle.records.selectors import actions_of, open_actions
from peercircle.records.services import (
    NewAction,
    RecordChanged,
    RecordInput,
    record_create,
    record_update,
)
from peercircle.records.tests.helpers import (
    ACTION,
    DISCUSSION,
    HELPFUL,
    NOT_HELPFUL,
    assert_no_record_text_sent,
    write_record,
)
from peercircle.relationships.choices import EndReason
from peercircle.relationships.services import relationship_end

pytestmark = pytest.mark.django_db


def _raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return str(cursor.fetchone()[0])


def test_record_text_is_encrypted_in_the_database_and_flags_are_not(cast: Cast) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)), flags=("stressed",))
    for column, text in (
        ("discussion", DISCUSSION),
        ("helpful", HELPFUL),
        ("not_helpful", NOT_HELPFUL),
    ):
        raw = _raw("records_record", column, record.pk)
        assert raw.startswith(PREFIX)
        assert text not in raw and "Jay" not in raw
    action = ActionItem.objects.get()
    raw_action = _raw("records_actionitem", "text", action.pk)
    assert raw_action.startswith(PREFIX) and "leaflet" not in raw_action
    # The flags stay readable, so a coordinator can see that one was raised.
    assert "stressed" in _raw("records_record", "flags", record.pk)
    # Read back through the model, the text is whole again.
    stored = Record.objects.get(pk=record.pk)
    assert (stored.discussion, stored.helpful, stored.not_helpful) == (
        DISCUSSION,
        HELPFUL,
        NOT_HELPFUL,
    )


def test_a_flag_raises_a_concern_for_the_coordinator_without_the_text(
    cast: Cast, django_capture_on_commit_callbacks: object
) -> None:
    meeting = held_meeting(make_pair(cast))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        record = write_record(cast, meeting, flags=("struggling", "stressed"))
    concern = Concern.objects.get()
    assert concern.record_id == record.pk
    assert concern.flags == ["stressed", "struggling"]
    assert concern.relationship_id == record.relationship_id
    # Mia is told Mo wrote the record; Cora is told of the concern; no text anywhere.
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == ["cora@tri-borough.example", "mia@tri-borough.example"]
    assert_no_record_text_sent()
    event = AuditEvent.objects.get(action="record.create")
    assert event.changes == {"flags": ["stressed", "struggling"]}
    assert DISCUSSION not in event.summary


def test_an_edit_raises_only_the_new_flags(cast: Cast) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)), flags=("overworked",))
    record_update(
        record=record,
        author=cast.mia,
        actor=cast.mia.user,
        data=RecordInput(discussion=DISCUSSION, flags=["overworked", "safeguarding"]),
        expected_version=record.version,
    )
    concern = Concern.objects.get()
    assert concern.flags == ["overworked", "safeguarding"]
    assert concern.severity == "urgent"


def test_a_record_belongs_to_a_held_meeting(cast: Cast) -> None:
    pair = make_pair(cast)
    booked = meeting_book(
        relationship=pair,
        starts_at=in_days(2),
        duration_minutes=60,
        mode=Mode.PHONE,
        place="",
        actor=None,
    )
    assert booked.status == MeetingStatus.BOOKED
    with pytest.raises(ValidationError, match="Mark the meeting held before writing its record"):
        write_record(cast, booked)
    held = held_meeting(pair)
    write_record(cast, held)
    with pytest.raises(ValidationError, match="already has a record"):
        write_record(cast, held)
    assert Record.objects.count() == 1


def test_an_empty_record_or_an_outsiders_record_is_refused(cast: Cast) -> None:
    meeting = held_meeting(make_pair(cast))
    with pytest.raises(ValidationError, match="The record is empty"):
        record_create(meeting=meeting, author=cast.mo, actor=None, data=RecordInput())
    with pytest.raises(ValidationError, match="Only the people in this relationship"):
        record_create(meeting=meeting, author=cast.oz, actor=None, data=RecordInput(discussion="x"))
    with pytest.raises(ValidationError, match="belongs to one of the people"):
        record_create(
            meeting=meeting,
            author=cast.mo,
            actor=None,
            data=RecordInput(new_actions=[NewAction(text="Call Oz", owner=cast.oz)]),
        )
    with pytest.raises(ValidationError, match="Choose flags from the list"):
        record_create(
            meeting=meeting, author=cast.mo, actor=None, data=RecordInput(flags=["grumpy"])
        )
    assert not Record.objects.exists() and not ActionItem.objects.exists()


def test_records_of_an_ended_relationship_cannot_be_written_or_edited(cast: Cast) -> None:
    pair = make_pair(cast)
    first = write_record(cast, held_meeting(pair, days_ago=9))
    second_meeting = held_meeting(pair, days_ago=2)
    relationship_end(
        relationship=pair, reason=EndReason.PLANNED, actor=None, expected_version=pair.version
    )
    first.relationship.refresh_from_db()
    second_meeting.relationship.refresh_from_db()
    with pytest.raises(ValidationError, match="has ended: its records can be read"):
        write_record(cast, second_meeting)
    with pytest.raises(ValidationError, match="has ended"):
        record_update(
            record=first,
            author=cast.mo,
            actor=None,
            data=RecordInput(discussion="changed"),
            expected_version=first.version,
        )
    assert Record.objects.get(pk=first.pk).discussion == DISCUSSION


def test_actions_are_carried_to_the_next_meeting_until_done(cast: Cast) -> None:
    pair = make_pair(cast)
    first = write_record(cast, held_meeting(pair, days_ago=30))
    carried = open_actions(pair)
    assert [a.text for a in carried] == [ACTION]
    second = record_create(
        meeting=held_meeting(pair, days_ago=1),
        author=cast.mia,
        actor=cast.mia.user,
        data=RecordInput(
            discussion="Follow-up",
            done_action_ids=[carried[0].pk],
            new_actions=[NewAction(text="Book the training day", owner=cast.mia)],
        ),
    )
    assert [a.text for a in open_actions(pair)] == ["Book the training day"]
    agreed, done = actions_of(second)
    assert [a.text for a in done] == [ACTION]
    assert [a.text for a in agreed] == ["Book the training day"]
    agreed_first, _ = actions_of(first)
    assert agreed_first[0].done_at is not None


def test_two_devices_saving_the_same_record_lose_nothing(cast: Cast) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)))
    on_phone = Record.objects.get(pk=record.pk)
    on_laptop = Record.objects.get(pk=record.pk)
    record_update(
        record=on_phone,
        author=cast.mia,
        actor=cast.mia.user,
        data=RecordInput(
            discussion=DISCUSSION + " and school", helpful=HELPFUL, flags=["stressed"]
        ),
        expected_version=on_phone.version,
    )
    with pytest.raises(RecordChanged) as told:
        record_update(
            record=on_laptop,
            author=cast.mo,
            actor=cast.mo.user,
            data=RecordInput(discussion="Overwrites everything"),
            expected_version=on_laptop.version,
        )
    message = told.value.messages[0]
    assert "Mia Example saved this record" in message
    assert "(they changed: key discussion points, what was not helpful, flags)" in message
    assert "Nothing you entered has been saved" in message
    # The message says which parts changed, never what they now say.
    assert "school" not in message
    stored = Record.objects.get(pk=record.pk)
    assert stored.discussion == DISCUSSION + " and school"
    assert stored.version == 2


def test_saving_without_changes_keeps_the_version(cast: Cast) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)))
    same = record_update(
        record=record,
        author=cast.mo,
        actor=None,
        data=RecordInput(discussion=DISCUSSION, helpful=HELPFUL, not_helpful=NOT_HELPFUL),
        expected_version=record.version,
    )
    assert same.version == 1
    assert not AuditEvent.objects.filter(action="record.update").exists()


def test_too_long_text_is_refused_with_its_limit(cast: Cast) -> None:
    meeting = held_meeting(make_pair(cast))
    with pytest.raises(ValidationError) as refused:
        record_create(
            meeting=meeting, author=cast.mo, actor=None, data=RecordInput(helpful="x" * 20_001)
        )
    assert refused.value.message_dict == {
        "helpful": ["Keep what was helpful under 20,000 characters."]
    }


def test_held_meeting_helper_is_in_the_past(cast: Cast) -> None:
    # Guards the other tests: a held meeting must lie before now.
    meeting = held_meeting(make_pair(cast), days_ago=1)
    assert meeting.starts_at < meeting.created_at - timedelta(hours=23)
