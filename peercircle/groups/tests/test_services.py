"""Group formation without HTTP: who is placed, sizes, history, edits, confirmation, bad input."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from matchengine.groups import parse_groups_problem, solve_groups
from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast, join
from peercircle.groups import services
from peercircle.groups.adapter import build_input
from peercircle.groups.balance import score_partition
from peercircle.groups.choices import FormationStatus, GroupStatus, Scope
from peercircle.groups.models import GroupFormation, GroupMembership, PeerGroup
from peercircle.groups.tests.helpers import add_peers, confirmed, form, group_scheme, partition
from peercircle.notifications.models import Notification
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people.models import Membership, SensitiveProfile
from peercircle.relationships.models import PairExclusion
from peercircle.schemes.choices import Role, Status
from peercircle.schemes.models import Scheme

pytestmark = pytest.mark.django_db


def _sizes(scheme: Scheme, low: int, high: int) -> None:
    Scheme.objects.filter(pk=scheme.pk).update(group_min_size=low, group_max_size=high)
    scheme.refresh_from_db()


# Who is placed --------------------------------------------------------------------------------


def test_only_participating_group_roles_not_yet_in_a_group_are_placed(cast: Cast) -> None:
    scheme = group_scheme(cast)
    peers = add_peers(cast, scheme, 10)
    applicants = add_peers(cast, scheme, 2, prefix="App", status=Status.APPLICANT)
    left = add_peers(cast, scheme, 1, prefix="Gone", status=Status.LEFT)
    experts = add_peers(cast, scheme, 1, prefix="Expert", role=Role.EXPERT)
    facilitators = add_peers(cast, scheme, 2, prefix="Fac", role=Role.MENTOR)
    # A peer who is also a facilitator is placed once.
    join(peers[0], scheme, Role.MENTOR)

    data = build_input(scheme, scope=Scope.WAITING, balance={"role": 1})

    expected = {p.pk for p in peers + facilitators} | {cast.mo.pk, cast.mia.pk}
    assert set(data.person_ids) == expected
    assert not {p.pk for p in applicants + left + experts} & set(data.person_ids)
    assert cast.cora.pk not in data.person_ids  # coordinators run groups, they are not in them
    roles = {m["id"]: m["attributes"]["role"] for m in data.problem["members"]}
    assert roles[str(peers[0].pk)] == "Mentor"
    assert roles[str(peers[1].pk)] == "Peer"


def test_people_in_an_active_group_wait_only_when_everyone_is_re_formed(cast: Cast) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    confirmed(cast, scheme)
    late = add_peers(cast, scheme, 4, prefix="Late")

    waiting = build_input(scheme, scope=Scope.WAITING, balance={"area": 1})
    everyone = build_input(scheme, scope=Scope.EVERYONE, balance={"area": 1})

    assert set(waiting.person_ids) == {p.pk for p in late}
    assert len(everyone.person_ids) == 16
    # Current group-mates are history for a re-formation.
    assert len(everyone.problem["history"]) == 2


def test_the_problem_is_read_in_a_fixed_number_of_queries_for_5000_members(
    cast: Cast, django_assert_max_num_queries: Callable[[int], Any]
) -> None:
    scheme = group_scheme(cast)
    people = add_peers(cast, scheme, 5000)
    SensitiveProfile.objects.bulk_create(
        [
            SensitiveProfile(organisation=cast.org, person=p, gender="female" if k % 2 else "male")
            for k, p in enumerate(people)
        ]
    )
    PairExclusion.objects.create(
        organisation=cast.org,
        scheme=scheme,
        person_low=people[0],
        person_high=people[1],
        reason="family",
    )
    with django_assert_max_num_queries(6):
        data = build_input(
            scheme, scope=Scope.WAITING, balance={"area": 1, "gender": 1, "experience": 1}
        )
    assert len(data.person_ids) == 5002
    assert data.problem["must_not_group"] == [[str(people[0].pk), str(people[1].pk)]]
    genders = {m.get("gender") for m in data.problem["members"]}
    assert genders == {"female", "male", None}  # Mo and Mia gave none


# Sizes, balance and history -----------------------------------------------------------------


def test_groups_keep_the_scheme_size_limits_and_place_everyone_once(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=6)
    add_peers(cast, scheme, 12)  # 14 with Mo and Mia

    formation = form(cast, scheme)

    assert formation.status == FormationStatus.READY
    groups = partition(formation)
    assert sorted(len(g) for g in groups) == [4, 5, 5]
    placed = [p for g in groups for p in g]
    assert len(placed) == len(set(placed)) == 14
    assert formation.summary["upper_bound"] >= formation.summary["balance"]
    assert formation.settings == {
        "min_size": 4,
        "max_size": 6,
        "balance": {"area": 2, "role": 1},
        "seed": 0,
    }


def test_the_balance_is_spread_over_the_groups(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=6, max_size=6)
    add_peers(cast, scheme, 16)  # 18: six from each place (Mo and Mia have none)
    formation = form(cast, scheme, balance={"area": 1})
    for group in formation.groups.all():
        counts = group.report["area"]["counts"]
        # 18 people from 4 "places" (incl. not given) into 3 groups: nobody's place piles up.
        assert max(counts.values()) <= 2


def test_earlier_group_mates_are_separated_when_a_split_allows(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=4)
    add_peers(cast, scheme, 14)  # 16 people: 4 groups of 4
    first = {
        m.person_id: m.group_id
        for m in GroupMembership.objects.filter(group__in=confirmed(cast, scheme))
    }

    again = form(cast, scheme, scope=Scope.EVERYONE)

    assert again.summary["repeated_co_members"] == 0
    for group in partition(again):
        earlier = [first[p] for p in group]
        assert len(set(earlier)) == len(earlier), "two earlier group-mates are together again"


def test_must_not_group_pairs_are_never_together(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=5)
    peers = add_peers(cast, scheme, 13)
    for a, b in ((peers[0], peers[1]), (peers[0], peers[2]), (cast.mo, cast.mia)):
        low, high = sorted((a, b), key=lambda p: p.pk)
        PairExclusion.objects.create(
            organisation=cast.org, scheme=scheme, person_low=low, person_high=high, reason="x"
        )
    formation = form(cast, scheme)
    for group in partition(formation):
        assert not {peers[0].pk, peers[1].pk} <= set(group)
        assert not {peers[0].pk, peers[2].pk} <= set(group)
        assert not {cast.mo.pk, cast.mia.pk} <= set(group)


def test_the_app_scores_a_partition_exactly_as_the_engine_does(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=6)
    people = add_peers(cast, scheme, 20)
    SensitiveProfile.objects.bulk_create(
        [
            SensitiveProfile(organisation=cast.org, person=p, gender=("f", "m", "x")[k % 3])
            for k, p in enumerate(people)
        ]
    )
    data = build_input(
        scheme, scope=Scope.WAITING, balance={"area": 3, "experience": 2, "gender": 1}
    )
    result = solve_groups(parse_groups_problem(data.problem)).to_json()

    scored = score_partition(data.problem, [g["members"] for g in result["groups"]])

    assert scored.balance == pytest.approx(result["score"]["balance"], abs=1e-6)
    for mine, engine in zip(scored.groups, result["groups"], strict=True):
        assert mine.balance == pytest.approx(engine["balance"], abs=1e-6)
        for key, report in engine["attributes"].items():
            assert mine.report[key]["balance"] == pytest.approx(report["balance"], abs=1e-6)
    for key, value in result["balance_by_attribute"].items():
        assert scored.by_attribute[key] == pytest.approx(value, abs=1e-6)


def test_a_large_formation_runs_in_the_background(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 30)
    with django_capture_on_commit_callbacks(execute=True):
        formation = services.formation_start(
            scheme=scheme, actor=None, scope=Scope.WAITING, balance={"area": 1}, run_inline=False
        )
        assert formation.status == FormationStatus.QUEUED
    formation.refresh_from_db()
    assert formation.status == FormationStatus.READY
    assert formation.groups.count() == 6
    assert formation.progress == 1.0


# Edits -----------------------------------------------------------------------------------------


def _group_of(formation: GroupFormation, person_id: int) -> int:
    return next(g.number for g in formation.groups.all() if str(person_id) in g.members)


def test_moving_someone_rescores_both_groups_and_is_recorded(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=6)
    add_peers(cast, scheme, 12)  # groups of 5, 5 and 4
    formation = form(cast, scheme)
    big = next(g for g in formation.groups.all() if g.size == 5)
    small = next(g for g in formation.groups.all() if g.size == 4)
    person = int(big.members[0])

    services.formation_move(
        formation=formation, person_id=person, to_number=small.number, actor=cast.cora.user
    )

    formation.refresh_from_db()
    assert _group_of(formation, person) == small.number
    groups = {g.number: g for g in formation.groups.all()}
    assert groups[big.number].size == 4 and groups[small.number].size == 5
    expected = score_partition(formation.problem, [g.members for g in groups.values()])
    assert formation.summary["balance"] == pytest.approx(expected.balance)
    assert groups[small.number].balance == pytest.approx(expected.groups[small.number - 1].balance)
    assert formation.summary["edited"] is True
    assert formation.edits[0]["person"] == str(person)
    assert AuditEvent.objects.filter(action="groups.formation_edited").count() == 1


def test_a_move_that_breaks_the_size_limits_is_refused_with_nothing_changed(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=5)
    add_peers(cast, scheme, 11)  # 13: groups of 5, 4, 4
    formation = form(cast, scheme)
    full = next(g for g in formation.groups.all() if g.size == 5)
    small = [g for g in formation.groups.all() if g.size == 4]
    before = partition(formation)

    with pytest.raises(services.FormationRefused, match="the largest a group may be"):
        services.formation_move(
            formation=formation,
            person_id=int(small[0].members[0]),
            to_number=full.number,
            actor=None,
        )
    with pytest.raises(services.FormationRefused, match="fewer than the smallest"):
        services.formation_move(
            formation=formation,
            person_id=int(small[0].members[0]),
            to_number=small[1].number,
            actor=None,
        )
    with pytest.raises(services.FormationRefused, match="There is no group 9"):
        services.formation_move(
            formation=formation, person_id=int(full.members[0]), to_number=9, actor=None
        )
    assert partition(formation) == before


def test_a_move_next_to_someone_they_must_not_be_grouped_with_is_refused(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=6)
    add_peers(cast, scheme, 12)
    low, high = sorted((cast.mo, cast.mia), key=lambda p: p.pk)
    PairExclusion.objects.create(
        organisation=cast.org, scheme=scheme, person_low=low, person_high=high, reason="related"
    )
    formation = form(cast, scheme)
    mias_group = _group_of(formation, cast.mia.pk)

    with pytest.raises(services.FormationRefused) as refused:
        services.formation_move(
            formation=formation, person_id=cast.mo.pk, to_number=mias_group, actor=None
        )
    assert "Mo Example must never be in a group with Mia Example (related)" in str(refused.value)


def test_a_rerun_offers_a_new_proposal_and_discards_the_old_one(cast: Cast) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 20)
    old = form(cast, scheme)

    new = services.formation_rerun(formation=old, actor=cast.cora.user)

    old.refresh_from_db()
    assert old.status == FormationStatus.DISCARDED
    assert new.status == FormationStatus.READY
    assert new.replaces == old
    assert new.settings["seed"] == 1
    with pytest.raises(services.FormationRefused):
        services.formation_move(formation=old, person_id=cast.mo.pk, to_number=1, actor=None)


# Confirmation ------------------------------------------------------------------------------------


def test_confirming_creates_the_groups_and_tells_each_member_without_sensitive_data(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    scheme = group_scheme(cast)
    people = add_peers(cast, scheme, 12)
    SensitiveProfile.objects.create(organisation=cast.org, person=cast.mia, gender="nonbinary")
    formation = form(cast, scheme, balance={"gender": 1, "area": 1})

    with django_capture_on_commit_callbacks(execute=True):
        groups = services.formation_confirm(formation=formation, actor=cast.cora.user)

    formation.refresh_from_db()
    assert formation.status == FormationStatus.CONFIRMED
    assert formation.confirmed_by == cast.cora.user
    assert [g.name for g in sorted(groups, key=lambda g: g.pk)] == ["Group 1", "Group 2", "Group 3"]
    assert all(g.status == GroupStatus.ACTIVE for g in groups)
    memberships = GroupMembership.objects.filter(group__in=groups)
    assert {m.person_id for m in memberships} == {p.pk for p in people} | {cast.mo.pk, cast.mia.pk}
    for row in formation.groups.all():
        assert {str(m.person_id) for m in memberships.filter(group=row.peer_group)} == set(
            row.members
        )
    notes = Notification.objects.filter(kind="groups.joined")
    assert notes.count() == 14
    mias = notes.get(person=cast.mia)
    assert "nonbinary" not in mias.title + mias.body
    assert mias.link == f"/groups/{GroupMembership.objects.get(person=cast.mia).group_id}/"
    # A retried job tells nobody twice.
    assert services.formation_tell_members(formation) == 0
    assert notes.count() == 14
    with pytest.raises(services.FormationRefused, match="can no longer be changed"):
        services.formation_confirm(formation=formation, actor=cast.cora.user)


def test_confirming_refuses_when_someone_stopped_taking_part_since_the_run(cast: Cast) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    formation = form(cast, scheme)
    Membership.objects.filter(person=cast.mia, scheme=scheme).update(status=Status.LEFT)

    with pytest.raises(services.FormationRefused, match="Mia Example stopped taking part"):
        services.formation_confirm(formation=formation, actor=None)

    assert not PeerGroup.objects.exists()
    assert not Notification.objects.filter(kind="groups.joined").exists()


def test_re_forming_everyone_closes_the_current_groups(cast: Cast) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    first = confirmed(cast, scheme)

    second = confirmed(cast, scheme, scope=Scope.EVERYONE)

    for group in PeerGroup.objects.filter(pk__in=[g.pk for g in first]):
        assert group.status == GroupStatus.CLOSED and group.closed_at is not None
    assert not GroupMembership.objects.filter(group__in=first, left_at=None).exists()
    assert [g.name for g in second] == ["Group 3", "Group 4"]
    assert GroupMembership.objects.filter(group__in=second, left_at=None).count() == 12


# Bad input: plain words, nothing saved ------------------------------------------------------------


@pytest.mark.parametrize(
    ("extra", "low", "high", "words"),
    [
        (1, 4, 6, "Only 3 people can be placed, but the smallest group is 4. Lower the smallest"),
        (5, 4, 5, "7 people cannot be split into groups of 4 to 5"),
        (5, 4, 4, "Lower the smallest group to 3, or raise the largest group to 7"),
    ],
)
def test_sizes_that_cannot_work_are_explained(
    cast: Cast, extra: int, low: int, high: int, words: str
) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, extra)
    _sizes(scheme, low, high)
    with pytest.raises(services.FormationRefused) as refused:
        form(cast, scheme)
    assert words in str(refused.value)
    assert "scheme's settings" in str(refused.value)
    assert not GroupFormation.objects.exists()


def test_nothing_to_balance_or_nobody_waiting_is_explained(cast: Cast) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    with pytest.raises(services.FormationRefused, match="Choose at least one thing to balance"):
        form(cast, scheme, balance={})
    with pytest.raises(services.FormationRefused, match="Nobody being placed has “Gender”"):
        form(cast, scheme, balance={"gender": 1})
    confirmed(cast, scheme)
    with pytest.raises(services.FormationRefused, match="Nobody is waiting for a group"):
        form(cast, scheme)
    assert GroupFormation.objects.count() == 1


def test_a_scheme_that_does_not_work_in_groups_is_refused(cast: Cast) -> None:
    with pytest.raises(services.FormationRefused, match="does not work in groups"):
        form(cast, cast.scheme)


def test_must_not_pairs_in_a_single_group_are_explained(cast: Cast) -> None:
    scheme = group_scheme(cast, min_size=2, max_size=8)
    add_peers(cast, scheme, 3)
    low, high = sorted((cast.mo, cast.mia), key=lambda p: p.pk)
    PairExclusion.objects.create(
        organisation=cast.org, scheme=scheme, person_low=low, person_high=high, reason="x"
    )
    with pytest.raises(services.FormationRefused) as refused:
        form(cast, scheme)
    assert "Mo Example and Mia Example" in str(refused.value)
    assert "Lower the largest group" in str(refused.value)
    assert not GroupFormation.objects.exists()


def test_confirming_refuses_a_pair_kept_apart_after_the_run(cast: Cast) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    formation = form(cast, scheme)
    group = formation.groups.first()
    assert group is not None
    a, b = sorted(int(m) for m in group.members[:2])
    PairExclusion.objects.create(
        organisation=cast.org, scheme=scheme, person_low_id=a, person_high_id=b, reason="x"
    )

    with pytest.raises(services.FormationRefused, match=f"both are in group {group.number}"):
        services.formation_confirm(formation=formation, actor=None)
    assert not PeerGroup.objects.exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_proposals_confirmed_at_once_never_place_anyone_twice(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    with scopes_disabled():
        scheme = group_scheme(cast)
        add_peers(cast, scheme, 10)
        # Two coordinators' proposals for the same twelve waiting people.
        first, second = form(cast, scheme), form(cast, scheme)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def confirm(formation: GroupFormation) -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                services.formation_confirm(formation=formation, actor=None)
                outcomes.append("confirmed")
        except services.FormationRefused as exc:
            outcomes.append(" ".join(exc.messages))
        except BaseException as exc:  # report it to the test, not the thread's stderr
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(f,)) for f in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert outcomes.count("confirmed") == 1
    refused = next(o for o in outcomes if o != "confirmed")
    assert "joined another group. Re-run the formation" in refused
    with scopes_disabled():
        assert GroupMembership.objects.count() == 12
        assert PeerGroup.objects.count() == 2
