"""Owning, moving and noting concerns; requests for support; two coordinators at once."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import TestCase

from peercircle.audit.models import AuditEvent
from peercircle.concerns.choices import Severity, Source, Status
from peercircle.concerns.models import Concern, ConcernNote
from peercircle.concerns.services import (
    ConcernChanged,
    concern_assign,
    concern_note_add,
    concern_raise,
    concern_set_status,
    support_request_send,
)
from peercircle.conftest import Cast, join, make_person
from peercircle.notifications.models import Notification
from peercircle.relationships.models import Relationship
from peercircle.schemes.choices import Role
from peercircle.schemes.choices import Status as MemberStatus

pytestmark = pytest.mark.django_db


def raise_one(cast: Cast, severity: str = Severity.MEDIUM) -> Concern:
    concern = concern_raise(
        scheme=cast.scheme, source=Source.MANUAL, severity=severity, actor=None, message="Seen"
    )
    assert concern is not None
    return concern


def test_the_message_and_notes_are_encrypted_at_rest(cast: Cast) -> None:
    concern = raise_one(cast)
    concern_note_add(concern=concern, author=cast.cora, text="Phoned Mia today", actor=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT message FROM concerns_concern WHERE id = %s", [concern.pk])
        (message,) = cursor.fetchone()
        cursor.execute("SELECT text FROM concerns_concernnote WHERE concern_id = %s", [concern.pk])
        (note,) = cursor.fetchone()
    assert message.startswith("enc1:") and "Seen" not in message
    assert note.startswith("enc1:") and "Phoned" not in note
    assert ConcernNote.objects.get().text == "Phoned Mia today"


def test_taking_a_concern_makes_it_in_progress_and_leaves_history(cast: Cast) -> None:
    concern = raise_one(cast)
    concern_assign(
        concern=concern, owner=cast.cora, actor=cast.cora.user, expected_version=concern.version
    )
    assert (concern.owner, concern.status, concern.version) == (cast.cora, Status.IN_PROGRESS, 2)
    assert list(concern.events.values_list("action", flat=True)) == ["raised", "owner"]
    assert AuditEvent.objects.filter(action="concern.owner", target_id=str(concern.pk)).exists()


def test_only_a_coordinator_of_the_scheme_or_an_admin_can_own_it(cast: Cast) -> None:
    concern = raise_one(cast)
    with pytest.raises(ValidationError, match="Mo Example does not coordinate Carer mentoring"):
        concern_assign(concern=concern, owner=cast.mo, actor=None, expected_version=1)
    concern_assign(concern=concern, owner=cast.ada, actor=None, expected_version=1)
    assert concern.owner == cast.ada


def test_a_suspended_coordinator_cannot_own_it(cast: Cast) -> None:
    cora = cast.cora.memberships.get()
    cora.status = MemberStatus.SUSPENDED
    cora.save(update_fields=["status"])
    with pytest.raises(ValidationError, match="does not coordinate"):
        concern_assign(concern=raise_one(cast), owner=cast.cora, actor=None, expected_version=1)


def test_the_second_of_two_coordinators_acting_at_once_is_told_what_changed(cast: Cast) -> None:
    carl = make_person(cast.org, "Carl", two_factor=True)
    join(carl, cast.scheme, Role.COORDINATOR)
    concern = raise_one(cast)
    seen_by_carl = Concern.objects.get(pk=concern.pk)
    concern_assign(
        concern=concern, owner=cast.cora, actor=cast.cora.user, expected_version=concern.version
    )
    with pytest.raises(ConcernChanged, match="cora@tri-borough.example changed it .*Owner: Cora"):
        concern_set_status(
            concern=seen_by_carl,
            to_status=Status.CLOSED,
            actor=carl.user,
            expected_version=seen_by_carl.version,
        )
    concern.refresh_from_db()
    assert (concern.status, concern.owner) == (Status.IN_PROGRESS, cast.cora)


@pytest.mark.parametrize(
    ("path", "refused", "message"),
    [
        ([], Status.NEW, "already new"),
        ([Status.CLOSED], Status.IN_PROGRESS, "A closed concern stays closed"),
        ([Status.IN_PROGRESS], Status.NEW, "An in progress concern cannot become new"),
    ],
)
def test_impossible_status_changes_are_refused_plainly(
    cast: Cast, path: list[str], refused: str, message: str
) -> None:
    concern = raise_one(cast)
    for status in path:
        concern_set_status(
            concern=concern, to_status=status, actor=None, expected_version=concern.version
        )
    with pytest.raises(ValidationError, match=message):
        concern_set_status(
            concern=concern, to_status=refused, actor=None, expected_version=concern.version
        )


def test_a_resolved_concern_can_be_reopened(cast: Cast) -> None:
    concern = raise_one(cast)
    for status in (Status.RESOLVED, Status.IN_PROGRESS):
        concern_set_status(
            concern=concern, to_status=status, actor=None, expected_version=concern.version
        )
    assert concern.status == Status.IN_PROGRESS


def test_an_empty_or_long_note_is_refused(cast: Cast) -> None:
    concern = raise_one(cast)
    with pytest.raises(ValidationError, match="Write the note"):
        concern_note_add(concern=concern, author=cast.cora, text="   ", actor=None)
    with pytest.raises(ValidationError, match="under 5000 characters"):
        concern_note_add(concern=concern, author=cast.cora, text="x" * 5001, actor=None)
    assert not ConcernNote.objects.exists()


def test_a_request_for_support_reaches_the_coordinators(cast: Cast) -> None:
    with TestCase.captureOnCommitCallbacks(execute=True):
        concern = support_request_send(
            person=cast.mia,
            scheme=cast.scheme,
            message="I am finding placements hard",
            severity=Severity.HIGH,
            actor=cast.mia.user,
        )
    assert (concern.source, concern.raised_by, concern.about) == (
        Source.SUPPORT_REQUEST,
        cast.mia,
        cast.mia,
    )
    assert [m.to for m in mail.outbox] == [["cora@tri-borough.example"]]
    assert "placements" not in mail.outbox[0].body


def test_a_scheme_without_coordinators_sends_concerns_to_the_admins(cast: Cast) -> None:
    cast.cora.memberships.update(status=MemberStatus.LEFT)
    raise_one(cast)
    assert [n.person for n in Notification.objects.filter(kind="concern")] == [cast.ada]


def test_a_request_for_support_needs_a_message_and_ones_own_scheme(cast: Cast) -> None:
    with pytest.raises(ValidationError, match="what you would like help with"):
        support_request_send(
            person=cast.mia, scheme=cast.scheme, message=" ", severity="medium", actor=None
        )
    with pytest.raises(ValidationError, match="one of your own schemes"):
        support_request_send(
            person=cast.oz, scheme=cast.scheme, message="Help", severity="medium", actor=None
        )
    assert not Concern.objects.exists()


def test_a_request_about_someone_elses_relationship_is_refused(
    cast: Cast, pair: Relationship
) -> None:
    with pytest.raises(ValidationError, match="one of your own relationships"):
        support_request_send(
            person=cast.sam,
            scheme=cast.scheme,
            message="Help",
            severity="medium",
            actor=None,
            relationship=pair,
        )


def test_the_person_who_asked_hears_how_it_stands_but_not_the_notes(cast: Cast) -> None:
    concern = support_request_send(
        person=cast.mia, scheme=cast.scheme, message="Help", severity="medium", actor=None
    )
    concern_note_add(concern=concern, author=cast.cora, text="Secret plan", actor=None)
    concern_assign(concern=concern, owner=cast.cora, actor=None, expected_version=concern.version)
    concern_set_status(
        concern=concern, to_status=Status.RESOLVED, actor=None, expected_version=concern.version
    )
    told = list(
        Notification.objects.filter(person=cast.mia).order_by("id").values_list("title", flat=True)
    )
    assert told == [
        "Your request for support: a coordinator is on it",
        "Your request for support: resolved",
    ]
    assert not Notification.objects.filter(body__contains="Secret").exists()
