"""A meeting record saved with difficulty flags becomes one concern for the coordinator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import TestCase

from peercircle.concerns.choices import Severity, Source, Status
from peercircle.concerns.models import Concern, ConcernEvent
from peercircle.concerns.services import concern_raise_for_flags, concern_set_status
from peercircle.concerns.tests.conftest import FakeRecord
from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.relationships.models import Relationship

pytestmark = pytest.mark.django_db


def test_it_raises_a_concern_for_the_coordinator_with_the_flags(
    cast: Cast, pair: Relationship
) -> None:
    assert cast.mo.user is not None
    with TestCase.captureOnCommitCallbacks(execute=True):
        concern = concern_raise_for_flags(
            record=FakeRecord(41, pair), flags=["stressed", "overworked"], actor=cast.mo.user
        )
    assert concern is not None
    assert concern.source == Source.FLAG
    assert concern.flags == ["overworked", "stressed"]
    assert concern.severity == Severity.MEDIUM
    assert concern.due_at - concern.raised_at == timedelta(days=7)
    assert concern.relationship == pair and concern.record_id == 41
    assert concern.raised_by == cast.mo and concern.owner is None
    assert [n.person for n in Notification.objects.filter(kind="concern")] == [cast.cora]
    assert [m.to for m in mail.outbox] == [["cora@tri-borough.example"]]
    # The e-mail names neither the people nor the flags: e-mail leaves the organisation.
    assert "Mia" not in mail.outbox[0].body and "stressed" not in mail.outbox[0].body.lower()


def test_safeguarding_is_urgent_and_due_within_a_day(cast: Cast, pair: Relationship) -> None:
    concern = concern_raise_for_flags(
        record=FakeRecord(7, pair), flags=["overworked", "safeguarding"], actor=None
    )
    assert concern is not None
    assert concern.severity == Severity.URGENT
    assert concern.due_at - concern.raised_at == timedelta(days=1)


def test_saving_the_record_again_adds_new_flags_to_the_same_concern(
    cast: Cast, pair: Relationship
) -> None:
    record = FakeRecord(9, pair)
    first = concern_raise_for_flags(record=record, flags=["overworked"], actor=None)
    again = concern_raise_for_flags(record=record, flags=["overworked"], actor=None)
    more = concern_raise_for_flags(record=record, flags=["overworked", "struggling"], actor=None)
    assert first is not None and again is not None and more is not None
    assert first.pk == again.pk == more.pk
    assert Concern.objects.count() == 1
    assert more.flags == ["overworked", "struggling"]
    # A more serious flag makes the concern more urgent, and brings its due date forward.
    assert more.severity == Severity.HIGH
    assert more.due_at == more.raised_at + timedelta(days=3)
    assert more.version == first.version + 1
    actions = list(ConcernEvent.objects.filter(concern=more).values_list("action", flat=True))
    assert actions == ["raised", "flags"]
    # The coordinator is told of the new flag as well as of the concern itself.
    assert Notification.objects.filter(person=cast.cora).count() == 2


def test_a_less_serious_new_flag_keeps_the_severity_and_due_date(
    cast: Cast, pair: Relationship
) -> None:
    record = FakeRecord(10, pair)
    first = concern_raise_for_flags(record=record, flags=["needs_support"], actor=None)
    more = concern_raise_for_flags(record=record, flags=["overworked"], actor=None)
    assert first is not None and more is not None
    assert more.flags == ["overworked", "needs_support"]
    assert (more.severity, more.due_at) == (Severity.HIGH, first.due_at)


def test_a_record_without_flags_raises_nothing(cast: Cast, pair: Relationship) -> None:
    assert concern_raise_for_flags(record=FakeRecord(1, pair), flags=[], actor=None) is None
    assert not Concern.objects.exists()


def test_an_unknown_flag_is_refused_with_the_known_ones(cast: Cast, pair: Relationship) -> None:
    with pytest.raises(ValueError, match="known flags are overworked"):
        concern_raise_for_flags(record=FakeRecord(1, pair), flags=["sad"], actor=None)
    assert not Concern.objects.exists()


def test_after_resolving_only_new_flags_raise_a_new_concern(cast: Cast, pair: Relationship) -> None:
    record = FakeRecord(12, pair)
    first = concern_raise_for_flags(record=record, flags=["stressed"], actor=None)
    assert first is not None
    concern_set_status(
        concern=first, to_status=Status.RESOLVED, actor=None, expected_version=first.version
    )
    assert concern_raise_for_flags(record=record, flags=["stressed"], actor=None) is None
    second = concern_raise_for_flags(record=record, flags=["stressed", "in_conflict"], actor=None)
    assert second is not None and second.pk != first.pk
    assert second.is_open
    assert Concern.objects.filter(record_id=12).count() == 2
