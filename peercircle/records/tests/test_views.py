"""Record pages: writing through the form, the read log, break-glass, downloads, and fixed query
counts on the list."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from peercircle.audit.models import AuditEvent
from peercircle.concerns.models import Concern
from peercircle.conftest import Cast
from peercircle.meetings.tests.helpers import held_meeting, make_pair
from peercircle.people.models import Person
from peercircle.records.choices import Via
from peercircle.records.models import BreakGlass, Record, RecordRead
from peercircle.records.tests.helpers import (
    ACTION,
    DISCUSSION,
    HELPFUL,
    assert_no_record_text_sent,
    write_record,
)

pytestmark = pytest.mark.django_db
Clients = Callable[[Person], Client]


def _form(**fields: str | list[str]) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "discussion": "",
        "helpful": "",
        "not_helpful": "",
        "action_1": "",
        "owner_1": "",
        "action_2": "",
        "owner_2": "",
        "action_3": "",
        "owner_3": "",
    }
    data.update(fields)
    return data


def test_a_mentor_writes_a_record_with_an_action_and_a_flag(
    cast: Cast, client_for: Clients, django_capture_on_commit_callbacks: object
) -> None:
    meeting = held_meeting(make_pair(cast))
    client = client_for(cast.mo)
    form_page = client.get(reverse("records:for_meeting", args=[meeting.pk]), follow=True)
    assert form_page.status_code == 200
    assert b"Write the record" in form_page.content
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        response = client.post(
            reverse("records:create", args=[meeting.pk]),
            _form(
                discussion=DISCUSSION,
                helpful=HELPFUL,
                action_1=ACTION,
                owner_1=str(cast.mia.pk),
                flags=["needs_support"],
            ),
        )
    record = Record.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("records:detail", args=[record.pk])
    assert record.discussion == DISCUSSION and record.flags == ["needs_support"]
    assert record.actions.get().owner == cast.mia
    assert Concern.objects.get().record_id == record.pk
    assert_no_record_text_sent()
    page = client.get(response["Location"]).content.decode()
    assert DISCUSSION in page and ACTION in page and "Needs support" in page


def test_a_bad_form_says_what_is_wrong_and_saves_nothing(cast: Cast, client_for: Clients) -> None:
    meeting = held_meeting(make_pair(cast))
    response = client_for(cast.mo).post(
        reverse("records:create", args=[meeting.pk]),
        _form(discussion="Fine", action_1="Ring the school"),
    )
    assert response.status_code == 200
    assert "Choose whose action this is." in response.content.decode()
    assert not Record.objects.exists()
    empty = client_for(cast.mo).post(reverse("records:create", args=[meeting.pk]), _form())
    assert "The record is empty" in empty.content.decode()
    assert not Record.objects.exists()


def test_every_read_is_logged_and_the_parties_see_who_read(cast: Cast, client_for: Clients) -> None:
    # The fostering template lets supervising social workers read; Sam supervises Mia.
    record = write_record(cast, held_meeting(make_pair(cast)))
    url = reverse("records:detail", args=[record.pk])
    assert client_for(cast.sam).get(url).status_code == 200
    mias_view = client_for(cast.mia).get(url).content.decode()
    reads = list(RecordRead.objects.order_by("at", "id"))
    assert [(r.reader, r.via, r.path) for r in reads] == [
        (cast.sam, Via.PAGE, url),
        (cast.mia, Via.PAGE, url),
    ]
    assert "Who has opened this record" in mias_view and "Sam Example" in mias_view
    # Sam may read but is not a party: he does not see the log.
    assert "Who has opened this record" not in client_for(cast.sam).get(url).content.decode()
    client_for(cast.mo).get(reverse("records:export", args=[record.pk]))
    assert RecordRead.objects.filter(reader=cast.mo, via=Via.EXPORT).exists()


def test_the_list_shows_flags_but_never_text_to_a_coordinator(
    cast: Cast, client_for: Clients
) -> None:
    pair = make_pair(cast)
    record = write_record(cast, held_meeting(pair), flags=("safeguarding",))
    page = client_for(cast.cora).get(reverse("records:list", args=[pair.pk])).content.decode()
    assert "Safeguarding concern" in page
    assert DISCUSSION not in page and HELPFUL not in page
    assert reverse("records:break_glass", args=[record.pk]) in page
    assert f'href="{reverse("records:detail", args=[record.pk])}"' not in page
    assert client_for(cast.cora).get(reverse("records:detail", args=[record.pk])).status_code == 404
    assert not RecordRead.objects.exists()


def test_break_glass_needs_a_reason_is_logged_and_tells_the_parties_without_it(
    cast: Cast,
    client_for: Clients,
    django_capture_on_commit_callbacks: object,
    time_machine: object,
) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)), flags=("safeguarding",))
    cora = client_for(cast.cora)
    glass = reverse("records:break_glass", args=[record.pk])
    detail = reverse("records:detail", args=[record.pk])
    short = cora.post(glass, {"reason": "children", "details": "worried", "confirm": "on"})
    assert "at least 20 characters" in short.content.decode()
    assert not BreakGlass.objects.exists()
    reason = "The referral names a child at risk tonight; police involved, ref 77"
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        opened = cora.post(glass, {"reason": "children", "details": reason, "confirm": "on"})
    assert opened.status_code == 302 and opened["Location"] == detail
    assert DISCUSSION in cora.get(detail).content.decode()
    assert RecordRead.objects.get().via == Via.BREAK_GLASS
    event = AuditEvent.objects.get(action="record.break_glass")
    assert event.actor == cast.cora.user and reason not in event.summary
    # Both parties are told, by name of who opened it, without the reason or the record.
    assert sorted(m.to[0] for m in mail.outbox) == [
        "mia@tri-borough.example",
        "mo@tri-borough.example",
    ]
    for message in mail.outbox:
        assert "Cora Example" in message.body and "safeguarding reason" in message.body
        assert "police" not in message.body and "referral" not in message.body
    assert_no_record_text_sent()
    # Admins see the reason on the safeguarding log; the parties see only that it happened.
    log = reverse("records:break_glass_log")
    assert reason in client_for(cast.ada).get(log).content.decode()
    assert client_for(cast.cora).get(log).status_code == 404
    mias_view = client_for(cast.mia).get(detail).content.decode()
    assert reason not in mias_view and "Safeguarding access" in mias_view
    # The access lasts an hour.
    time_machine.move_to(timezone.now() + timedelta(minutes=61))  # type: ignore[attr-defined]
    assert cora.get(detail).status_code == 404


def test_a_coordinator_who_may_read_has_no_break_glass(cast: Cast, client_for: Clients) -> None:
    cast.scheme.records_readable_by_coordinator = True
    cast.scheme.save()
    record = write_record(cast, held_meeting(make_pair(cast)))
    cora = client_for(cast.cora)
    assert cora.get(reverse("records:detail", args=[record.pk])).status_code == 200
    assert cora.get(reverse("records:break_glass", args=[record.pk])).status_code == 404


def test_the_download_is_a_plain_text_copy_for_the_parties(cast: Cast, client_for: Clients) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)))
    response = client_for(cast.mia).get(reverse("records:export", args=[record.pk]))
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="meeting-record-')
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    assert DISCUSSION in text and ACTION in text and "Between: Mia Example and Mo Example" in text


def test_a_second_device_is_told_what_changed_and_keeps_its_text(
    cast: Cast, client_for: Clients
) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)))
    edit = reverse("records:edit", args=[record.pk])
    client_for(cast.mia).post(edit, _form(discussion="Mia's version", version=str(record.version)))
    response = client_for(cast.mo).post(
        edit, _form(discussion="Mo's late version", version=str(record.version))
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Mia Example saved this record" in page
    assert "Mo&#x27;s late version" in page  # still in the form
    assert "Mia&#x27;s version" in page  # shown as saved now
    assert Record.objects.get().discussion == "Mia's version"
    # Saving again, knowingly, replaces it.
    again = client_for(cast.mo).post(
        edit, _form(discussion="Mo's late version", version=str(record.version + 1))
    )
    assert again.status_code == 302
    assert Record.objects.get().discussion == "Mo's late version"


def test_the_list_page_takes_the_same_queries_for_3_or_30_records(
    cast: Cast, client_for: Clients
) -> None:
    pair = make_pair(cast)
    client = client_for(cast.mo)
    url = reverse("records:list", args=[pair.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    for days in range(3):
        write_record(cast, held_meeting(pair, days_ago=days + 1), flags=("stressed",))
    few = count()
    for days in range(3, 30):
        write_record(cast, held_meeting(pair, days_ago=days + 1))
    assert count() == few
    assert few <= 16
    # No text was decrypted to draw the list.
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert not any("discussion" in q["sql"] for q in queries.captured_queries)
