"""Rotation rules without HTTP: preview, approve, publish, schedule, and what is refused."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from peercircle.conftest import Cast
from peercircle.notifications.models import Notification
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people.models import Membership
from peercircle.relationships import services as relationships
from peercircle.relationships.choices import EndReason, Kind, Status
from peercircle.relationships.models import Relationship
from peercircle.rotations import services
from peercircle.rotations.adapter import RotationRefused, build_problem
from peercircle.rotations.models import EngineState, RotationRound, RoundPair, RoundStatus
from peercircle.rotations.selectors import person_history
from peercircle.rotations.tasks import publish_due_rotations
from peercircle.rotations.tests.helpers import add_peers, all_pairs, links, pair, rotation_scheme
from peercircle.schemes.choices import Status as MemberStatus

pytestmark = pytest.mark.django_db


def everyone_once(rotation_round: RotationRound, people_ids: set[int]) -> None:
    """Each member not on probation is in exactly one mutual pair (a trio member in two links)."""
    seen: list[int] = []
    for p in rotation_round.pairs.filter(kind="mutual"):
        seen += [p.person_a_id, p.person_b_id]
    assert len(seen) == len(set(seen))
    assert set(seen) <= people_ids


def test_preview_pairs_everyone_with_someone_new_and_explains_each_pair(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 6)
    earlier = {
        frozenset((a.pk, b.pk))
        for a, b in [(people[0], people[1]), (people[2], people[3]), (people[4], people[5])]
    }
    for a, b in [(people[0], people[1]), (people[2], people[3]), (people[4], people[5])]:
        pair(scheme, a, b, date(2026, 1, 5))  # made by hand before PeerCircle's rotations

    rotation_round = services.round_preview(scheme=scheme, actor=cast.cora.user)

    assert rotation_round.status == RoundStatus.PREVIEW
    assert rotation_round.engine_state == EngineState.DONE
    assert rotation_round.number == 1
    new = links(rotation_round)
    assert len(new) == 3
    assert not new & earlier
    everyone_once(rotation_round, {p.pk for p in people})
    assert not rotation_round.pairs.filter(is_repeat=True).exists()
    explanations = [p.explanation for p in rotation_round.pairs.all()]
    assert all(text.startswith("Fit ") for text in explanations)
    assert any("Similar working hours: " in text for text in explanations)
    assert rotation_round.summary["score"]["proven_optimal"] is True
    assert rotation_round.summary["summary"]["members"] == 6


def test_probation_members_get_a_supporter_and_support_nobody(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 5, probation=1)
    newcomer = people[-1]

    rotation_round = services.round_preview(scheme=scheme, actor=None)

    support = list(rotation_round.pairs.filter(kind="support"))
    assert len(support) == 1
    assert support[0].person_b_id == newcomer.pk
    assert support[0].person_a_id != newcomer.pk
    assert "on probation" in support[0].explanation
    assert not RoundPair.objects.filter(round=rotation_round, kind="mutual", person_a=newcomer)
    assert not RoundPair.objects.filter(round=rotation_round, kind="mutual", person_b=newcomer)
    assert len(links(rotation_round, ["mutual"])) == 2


def test_probation_ended_by_the_rotation_date_counts_as_a_full_member(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 4, probation=1)
    people[-1].probation_ends = date(2026, 3, 1)
    people[-1].save()
    assert build_problem(scheme, on=date(2026, 2, 1)).members[people[-1].pk].probation
    assert not build_problem(scheme, on=date(2026, 3, 1)).members[people[-1].pk].probation


@pytest.mark.parametrize("rule", ["trio", "one_way"])
def test_the_odd_member_rule_is_applied_and_named(cast: Cast, rule: str) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 5)

    rotation_round = services.round_preview(scheme=scheme, actor=None, odd_member=rule)

    odd = rotation_round.summary["odd_member"]
    assert odd is not None
    assert rotation_round.summary["odd_member_rule"] == rule
    assert len(links(rotation_round, ["mutual"])) == 2
    if rule == "trio":
        trio = list(rotation_round.pairs.filter(kind="trio"))
        assert len(trio) == 2
        assert {t.person_a_id for t in trio} == {odd}
        assert "odd member out and joins" in trio[0].explanation
    else:
        support = list(rotation_round.pairs.filter(kind="support"))
        assert [(s.person_b_id) for s in support] == [odd]
        assert "the odd member out" in support[0].explanation


def test_a_repeat_happens_only_when_unavoidable_uses_the_oldest_pair_and_says_why(
    cast: Cast,
) -> None:
    scheme = rotation_scheme(cast)
    a, b, c, d = add_peers(cast, scheme, 4)
    # All three ways of pairing four people are used up; the oldest round must be repeated.
    for started, pairs in [
        (date(2025, 1, 6), [(a, b), (c, d)]),
        (date(2025, 7, 7), [(a, c), (b, d)]),
        (date(2026, 1, 5), [(a, d), (b, c)]),
    ]:
        for x, y in pairs:
            pair(scheme, x, y, started)

    rotation_round = services.round_preview(scheme=scheme, actor=None)

    assert links(rotation_round) == {frozenset((a.pk, b.pk)), frozenset((c.pk, d.pk))}
    repeats = list(rotation_round.pairs.filter(is_repeat=True))
    assert len(repeats) == 2
    assert all("6 January 2025" in r.repeat_reason for r in repeats)
    assert all("no arrangement without a repeat exists" in r.repeat_reason for r in repeats)


def test_two_of_three_rounds_used_means_no_repeat(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    a, b, c, d = add_peers(cast, scheme, 4)
    for started, pairs in [
        (date(2025, 1, 6), [(a, b), (c, d)]),
        (date(2025, 7, 7), [(a, c), (b, d)]),
    ]:
        for x, y in pairs:
            pair(scheme, x, y, started)

    rotation_round = services.round_preview(scheme=scheme, actor=None)

    assert links(rotation_round) == {frozenset((a.pk, d.pk)), frozenset((b.pk, c.pk))}
    assert not rotation_round.pairs.filter(is_repeat=True).exists()


def test_must_not_pair_is_avoided_and_blocks_approval_when_it_cannot_be(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    a, b, c, d = add_peers(cast, scheme, 4)
    relationships.pair_exclude(scheme=scheme, a=a, b=b, reason="Not the right fit", actor=None)
    rotation_round = services.round_preview(scheme=scheme, actor=None)
    assert frozenset((a.pk, b.pk)) not in links(rotation_round)

    small = rotation_scheme(cast, slug="pair")
    x, y = add_peers(cast, small, 2, prefix="Duo")
    relationships.pair_exclude(scheme=small, a=x, b=y, reason="Not the right fit", actor=None)
    stuck = services.round_preview(scheme=small, actor=None)
    conflict = stuck.pairs.get()
    assert conflict.breaks_exclusion
    assert "marked never to be paired again (Not the right fit)" in conflict.repeat_reason
    with pytest.raises(ValidationError, match="never to be paired again"):
        services.round_approve(rotation_round=stuck, actor=None, rotation_date=date(2030, 1, 1))


def test_bad_input_is_refused_in_plain_words(cast: Cast) -> None:
    with pytest.raises(RotationRefused, match="one-to-one mentoring scheme. Rotations are for"):
        services.round_preview(scheme=cast.scheme, actor=None)
    scheme = rotation_scheme(cast)
    with pytest.raises(RotationRefused, match="has no active peers"):
        services.round_preview(scheme=scheme, actor=None)
    (only,) = add_peers(cast, scheme, 1)
    with pytest.raises(RotationRefused, match="only one active peer"):
        services.round_preview(scheme=scheme, actor=None)
    paused = add_peers(cast, scheme, 1, prefix="Paused")[0]
    Membership.objects.filter(person=paused).update(status=MemberStatus.PAUSED)
    with pytest.raises(RotationRefused, match="only one active peer"):
        services.round_preview(scheme=scheme, actor=None)
    assert not RotationRound.objects.exists()  # nothing half-saved


def test_a_new_preview_replaces_the_old_one_but_not_an_approved_round(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 4)
    first = services.round_preview(scheme=scheme, actor=None)
    second = services.round_preview(scheme=scheme, actor=None)
    first.refresh_from_db()
    assert first.status == RoundStatus.CANCELLED
    assert second.number == 1
    services.round_approve(rotation_round=second, actor=None, rotation_date=date(2030, 1, 1))
    with pytest.raises(RotationRefused, match="Cancel it first"):
        services.round_preview(scheme=scheme, actor=None)


def test_approval_needs_a_date_not_in_the_past(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 4)
    rotation_round = services.round_preview(scheme=scheme, actor=None)
    with pytest.raises(ValidationError, match="cannot be in the past"):
        services.round_approve(
            rotation_round=rotation_round,
            actor=None,
            rotation_date=date(2026, 1, 1),
            today=date(2026, 1, 2),
        )
    services.round_approve(
        rotation_round=rotation_round,
        actor=cast.cora.user,
        rotation_date=date(2026, 1, 2),
        today=date(2026, 1, 2),
    )
    assert rotation_round.status == RoundStatus.APPROVED
    assert rotation_round.approved_by == cast.cora.user
    assert rotation_round.approved_at is not None
    with pytest.raises(ValidationError, match="Only a preview"):
        services.round_approve(
            rotation_round=rotation_round, actor=None, rotation_date=date(2030, 1, 1)
        )


def test_publish_ends_the_previous_pairs_and_starts_the_new_ones(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    a, b, c, d, e = add_peers(cast, scheme, 5, probation=1)
    with time_machine.travel(date(2026, 1, 5)):
        old = [pair(scheme, a, b, date(2026, 1, 5)), pair(scheme, c, d, date(2026, 1, 5))]
        old.append(pair(scheme, a, e, date(2026, 1, 5), support=True))
    with time_machine.travel(date(2026, 7, 1)):
        rotation_round = services.round_preview(scheme=scheme, actor=cast.cora.user)
        services.round_approve(
            rotation_round=rotation_round, actor=cast.cora.user, rotation_date=date(2026, 7, 6)
        )
        assert services.publish_due_rounds(today=date(2026, 7, 1)) == 0

    with time_machine.travel(date(2026, 7, 6)):
        assert services.publish_due_rounds(today=date(2026, 7, 6)) == 1

    rotation_round.refresh_from_db()
    assert rotation_round.status == RoundStatus.PUBLISHED
    assert rotation_round.published_at is not None
    for relationship in old:
        relationship.refresh_from_db()
        assert relationship.status == Status.ENDED
        assert relationship.end_reason == EndReason.ROTATION  # a planned move, nobody's failure
        assert relationship.ended_on == date(2026, 7, 6)
    pairs = list(rotation_round.pairs.select_related("relationship"))
    assert len(pairs) == 3
    for p in pairs:
        assert p.relationship is not None
        assert p.relationship.status == Status.ACTIVE
        assert p.relationship.started_on == date(2026, 7, 6)
        assert p.relationship.planned_end_on == date(2027, 1, 6)
        expected = Kind.SUPPORT if p.kind == "support" else Kind.PEER_PAIR
        assert p.relationship.kind == expected
    assert Relationship.objects.filter(scheme=scheme, status=Status.ACTIVE).count() == 3
    told = Notification.objects.filter(kind="rotation.published")
    assert sorted(n.person_id for n in told) == sorted(p.pk for p in (a, b, c, d, e))
    for n in told:
        assert "probation" not in n.body and "Fit" not in n.body
        assert "Your earlier pairing in this scheme ends" in n.body
    supporter = next(p.person_a for p in pairs if p.kind == "support")
    assert "supports you" in told.get(person=e).body
    assert f"{supporter.full_name} supports you" in told.get(person=e).body
    assert "you also support Peer04 Example one way" in told.get(person=supporter).body
    history = person_history(scheme, a)
    assert [entry.round_number for entry in history][:1] == [1]
    assert {entry.relationship.status for entry in history} == {Status.ACTIVE, Status.ENDED}


def test_rounds_never_repeat_a_pair_while_a_new_one_exists(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 6)
    seen: set[frozenset[int]] = set()
    # Six people can be paired five times without a repeat (a round-robin).
    for k, day in enumerate(
        [date(2026, 1, 5), date(2026, 7, 6), date(2027, 1, 4), date(2027, 7, 5), date(2028, 1, 3)]
    ):
        with time_machine.travel(day):
            rotation_round = services.round_preview(scheme=scheme, actor=None)
            services.round_approve(rotation_round=rotation_round, actor=None, rotation_date=day)
            assert services.round_publish(rotation_round=rotation_round, actor=None)
        new = links(rotation_round)
        assert rotation_round.number == k + 1
        assert not new & seen, f"round {k + 1} repeats a pair"
        assert not rotation_round.pairs.filter(is_repeat=True).exists()
        seen |= new
    assert seen == all_pairs(people)


def test_publishing_is_refused_whole_when_a_member_left_and_coordinators_are_told(
    cast: Cast,
) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 4)
    with time_machine.travel(date(2026, 1, 5)):
        before = pair(scheme, people[0], people[1], date(2026, 1, 5))
        rotation_round = services.round_preview(scheme=scheme, actor=None)
        services.round_approve(
            rotation_round=rotation_round, actor=None, rotation_date=date(2026, 7, 6)
        )
    Membership.objects.filter(person=people[3]).update(status=MemberStatus.LEFT)

    assert services.publish_due_rounds(today=date(2026, 7, 6)) == 0

    rotation_round.refresh_from_db()
    assert rotation_round.status == RoundStatus.APPROVED
    assert "Peer03 Example is no longer an active peer" in rotation_round.publish_error
    before.refresh_from_db()
    assert before.status == Status.ACTIVE  # nothing half-done
    assert not RoundPair.objects.filter(relationship__isnull=False).exists()
    alert = Notification.objects.get(kind="rotation.publish_failed")
    assert alert.person == cast.cora
    # The job does not retry a refused round every quarter of an hour.
    assert services.publish_due_rounds(today=date(2026, 7, 7)) == 0
    assert Notification.objects.filter(kind="rotation.publish_failed").count() == 1


def test_the_scheduled_job_publishes_a_due_round_once(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 4)
    with time_machine.travel(date(2026, 7, 1)):
        rotation_round = services.round_preview(scheme=scheme, actor=None)
        services.round_approve(
            rotation_round=rotation_round, actor=None, rotation_date=date(2026, 7, 6)
        )
        assert publish_due_rotations.call() == 0
    with time_machine.travel(date(2026, 7, 6)):
        assert publish_due_rotations.call() == 1
        assert publish_due_rotations.call() == 0
    assert Relationship.objects.filter(scheme=scheme).count() == 2


def test_cancelling_leaves_everything_as_it_was(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 4)
    rotation_round = services.round_preview(scheme=scheme, actor=None)
    services.round_approve(
        rotation_round=rotation_round, actor=None, rotation_date=date(2030, 1, 1)
    )
    services.round_cancel(rotation_round=rotation_round, actor=None)
    assert rotation_round.status == RoundStatus.CANCELLED
    with time_machine.travel(date(2030, 1, 1)):
        assert services.publish_due_rounds(today=date(2030, 1, 1)) == 0
    assert not Relationship.objects.exists()
    with pytest.raises(ValidationError):
        services.round_cancel(rotation_round=rotation_round, actor=None)


def test_large_schemes_are_worked_out_and_published_in_the_background(
    cast: Cast, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    monkeypatch.setattr(services, "SYNC_MEMBERS", 3)
    monkeypatch.setattr(services, "SYNC_PAIRS", 1)
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 6)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        rotation_round = services.round_preview(scheme=scheme, actor=None)
    assert rotation_round.engine_state == EngineState.QUEUED
    assert not rotation_round.pairs.exists()
    for callback in callbacks:
        callback()  # the worker picks the task up (the test backend runs it at once)
    rotation_round.refresh_from_db()
    assert rotation_round.engine_state == EngineState.DONE
    assert rotation_round.pairs.count() == 3

    services.round_approve(
        rotation_round=rotation_round, actor=None, rotation_date=date(2030, 1, 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.round_publish_now(rotation_round=rotation_round, actor=None) is False
    rotation_round.refresh_from_db()
    assert rotation_round.status == RoundStatus.PUBLISHED
    assert Relationship.objects.filter(scheme=scheme, status=Status.ACTIVE).count() == 3


def test_build_problem_reads_a_large_scheme_in_a_fixed_number_of_queries(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    scheme = rotation_scheme(cast)
    people = add_peers(cast, scheme, 40)
    for k in range(0, 20, 2):
        pair(scheme, people[k], people[k + 1], date(2026, 1, 5))
    relationships.pair_exclude(
        scheme=scheme, a=people[30], b=people[31], reason="Not the right fit", actor=None
    )
    scheme = type(scheme).objects.select_related("organisation").get(pk=scheme.pk)
    with django_assert_max_num_queries(6):
        built = build_problem(scheme)
    assert len(built.members) == 40
    assert len(built.problem.history) == 2  # the hand-made round and the must-not-pair


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_running_the_publish_job_at_once_publish_once(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 6)
    rotation_round = services.round_preview(scheme=scheme, actor=None)
    services.round_approve(
        rotation_round=rotation_round, actor=None, rotation_date=date(2030, 1, 1)
    )
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(services.publish_due_rounds(today=date(2030, 1, 1)))
        except BaseException as exc:  # report it to the test, not the thread's stderr
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(results) == [0, 1]
    with scopes_disabled():
        assert Relationship.objects.filter(scheme=scheme).count() == 3
        assert Notification.objects.filter(kind="rotation.published").count() == 6


def test_an_engine_fault_stops_the_page_waiting_and_says_so(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 4)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(services, "solve_rotation", broken)
    rotation_round = services.round_preview(scheme=scheme, actor=None)
    assert rotation_round.engine_state == EngineState.FAILED
    assert "Preview the round again" in rotation_round.engine_message


def test_the_message_names_a_trio_and_support_in_plain_words() -> None:
    assert services._news(["Ana"], [], []) == "your peer is Ana"
    assert services._news(["Ana", "Ben"], [], []) == "you are in a trio with Ana and Ben"
    assert services._news(["Ana"], ["Cai"], []) == "your peer is Ana; you also support Cai one way"
    assert services._news([], [], ["Dee"]) == "Dee supports you"


def test_the_publish_job_is_registered_with_the_worker() -> None:
    from datetime import timedelta

    from peercircle.ops.periodic import registered_jobs

    jobs = {job.name: job for job in registered_jobs()}
    job = jobs[publish_due_rotations.module_path]
    assert job.every == timedelta(minutes=15)


def test_people_without_a_peer_are_listed_with_the_reason(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    newcomers = add_peers(cast, scheme, 2, probation=2)

    rotation_round = services.round_preview(scheme=scheme, actor=None)

    assert not rotation_round.pairs.exists()
    unpaired = rotation_round.summary["unpaired"]
    assert sorted(u["person"] for u in unpaired) == sorted(p.pk for p in newcomers)
    assert all("every other member is on probation too" in u["reason"] for u in unpaired)
    with pytest.raises(ValidationError, match="This round pairs nobody"):
        services.round_approve(
            rotation_round=rotation_round, actor=None, rotation_date=date(2030, 1, 1)
        )


def test_publish_now_needs_an_approved_round(cast: Cast) -> None:
    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 4)
    rotation_round = services.round_preview(scheme=scheme, actor=None)
    with pytest.raises(ValidationError, match="approve it first"):
        services.round_publish_now(rotation_round=rotation_round, actor=None)
    assert not Relationship.objects.exists()


def test_the_next_rotation_is_due_a_rotation_period_after_the_last(cast: Cast) -> None:
    from peercircle.rotations.selectors import next_rotation_date

    scheme = rotation_scheme(cast)
    add_peers(cast, scheme, 4)
    assert next_rotation_date(scheme, date(2025, 7, 1)) == date(2025, 7, 1)
    with time_machine.travel(date(2025, 7, 7)):
        rotation_round = services.round_preview(scheme=scheme, actor=None)
        services.round_approve(
            rotation_round=rotation_round, actor=None, rotation_date=date(2025, 7, 7)
        )
        assert services.round_publish(rotation_round=rotation_round, actor=None)
    assert next_rotation_date(scheme, date(2025, 8, 1)) == date(2026, 1, 7)
    assert next_rotation_date(scheme, date(2026, 3, 1)) == date(2026, 3, 1)  # overdue: today
