"""Builders and checks shared by the records tests."""

from __future__ import annotations

from django.core import mail

from peercircle.conftest import Cast
from peercircle.meetings.models import Meeting
from peercircle.notifications.models import Notification
from peercircle.records.models import Record
from peercircle.records.services import NewAction, RecordInput, record_create

# Words that appear only in record text, so finding one anywhere else is a leak.
DISCUSSION = "Talked through the contact arrangements with the birth family of Jay"
HELPFUL = "Hearing how Mo handled a placement ending"
NOT_HELPFUL = "Running out of time before the school run"
ACTION = "Find the respite carers leaflet for Mia"
SECRETS = (DISCUSSION, HELPFUL, NOT_HELPFUL, ACTION, "birth family", "respite carers leaflet")


def write_record(cast: Cast, meeting: Meeting, *, flags: tuple[str, ...] = ()) -> Record:
    return record_create(
        meeting=meeting,
        author=cast.mo,
        actor=cast.mo.user,
        data=RecordInput(
            discussion=DISCUSSION,
            helpful=HELPFUL,
            not_helpful=NOT_HELPFUL,
            flags=flags,
            new_actions=[NewAction(text=ACTION, owner=cast.mo)],
        ),
    )


def assert_no_record_text_sent() -> None:
    """No e-mail (subject, body, alternatives, attachments) nor notification holds record text."""
    sent = []
    for message in mail.outbox:
        sent.append(str(message.subject))
        sent.append(str(message.body))
        sent.extend(str(content) for content, _ in getattr(message, "alternatives", []))
        sent.extend(str(a[1]) for a in message.attachments)
    for title, body in Notification.objects.values_list("title", "body"):
        sent.extend([title, body])
    everything = "\n".join(sent)
    for secret in SECRETS:
        assert secret not in everything, f"record text reached a message: {secret!r}"
