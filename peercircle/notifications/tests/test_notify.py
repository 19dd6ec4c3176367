from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test import TestCase

from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.notifications.services import notification_mark_read, notify
from peercircle.organisations.tenancy import scopes_disabled


@pytest.mark.django_db
def test_a_notification_is_emailed_after_the_transaction_commits(cast: Cast) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks:
        notify(person=cast.mo, kind="test", title="Hello", body="A plain message", link="/x/")
        assert mail.outbox == []
    assert len(callbacks) == 1
    assert mail.outbox[0].to == ["mo@tri-borough.example"]
    assert "http://127.0.0.1:8000/x/" in mail.outbox[0].body
    assert Notification.objects.get(person=cast.mo).emailed_at is not None


@pytest.mark.django_db
def test_a_rolled_back_action_sends_nothing(cast: Cast) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        try:
            with transaction.atomic():
                notify(person=cast.mo, kind="test", title="Hello")
                raise RuntimeError("the action failed")
        except RuntimeError:
            pass
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_the_same_dedupe_key_notifies_once(cast: Cast) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        first = notify(person=cast.mo, kind="nudge", title="Time to meet", dedupe_key="nudge:1")
        second = notify(person=cast.mo, kind="nudge", title="Time to meet", dedupe_key="nudge:1")
    assert first is not None and second is None
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_mark_read(cast: Cast) -> None:
    notify(person=cast.mo, kind="a", title="One", email=False)
    notify(person=cast.mo, kind="b", title="Two", email=False)
    assert notification_mark_read(person=cast.mo) == 2
    assert notification_mark_read(person=cast.mo) == 0


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_notification_at_once_send_it_once(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    barrier = threading.Barrier(2)
    results: list[object] = []

    def worker() -> None:
        with scopes_disabled():
            barrier.wait()
            with transaction.atomic():
                results.append(
                    notify(
                        person=cast.mo,
                        kind="nudge",
                        title="Meet?",
                        dedupe_key="race:1",
                        email=False,
                    )
                )
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(r is None for r in results) == [False, True]
    assert Notification.objects.filter(dedupe_key="race:1").count() == 1
