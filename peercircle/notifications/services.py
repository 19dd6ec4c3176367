"""Tell people things: in PeerCircle and by e-mail, each at most once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
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


@dataclass(frozen=True)
class Message:
    """One notification for ``notify_many``; the fields mean what ``notify``'s do."""

    person: Person
    kind: str
    title: str
    body: str = ""
    link: str = ""
    dedupe_key: str = ""


# Rows one query reads or writes (well under every database's parameter limit).
_CHUNK = 1000


def notify_many(messages: Sequence[Message], *, email: bool = True) -> list[Notification]:
    """``notify`` for many people at once (a rotation tells thousands), in a fixed number of
    queries: messages whose ``dedupe_key`` was already sent (or repeats an earlier message) are
    skipped. Returns the notifications created.

    The e-mails leave after the surrounding transaction commits, over one mail connection.
    Unlike ``notify``, a clash with a notification another writer is creating at the same
    moment is not absorbed: it raises ``IntegrityError``, so the caller's transaction fails
    whole and can be retried.
    """
    keys = [m.dedupe_key for m in messages if m.dedupe_key]
    sent: set[tuple[int, str]] = set()
    for start in range(0, len(keys), _CHUNK):
        sent.update(
            Notification.objects.filter(dedupe_key__in=keys[start : start + _CHUNK]).values_list(
                "organisation_id", "dedupe_key"
            )
        )
    fresh: list[Message] = []
    for message in messages:
        key = (message.person.organisation_id, message.dedupe_key)
        if message.dedupe_key:
            if key in sent:
                continue
            sent.add(key)
        fresh.append(message)
    created = Notification.objects.bulk_create(
        [
            Notification(
                organisation_id=m.person.organisation_id,
                person=m.person,
                kind=m.kind,
                title=m.title[:200],
                body=m.body,
                link=m.link,
                dedupe_key=m.dedupe_key,
            )
            for m in fresh
        ],
        batch_size=_CHUNK,
    )
    if email:
        mails = [
            (n.pk, m.person.email, m.title, m.body, m.link)
            for n, m in zip(created, fresh, strict=True)
            if m.person.email
        ]
        if mails:
            transaction.on_commit(lambda: _send_many(mails))
    return created


def _send_many(mails: list[tuple[int, str, str, str, str]]) -> None:
    messages = []
    for _, address, title, body, link in mails:
        text = f"{body}\n\n{settings.SITE_URL}{link}".strip() if link else body
        messages.append(EmailMessage(subject=title, body=text + "\n\nPeerCircle\n", to=[address]))
    with get_connection() as connection:
        connection.send_messages(messages)
    ids = [pk for pk, *_ in mails]
    now = timezone.now()
    for start in range(0, len(ids), _CHUNK):
        Notification.objects.filter(pk__in=ids[start : start + _CHUNK]).update(emailed_at=now)


def notification_mark_read(*, person: Person, notification_id: int | None = None) -> int:
    """Mark one (or every) unread notification of ``person`` read; returns how many."""
    unread = Notification.objects.filter(person=person, read_at=None)
    if notification_id is not None:
        unread = unread.filter(pk=notification_id)
    return unread.update(read_at=timezone.now())
