"""Editing a proposal, consulting supervisors and confirming, without HTTP."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection

from peercircle.conftest import Cast, join, make_person
from peercircle.matching import adapter, services
from peercircle.matching.models import MatchRun, ProposedPair, RunEdit, UnmatchedEntry
from peercircle.matching.tests.helpers import LONDON, NEAR, mentoring_world, set_sensitive
from peercircle.notifications.models import Notification
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people.models import Membership, Person
from peercircle.relationships import services as relationship_services
from peercircle.relationships.choices import EndReason
from peercircle.relationships.choices import Status as RelationshipStatus
from peercircle.relationships.models import PairExclusion, Relationship
from peercircle.schemes.choices import Role

State = ProposedPair.State


def proposal(cast: Cast) -> tuple[MatchRun, dict[str, Person]]:
    w = mentoring_world(cast)
    return services.run_start(scheme=cast.scheme, actor=cast.cora.user), w


def two_pairs(cast: Cast) -> tuple[MatchRun, dict[str, Person]]:
    """Mia with Mo and Nia with Tom: each mentor has one place, Nia speaks English too."""
    w = mentoring_world(cast)
    w["nia"].languages = ["English"]
    w["nia"].save()
    cast.scheme.mentor_capacity = 1
    cast.scheme.save()
    run = services.run_start(scheme=cast.scheme, actor=cast.cora.user)
    return run, w


def proposed(run: MatchRun) -> dict[str, str]:
    return {
        p.mentee.given_name: p.mentor.given_name
        for p in ProposedPair.objects.filter(run=run, state=State.PROPOSED).select_related(
            "mentee", "mentor"
        )
    }


@pytest.mark.django_db
def test_removing_a_pair_puts_the_mentee_back_among_the_unmatched(cast: Cast) -> None:
    run, w = proposal(cast)
    pair = ProposedPair.objects.get(run=run)
    services.pair_remove(run=run, pair_id=pair.pk, actor=cast.cora.user)
    assert proposed(run) == {}
    entry = UnmatchedEntry.objects.get(run=run, person=w["mia"])
    assert entry.reasons[0] == "the coordinator removed the proposed pair"
    assert RunEdit.objects.filter(run=run, action="remove").exists()
    # The record keeps the removed pair.
    assert ProposedPair.objects.get(pk=pair.pk).state == State.REMOVED


@pytest.mark.django_db
def test_a_pair_set_by_hand_is_checked_against_the_firm_rules(cast: Cast) -> None:
    run, w = proposal(cast)
    with pytest.raises(ValidationError) as refused:
        services.pair_set(run=run, mentee=w["nia"], mentor=w["tom"], actor=None)
    assert "they share no language" in refused.value.messages[0]
    assert "Change the matching settings" in refused.value.messages[0]
    assert proposed(run) == {"Mia": "Mo"}


@pytest.mark.django_db
def test_a_pair_set_by_hand_never_exceeds_a_mentors_places(cast: Cast) -> None:
    run, w = proposal(cast)
    cast.scheme.mentor_capacity = 1
    cast.scheme.save()
    w["nia"].languages = ["English"]
    w["nia"].save()
    with pytest.raises(ValidationError) as refused:
        services.pair_set(run=run, mentee=w["nia"], mentor=w["mo"], actor=None)
    assert "Mo Example has no free place left" in refused.value.messages[0]
    pair = services.pair_set(run=run, mentee=w["nia"], mentor=w["tom"], actor=None)
    assert pair.locked and pair.origin == ProposedPair.Origin.HAND
    assert proposed(run) == {"Mia": "Mo", "Nia": "Tom"}
    assert not UnmatchedEntry.objects.filter(run=run, placed=False).exists()


@pytest.mark.django_db
def test_moving_a_mentee_to_another_mentor_replaces_their_pair(cast: Cast) -> None:
    run, w = proposal(cast)
    services.pair_set(run=run, mentee=w["mia"], mentor=w["tom"], actor=None)
    assert proposed(run) == {"Mia": "Tom"}


@pytest.mark.django_db
def test_excluding_a_pair_is_for_good_and_the_rerun_avoids_it(cast: Cast) -> None:
    run, w = proposal(cast)
    pair = ProposedPair.objects.get(run=run)
    services.pair_exclude(run=run, pair_id=pair.pk, actor=cast.cora.user)
    low, high = sorted((w["mia"].pk, w["mo"].pk))
    assert PairExclusion.objects.filter(person_low_id=low, person_high_id=high).exists()
    again = services.run_start(scheme=cast.scheme, actor=None, based_on=run)
    assert proposed(again) == {"Mia": "Tom"}
    run.refresh_from_db()
    assert run.phase == MatchRun.Phase.REPLACED


@pytest.mark.django_db
def test_a_rerun_keeps_locked_pairs_and_reoptimises_the_rest(cast: Cast) -> None:
    first, w = two_pairs(cast)
    assert proposed(first) == {"Mia": "Mo", "Nia": "Tom"}
    mias = ProposedPair.objects.get(run=first, mentee=w["mia"], state=State.PROPOSED)
    services.pair_remove(run=first, pair_id=mias.pk, actor=None)
    services.pair_set(run=first, mentee=w["nia"], mentor=w["mo"], actor=None)
    again = services.run_start(scheme=cast.scheme, actor=None, based_on=first)
    assert again.locked_pairs == [[w["nia"].pk, w["mo"].pk]]
    assert RunEdit.objects.filter(run=first, action="replaced").exists()
    # Mo's one place is Nia's, locked; the engine moves Mia to Tom around it.
    assert proposed(again) == {"Nia": "Mo", "Mia": "Tom"}
    assert ProposedPair.objects.get(run=again, mentee=w["nia"]).locked
    assert not ProposedPair.objects.get(run=again, mentee=w["mia"]).locked


@pytest.mark.django_db
def test_swapping_two_pairs_checks_both_and_locks_them(cast: Cast) -> None:
    run, w = two_pairs(cast)
    a = ProposedPair.objects.get(run=run, mentee=w["mia"])
    b = ProposedPair.objects.get(run=run, mentee=w["nia"])
    services.pair_swap(run=run, first_id=a.pk, second_id=b.pk, actor=None)
    assert proposed(run) == {"Mia": "Tom", "Nia": "Mo"}
    assert all(p.locked for p in ProposedPair.objects.filter(run=run, state=State.PROPOSED))


@pytest.mark.django_db
def test_a_sent_proposal_takes_no_edits_but_removal(cast: Cast) -> None:
    run, w = proposal(cast)
    services.run_send_for_consultation(run=run, actor=None)
    pair = ProposedPair.objects.get(run=run)
    with pytest.raises(ValidationError, match="with the supervising social workers"):
        services.pair_lock(run=run, pair_id=pair.pk, locked=True, actor=None)
    with pytest.raises(ValidationError):
        services.run_start(scheme=cast.scheme, actor=None, based_on=run)


@pytest.mark.django_db
def test_consultation_asks_the_supervisor_who_answers_and_the_coordinator_confirms(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    run, w = proposal(cast)
    set_sensitive(w["mia"], gender="female", culture=["Eritrean"])
    with django_capture_on_commit_callbacks(execute=True):
        asked = services.run_send_for_consultation(run=run, actor=cast.cora.user)
    assert asked == 1
    note = Notification.objects.get(person=cast.sam, kind="matching.consultation")
    assert note.link == f"/matching/runs/{run.pk}/consult/"
    pair = ProposedPair.objects.get(run=run)
    # Only the mentee's own supervising social worker may answer.
    with pytest.raises(ValidationError):
        services.pair_answer(run=run, pair_id=pair.pk, supervisor=cast.cora, agree=True, comment="")
    with pytest.raises(ValidationError, match="Say what the concern is"):
        services.pair_answer(run=run, pair_id=pair.pk, supervisor=cast.sam, agree=False, comment="")
    services.pair_answer(run=run, pair_id=pair.pk, supervisor=cast.sam, agree=True, comment="Good")
    pair.refresh_from_db()
    assert (pair.answer, pair.answered_by) == (ProposedPair.Answer.AGREED, cast.sam)

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        counts = services.run_confirm(run=run, actor=cast.cora.user)
    assert counts == {"made": 1, "failed": 0}
    pair.refresh_from_db()
    relationship = pair.relationship
    assert relationship is not None and relationship.status == RelationshipStatus.ACTIVE
    assert relationship.planned_end_on is not None  # 12 months from the scheme
    assert Membership.objects.get(person=w["mia"], role=Role.MENTEE).waiting_since is None
    told = Notification.objects.filter(kind="matching.matched")
    assert {n.person for n in told} == {w["mia"], w["mo"]}
    sent = " ".join(n.title + n.body for n in told) + " ".join(str(m.body) for m in mail.outbox)
    for secret in ("female", "Eritrean", "teenagers", "English"):
        assert secret not in sent
    run.refresh_from_db()
    assert run.phase == MatchRun.Phase.CONFIRMED
    with pytest.raises(ValidationError):
        services.run_confirm(run=run, actor=cast.cora.user)


@pytest.mark.django_db
def test_a_pair_that_can_no_longer_be_made_is_marked_and_the_rest_go_ahead(cast: Cast) -> None:
    run, w = two_pairs(cast)
    Membership.objects.filter(person=w["tom"]).update(status="left")
    counts = services.run_confirm(run=run, actor=None)
    assert counts == {"made": 1, "failed": 1}
    failed = ProposedPair.objects.get(run=run, state=State.NOT_CREATED)
    assert "Tom Example is not an approved or active mentor" in failed.outcome


@pytest.mark.django_db
def test_an_ended_match_sends_the_mentee_back_and_the_next_run_avoids_the_pair(
    cast: Cast,
) -> None:
    """Re-matching (issue 5 item 8): end with a new match asked for, then run again."""
    run, w = proposal(cast)
    services.run_confirm(run=run, actor=None)
    relationship = Relationship.objects.get()
    relationship_services.relationship_end(
        relationship=relationship,
        reason=EndReason.NOT_A_FIT,
        actor=None,
        expected_version=relationship.version,
        requeue=[w["mia"]],
    )
    assert Membership.objects.get(person=w["mia"], role=Role.MENTEE).waiting_since is not None
    assert relationship.ended_on is not None
    built = adapter.build_problem(cast.scheme, today=relationship.ended_on, unit="mi")
    pair = (adapter.token(w["mia"].pk), adapter.token(w["mo"].pk))
    assert pair in {(r.mentee, r.mentor) for r in built.problem.history}
    next_run = services.run_start(scheme=cast.scheme, actor=None)
    assert proposed(next_run) == {"Mia": "Tom"}


@pytest.mark.django_db
def test_a_relationship_that_ended_for_another_reason_is_still_never_repeated(
    cast: Cast,
) -> None:
    run, w = proposal(cast)
    services.run_confirm(run=run, actor=None)
    relationship = Relationship.objects.get()
    relationship_services.relationship_end(
        relationship=relationship,
        reason=EndReason.CIRCUMSTANCES,
        actor=None,
        expected_version=relationship.version,
        requeue=[w["mia"]],
    )
    assert not PairExclusion.objects.exists()  # this reason excludes nothing by itself
    next_run = services.run_start(scheme=cast.scheme, actor=None)
    assert proposed(next_run) == {"Mia": "Tom"}  # the engine's history rule keeps them apart


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_coordinators_confirming_at_once_never_overfill_a_mentor(cast: Cast) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent connections: runs on PostgreSQL")
    with scopes_disabled():
        cast.scheme.mentor_capacity = 1
        cast.scheme.save()
        mentors = Membership.objects.filter(role=Role.MENTOR)
        mentors.exclude(person=cast.mo).update(status="left")
        cast.mo.latitude, cast.mo.longitude = NEAR["latitude"], NEAR["longitude"]
        cast.mo.languages = ["English"]
        cast.mo.save()
        cast.mia.latitude, cast.mia.longitude = LONDON["latitude"], LONDON["longitude"]
        cast.mia.save()
        first = services.run_start(scheme=cast.scheme, actor=None)
        # The second coordinator's run sees the same free place, for another mentee.
        Membership.objects.filter(person=cast.mia).update(waiting_since=None)
        ned = make_person(cast.org, "Ned", **LONDON)
        join(ned, cast.scheme, Role.MENTEE)
        second = services.run_start(scheme=cast.scheme, actor=None)
        assert ProposedPair.objects.filter(mentor=cast.mo, run__in=[first, second]).count() == 2
    barrier = threading.Barrier(2)
    outcomes: list[dict[str, int]] = []
    errors: list[BaseException] = []

    def confirm(run: MatchRun) -> None:
        try:
            with scopes_disabled():
                barrier.wait()
                outcomes.append(services.run_confirm(run=run, actor=None))
        except BaseException as exc:  # report it to the test, not the thread's stderr
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=confirm, args=(r,)) for r in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(o["made"] for o in outcomes) == [0, 1]
    with scopes_disabled():
        assert (
            Relationship.objects.filter(participants__person=cast.mo, status="active").count() == 1
        )
        refused = ProposedPair.objects.get(state=State.NOT_CREATED)
        assert "already supports 1 person" in refused.outcome
