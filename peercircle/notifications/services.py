"""Tell people things: in PeerCircle and by e-mail, each at most once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from peercircle.notifications.models import Notification

if TYPE_CHECKING:
    from peercircle.people.models import Person


def notify(
    *,
    person: Person,
    kind: str,
    title: str,
    body: str = "",
    link: str = "",
    dedupe_key: str = "",
    email: bool = True,
    attachments: list[tuple[str, bytes, str]] | None = None,
) -> Notification | None:
    """Notify ``person``; returns None when a notification with ``dedupe_key`` already exists.

    The e-mail leaves only after the surrounding transaction commits, so a rolled-back action
    sends nothing. Callers must not put confidential text in ``title`` or ``body``.
    """
    try:
        with transaction.atomic():
            notification = Notification.objects.create(
                organisation_id=person.organisation_id,
                person=person,
                kind=kind,
                title=title[:200],
                body=body,
                link=link,
                dedupe_key=dedupe_key,
            )
    except IntegrityError:
        if (
            dedupe_key
            and Notification.objects.filter(
                organisation_id=person.organisation_id, dedupe_key=dedupe_key
            ).exists()
        ):
            return None
        raise
    if email and person.email:
        address = person.email
        transaction.on_commit(
            lambda: _send(notification.pk, address, title, body, link, attachments or [])
        )
    return notification


def _send(
    notification_id: int,
    address: str,
    title: str,
    body: str,
    link: str,
    attachments: list[tuple[str, bytes, str]],
) -> None:
    text = body
    if link:
        text = f"{body}\n\n{settings.SITE_URL}{link}".strip()
    message = EmailMessage(subject=title, body=text + "\n\nPeerCircle\n", to=[address])
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    message.send()
    Notification.objects.filter(pk=notification_id).update(emailed_at=timezone.now())


def notification_mark_read(*, person: Person, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of ``person`` read; returns how many."""
    unread = Notification.objects.filter(person=person, read_at=None)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
