"""Record text never reaches Django's error reports: not the POST data, not a local variable of
any frame under a record view, in the e-mail an operator gets, the HTML report or the log line."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils.log import AdminEmailHandler

from peercircle.conftest import Cast
from peercircle.meetings.tests.helpers import held_meeting, make_pair
from peercircle.people.models import Person
from peercircle.records import services
from peercircle.records.tests.helpers import DISCUSSION, HELPFUL, write_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def error_mail(settings: object) -> Iterator[None]:
    """The operator's usual set-up: errors of ``django.request`` e-mailed to ADMINS, with the
    full HTML report attached (the most that Django's reports can carry)."""
    settings.ADMINS = [("Ops", "ops@example.org")]  # type: ignore[attr-defined]
    settings.DEBUG = False  # type: ignore[attr-defined]
    handler = AdminEmailHandler(include_html=True)
    handler.setLevel(logging.ERROR)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


def _boom(**kwargs: object) -> None:
    data = kwargs.get("data")
    text_in_a_local = getattr(data, "discussion", "")
    raise RuntimeError(f"database went away ({len(text_in_a_local)} characters)")


def _everything_sent() -> str:
    parts: list[str] = []
    for message in mail.outbox:
        parts.append(str(message.subject))
        parts.append(str(message.body))
        parts.extend(str(content) for content, _ in getattr(message, "alternatives", []))
    return "\n".join(parts)


def test_a_crash_while_saving_a_record_reports_no_text(
    cast: Cast,
    client_for: Callable[[Person], Client],
    error_mail: None,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    meeting = held_meeting(make_pair(cast))
    monkeypatch.setattr(services, "record_create", _boom)
    client = client_for(cast.mo)
    client.raise_request_exception = False
    response = client.post(
        reverse("records:create", args=[meeting.pk]),
        {"discussion": DISCUSSION, "helpful": HELPFUL, "flags": ["stressed"]},
    )
    assert response.status_code == 500
    assert mail.outbox and all(m.to == ["ops@example.org"] for m in mail.outbox)
    report = _everything_sent()
    assert "RuntimeError" in report and "database went away" in report
    assert "text_in_a_local" in report  # the frames are there, their values are not
    assert DISCUSSION not in report and HELPFUL not in report
    assert DISCUSSION not in caplog.text and HELPFUL not in caplog.text


def test_a_crash_while_showing_a_record_reports_no_text(
    cast: Cast,
    client_for: Callable[[Person], Client],
    error_mail: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)))

    def broken_actions(record: object) -> None:
        shown = record.discussion  # type: ignore[attr-defined]
        raise ValueError(f"template missing ({len(shown)})")

    monkeypatch.setattr("peercircle.records.selectors.actions_of", broken_actions)
    client = client_for(cast.mia)
    client.raise_request_exception = False
    assert client.get(reverse("records:detail", args=[record.pk])).status_code == 500
    report = _everything_sent()
    assert "template missing" in report
    assert DISCUSSION not in report and HELPFUL not in report


def test_the_input_object_never_prints_its_text() -> None:
    data = services.RecordInput(discussion=DISCUSSION, flags=["stressed"])
    assert DISCUSSION not in repr(data) and DISCUSSION not in str(data)
    assert "stressed" in repr(data)
