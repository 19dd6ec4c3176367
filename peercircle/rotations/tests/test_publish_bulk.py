"""Publishing writes a round in bulk: its cost in queries does not grow with the scheme."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.relationships.choices import EndReason, Status
from peercircle.relationships.models import Relationship, RelationshipEvent
from peercircle.rotations import services
from peercircle.rotations.models import RotationRound, RoundStatus
from peercircle.rotations.tests.helpers import add_peers, rotation_scheme

pytestmark = pytest.mark.django_db


def approved(scheme: Any, day: date) -> RotationRound:
    with time_machine.travel(day):
        rotation_round = services.round_preview(scheme=scheme, actor=None)
        services.round_approve(rotation_round=rotation_round, actor=None, rotation_date=day)
    return rotation_round


def publish_second_round(cast: Cast, size: int, slug: str) -> tuple[int, RotationRound]:
    """Queries publishing round 2 of a scheme of ``size`` peers takes (round 1 is replaced)."""
    scheme = rotation_scheme(cast, slug=slug)
    add_peers(cast, scheme, size, probation=1, prefix=slug.capitalize())
    first = approved(scheme, date(2026, 1, 5))
    with time_machine.travel(date(2026, 1, 5)):
        assert services.round_publish(rotation_round=first, actor=None)
    second = approved(scheme, date(2026, 7, 6))
    second = RotationRound.objects.select_related("scheme__organisation").get(pk=second.pk)
    with time_machine.travel(date(2026, 7, 6)), CaptureQueriesContext(connection) as captured:
        assert services.round_publish(rotation_round=second, actor=cast.cora.user)
    return len(captured), second


def test_publishing_takes_the_same_number_of_queries_for_6_and_60_members(cast: Cast) -> None:
    few, small = publish_second_round(cast, 6, "few")
    many, large = publish_second_round(cast, 60, "many")
    assert few == many, f"6 members: {few} queries, 60 members: {many}"
    for rotation_round, size in ((small, 6), (large, 60)):
        rotation_round.refresh_from_db()
        assert rotation_round.status == RoundStatus.PUBLISHED
        scheme = rotation_round.scheme
        pairs = rotation_round.pairs.count()
        # Every earlier relationship ended with its history and audit; the new ones started.
        ended = Relationship.objects.filter(scheme=scheme, status=Status.ENDED)
        assert ended.count() == pairs
        assert set(ended.values_list("end_reason", flat=True)) == {EndReason.ROTATION}
        assert RelationshipEvent.objects.filter(relationship__in=ended, action="ended").count() == (
            pairs
        )
        active = Relationship.objects.filter(scheme=scheme, status=Status.ACTIVE)
        assert active.count() == pairs
        assert set(rotation_round.pairs.values_list("relationship", flat=True)) == set(
            active.values_list("pk", flat=True)
        )
        assert (
            AuditEvent.objects.filter(
                action="relationship.create",
                source="rotation",
                target_id__in=[str(pk) for pk in active.values_list("pk", flat=True)],
            ).count()
            == pairs
        )
        told = Notification.objects.filter(
            kind="rotation.published", dedupe_key__startswith=f"rotation:{rotation_round.pk}:"
        )
        assert told.count() == size
        assert all("Your earlier pairing in this scheme ends" in n.body for n in told)


def test_publishing_emails_everyone_once_after_the_commit(
    cast: Cast, django_capture_on_commit_callbacks: Any, mailoutbox: list[Any]
) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 5, probation=1)
    rotation_round = approved(scheme, date(2026, 7, 6))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.round_publish(rotation_round=rotation_round, actor=None)
    assert mailoutbox == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert sorted(m.to[0] for m in mailoutbox) == sorted(p.email for p in people)
    assert all(
        m.subject.startswith("Your peers in Staff peers from 6 July 2026") for m in mailoutbox
    )
    told = Notification.objects.filter(kind="rotation.published")
    assert told.count() == 5
    assert not told.filter(emailed_at__isnull=True).exists()


def test_notify_many_skips_what_was_already_sent(cast: Cast) -> None:
    from peercircle.notifications.services import Message, notify, notify_many

    notify(person=cast.mo, kind="k", title="Once", dedupe_key="once:mo")
    created = notify_many(
        [
            Message(person=cast.mo, kind="k", title="Again", dedupe_key="once:mo"),
            Message(person=cast.mia, kind="k", title="New", dedupe_key="once:mia"),
            Message(person=cast.mia, kind="k", title="Twice in one batch", dedupe_key="once:mia"),
            Message(person=cast.oz, kind="k", title="Undeduplicated"),
        ]
    )
    assert [(n.person, n.title) for n in created] == [
        (cast.mia, "New"),
        (cast.oz, "Undeduplicated"),
    ]
    assert Notification.objects.filter(kind="k").count() == 3
    assert notify_many([Message(person=cast.mia, kind="k", title="x", dedupe_key="once:mia")]) == []
