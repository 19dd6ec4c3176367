"""The records gate, branch by branch, beyond the generated matrix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peercircle.conftest import Cast, join, make_person
from peercircle.meetings.tests.helpers import held_meeting, make_pair
from peercircle.people.models import Membership, Person
from peercircle.people.viewer import viewer_for_person
from peercircle.records.access import access_record, is_barred, standing_of
from peercircle.records.models import RecordRead
from peercircle.records.policy import POLICIES, Action, Standing, describe
from peercircle.records.services import RecordInput, record_create
from peercircle.records.tests.helpers import write_record
from peercircle.relationships.allegations.models import Allegation, AllegationStatus
from peercircle.relationships.choices import EndReason, Purpose, Side, Status
from peercircle.relationships.services import (
    relationship_create,
    relationship_end,
    relationship_transition,
)
from peercircle.schemes.choices import Role, SchemeType
from peercircle.schemes.choices import Status as MemberStatus
from peercircle.schemes.services import scheme_create

pytestmark = pytest.mark.django_db


def _pause(cast: Cast) -> object:
    pair = make_pair(cast)
    record = write_record(cast, held_meeting(pair))
    relationship_transition(
        relationship=pair, to_status=Status.SUSPENDED, actor=None, expected_version=pair.version
    )
    record.relationship.refresh_from_db()
    return record


def test_an_open_allegation_bars_its_subject_from_the_paused_records(cast: Cast) -> None:
    record = _pause(cast)
    allegation = Allegation.objects.create(
        organisation=cast.org, subject=cast.mo, received_on=timezone.localdate(), reference="R1"
    )
    relationship = record.relationship  # type: ignore[attr-defined]
    assert is_barred(cast.mo, relationship)
    assert not is_barred(cast.mia, relationship)
    with pytest.raises(Http404):
        access_record(viewer_for_person(cast.mo), record.pk, purpose=Action.READ)  # type: ignore[attr-defined]
    access_record(viewer_for_person(cast.mia), record.pk, purpose=Action.READ)  # type: ignore[attr-defined]
    # Once the allegation is concluded, the subject reads again.
    allegation.status = AllegationStatus.CONCLUDED
    allegation.save()
    assert not is_barred(cast.mo, relationship)


def test_a_suspended_role_in_the_scheme_bars_too(cast: Cast) -> None:
    record = _pause(cast)
    Membership.objects.filter(person=cast.mo).update(status=MemberStatus.SUSPENDED)
    assert is_barred(cast.mo, record.relationship)  # type: ignore[attr-defined]
    assert standing_of(viewer_for_person(cast.mo), record.relationship) == Standing.BARRED_PARTY  # type: ignore[attr-defined]


def test_former_parties_keep_reading_their_own_records_after_the_end(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    pair = make_pair(cast)
    record = write_record(cast, held_meeting(pair))
    relationship_end(
        relationship=pair, reason=EndReason.CHANGE_ASKED, actor=None, expected_version=pair.version
    )
    url = reverse("records:detail", args=[record.pk])
    for person in (cast.mo, cast.mia):
        assert client_for(person).get(url).status_code == 200
        assert (
            client_for(person).get(reverse("records:export", args=[record.pk])).status_code == 200
        )
        assert client_for(person).get(reverse("records:edit", args=[record.pk])).status_code == 404
    assert RecordRead.objects.count() == 4


def test_a_supervisor_needs_the_supervisor_role_in_the_scheme(cast: Cast) -> None:
    pair = make_pair(cast)
    assert standing_of(viewer_for_person(cast.sam), pair) == Standing.SUPERVISOR
    Membership.objects.filter(person=cast.sam).update(status=MemberStatus.LEFT)
    assert standing_of(viewer_for_person(cast.sam), pair) == Standing.NONE


def test_line_managers_never_read_peer_records_even_if_the_setting_says_so(cast: Cast) -> None:
    rotation = scheme_create(
        organisation=cast.org,
        name="Staff peers",
        scheme_type=SchemeType.ROTATION,
        actor=None,
        slug="peers",
    )
    rotation.records_readable_by_supervisor = True
    rotation.save()
    ann = make_person(cast.org, "Ann", supervisor=cast.sam)
    ben = make_person(cast.org, "Ben")
    join(ann, rotation, Role.PEER)
    join(ben, rotation, Role.PEER)
    # The rotation template has no supervisor role today; the policy holds even if one is added.
    Membership.objects.create(
        organisation=cast.org,
        person=cast.sam,
        scheme=rotation,
        role=Role.SUPERVISOR,
        status="active",
    )
    peers = relationship_create(
        scheme=rotation,
        members=[(ann, Side.PEER), (ben, Side.PEER)],
        purpose=Purpose.PEER,
        actor=None,
        started_on=timezone.localdate() - timedelta(days=30),
    )
    record = record_create(
        meeting=held_meeting(peers),
        author=ann,
        actor=None,
        data=RecordInput(discussion="Workload"),
    )
    sam = viewer_for_person(cast.sam)
    assert standing_of(sam, peers) == Standing.SUPERVISOR
    with pytest.raises(Http404):
        access_record(sam, record.pk, purpose=Action.READ)
    assert not POLICIES[SchemeType.ROTATION].supervisor_may_read
    assert "supervising social worker" not in " ".join(describe(rotation))


def test_every_scheme_type_has_a_written_policy() -> None:
    assert set(POLICIES) == set(SchemeType.values)
    for policy in POLICIES.values():
        assert policy.words.strip()


def test_the_gate_logs_reads_but_not_the_break_glass_form(cast: Cast) -> None:
    record = write_record(cast, held_meeting(make_pair(cast)))
    cora = viewer_for_person(cast.cora)
    access_record(cora, record.pk, purpose=Action.BREAK_GLASS)
    assert not RecordRead.objects.exists()
    access_record(viewer_for_person(cast.mia), record.pk, purpose=Action.READ, path="/api/x")
    assert RecordRead.objects.get().path == "/api/x"
    oz = viewer_for_person(cast.oz)
    with pytest.raises(Http404):
        access_record(oz, record.pk, purpose=Action.LIST)
    with pytest.raises(Http404):
        access_record(oz, 10_000, purpose=Action.READ)


def test_a_person_in_two_roles_is_a_party_first(cast: Cast) -> None:
    """In 003 every member is also in the people circle: their own records they read as a
    party, the others' only as the coordinator setting allows."""
    join(cast.mo, cast.scheme, Role.COORDINATOR)
    pair = make_pair(cast)
    mo = viewer_for_person(cast.mo)
    assert standing_of(mo, pair) == Standing.PARTY
    kim = make_person(cast.org, "Kim", category="mainstream")
    join(kim, cast.scheme, Role.MENTEE)
    other = relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (kim, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
    assert standing_of(mo, other) == Standing.PARTY
    assert standing_of(viewer_for_person(cast.cora), other) == Standing.COORDINATOR
