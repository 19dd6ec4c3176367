"""Matching runs end to end without HTTP: the adapter, the task, and plain words for bad input."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from peercircle.conftest import Cast, join, make_person
from peercircle.matching import adapter, services
from peercircle.matching.models import MatchRun, ProposedPair, UnmatchedEntry
from peercircle.matching.tests.helpers import LONDON, NEAR, mentoring_world, set_sensitive
from peercircle.people.models import Membership
from peercircle.relationships import services as relationship_services
from peercircle.relationships.choices import Purpose, Side
from peercircle.schemes.choices import Role, Status
from peercircle.schemes.services import scheme_update_settings

pytestmark = pytest.mark.django_db


def build(cast: Cast, **kwargs: Any) -> adapter.Built:
    return adapter.build_problem(cast.scheme, today=timezone.localdate(), unit="mi", **kwargs)


def test_the_problem_holds_everyone_waiting_and_every_mentor_with_a_free_place(
    cast: Cast,
) -> None:
    w = mentoring_world(cast)
    # A mentor whose places are all taken is left out; a mentee who is not waiting too.
    full = make_person(
        cast.org, "Fay", approved_on=cast.mo.approved_on, active_experience_months=60
    )
    join(full, cast.scheme, Role.MENTOR)
    for n in range(2):
        mentee = make_person(cast.org, f"Taken{n}")
        join(mentee, cast.scheme, Role.MENTEE)
        relationship_services.relationship_create(
            scheme=cast.scheme,
            members=[(full, Side.MENTOR), (mentee, Side.MENTEE)],
            purpose=Purpose.NEW_CARER,
            actor=None,
        )
    paused = make_person(cast.org, "Pat")
    join(paused, cast.scheme, Role.MENTEE, status=Status.PAUSED)
    built = build(cast)
    mentees = {p.id for p in built.problem.mentees}
    mentors = {p.id: p for p in built.problem.mentors}
    assert mentees == {adapter.token(w["mia"].pk), adapter.token(w["nia"].pk)}
    assert set(mentors) == {adapter.token(w["mo"].pk), adapter.token(w["tom"].pk)}
    assert mentors[adapter.token(w["mo"].pk)].capacity == 2
    # The fostering template: language, gender and distance are firm; distance within 25 miles.
    assert built.problem.hard.shared_language and built.problem.hard.travel_limit
    mia = next(p for p in built.problem.mentees if p.id == adapter.token(w["mia"].pk))
    assert mia.travel_limit == 25
    assert built.problem.weights.work_types == 3 and built.problem.weights.learning_style == 1
    assert built.names[w["mia"].pk] == "Mia Example"


def test_a_coordinators_weights_reach_the_engine(cast: Cast) -> None:
    mentoring_world(cast)
    criteria = cast.scheme.criteria()
    criteria["experience"] = {"mode": "prefer", "weight": 9}
    criteria["culture"] = {"mode": "ignore", "weight": 4}
    scheme_update_settings(scheme=cast.scheme, actor=None, changes={"matching_criteria": criteria})
    built = build(cast)
    assert built.problem.weights.experience == 9
    assert built.problem.weights.culture == 0  # ignored criteria count nothing


def test_excluded_and_ended_pairs_are_never_offered(cast: Cast) -> None:
    w = mentoring_world(cast)
    relationship_services.pair_exclude(
        scheme=cast.scheme, a=w["mia"], b=w["tom"], reason="Asked", actor=None
    )
    built = build(cast)
    pairs = {(r.mentee, r.mentor) for r in built.problem.must_not_pair}
    assert (adapter.token(w["mia"].pk), adapter.token(w["tom"].pk)) in pairs


def test_reading_the_scheme_costs_the_same_queries_for_many_people(
    cast: Cast, django_assert_max_num_queries: Any
) -> None:
    mentoring_world(cast)
    with django_assert_max_num_queries(20) as few:
        build(cast)
    for n in range(30):
        mentee = make_person(cast.org, f"Extra{n}", languages=["English"], **LONDON)
        join(mentee, cast.scheme, Role.MENTEE)
        mentor = make_person(
            cast.org,
            f"Guide{n}",
            approved_on=cast.mo.approved_on,
            active_experience_months=60,
            languages=["English"],
            **NEAR,
        )
        join(mentor, cast.scheme, Role.MENTOR)
    with django_assert_max_num_queries(len(few.captured_queries)):
        built = build(cast)
    assert len(built.problem.mentees) == 32
    # In text order, as the engine's JSON reader gives them (ids here cross 9 to 10 and beyond).
    for side in (built.problem.mentees, built.problem.mentors):
        ids = [p.id for p in side]
        assert ids == sorted(ids)


def test_a_run_proposes_pairs_and_explains_who_is_left_unmatched(cast: Cast) -> None:
    w = mentoring_world(cast)
    run = services.run_start(scheme=cast.scheme, actor=cast.cora.user)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.DONE and run.progress == 1.0
    assert run.summary["matched"] == 1 and run.summary["unmatched"] == 1
    assert run.certificate["proven_optimal"] is True
    assert run.engine_seconds is not None and run.app_seconds is not None
    pair = ProposedPair.objects.get(run=run)
    assert (pair.mentee, pair.mentor) == (w["mia"], w["mo"])  # shares teenagers: the better fit
    labels = {c["label"]: c["detail"] for c in pair.explanation}
    assert labels["Type of fostering or work"] == "both work with teenagers"
    assert "apart" in labels["Distance"]
    unmatched = UnmatchedEntry.objects.get(run=run)
    assert unmatched.person == w["nia"]
    assert unmatched.reasons == ["no mentor who speaks Tigrinya"]
    assert any("Tigrinya" in c["description"] for c in unmatched.changes)
    assert run.settings_snapshot["mentees"] == 2
    assert "must share a language" in run.settings_snapshot["described"]


def test_explanations_name_people_not_engine_ids(cast: Cast) -> None:
    w = mentoring_world(cast)
    # Nia now speaks English too but lives far away: the change names the mentor who'd reach her.
    w["nia"].languages = ["English"]
    w["nia"].latitude, w["nia"].longitude = 51.9, -0.2  # about 27 miles north
    w["nia"].save()
    run = services.run_start(scheme=cast.scheme, actor=None)
    entry = UnmatchedEntry.objects.get(run=run)
    text = " ".join(entry.reasons + [c["description"] for c in entry.changes])
    assert "person-" not in text
    assert "25 mi" in text
    assert "Mo Example" in text or "Tom Example" in text


def test_nobody_waiting_is_said_in_plain_words(cast: Cast) -> None:
    Membership.objects.filter(person=cast.mia).update(waiting_since=None)
    run = services.run_start(scheme=cast.scheme, actor=None)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.DONE
    assert "Nobody is waiting" in run.message
    assert not ProposedPair.objects.filter(run=run).exists()


def test_no_mentor_with_a_free_place_suggests_the_setting(cast: Cast) -> None:
    mentoring_world(cast)
    Membership.objects.filter(role=Role.MENTOR).update(status=Status.PAUSED)
    run = services.run_start(scheme=cast.scheme, actor=None)
    assert "No mentor has a free place" in run.message
    assert "mentees per mentor" in run.message


def test_settings_that_rule_out_every_pair_name_the_rule_to_relax(cast: Cast) -> None:
    w = mentoring_world(cast)
    for name in ("mia", "nia"):
        set_sensitive(w[name], gender="female", gender_preference=["female"])
    for name in ("mo", "tom"):
        set_sensitive(w[name], gender="male")
    run = services.run_start(scheme=cast.scheme, actor=None)
    assert run.status == MatchRun.Status.DONE
    assert "must meet the mentee's gender preference" in run.message
    assert "from “must” to “prefer”" in run.message


def test_a_firm_rule_the_engine_lacks_is_kept_and_explained(cast: Cast) -> None:
    w = mentoring_world(cast)
    criteria = cast.scheme.criteria()
    criteria["work_type"] = {"mode": "must", "weight": 3}
    scheme_update_settings(scheme=cast.scheme, actor=None, changes={"matching_criteria": criteria})
    w["nia"].languages = ["English"]
    w["nia"].work_types = ["disabilities"]
    w["nia"].save()
    run = services.run_start(scheme=cast.scheme, actor=None)
    entry = UnmatchedEntry.objects.get(run=run)
    assert entry.person == w["nia"]
    assert entry.reasons == [
        "no mentor with a free place meets the firm rule “must share a type of fostering or work”"
    ]


def test_a_crashed_task_is_written_to_the_run(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    mentoring_world(cast)

    def boom(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "solve_mentoring", boom)
    run = services.run_start(scheme=cast.scheme, actor=None)
    run.refresh_from_db()
    assert run.status == MatchRun.Status.FAILED
    assert "Run it again" in run.message


def test_progress_is_reported_through_the_stages(cast: Cast) -> None:
    mentoring_world(cast)
    run = services.run_start(scheme=cast.scheme, actor=None, enqueue=False)
    seen: list[tuple[str, float]] = []
    services.run_execute(run.pk, on_progress=lambda s, f: seen.append((s, f)))
    stages = [s for s, _ in seen]
    assert stages[0] == "candidates" and stages[-1] == "done"
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)


def test_waiting_longer_is_recorded_in_days(cast: Cast) -> None:
    mentoring_world(cast)
    Membership.objects.filter(person=cast.mia).update(
        waiting_since=timezone.localdate() - timedelta(days=40)
    )
    built = build(cast)
    mia = next(p for p in built.problem.mentees if p.id == adapter.token(cast.mia.pk))
    assert mia.waiting_days == 40


def test_saving_a_proposal_in_bulk_writes_exactly_what_the_orm_would(cast: Cast) -> None:
    # Proposals are saved with peercircle.lib.bulk.bulk_insert (COPY on PostgreSQL, bulk_create
    # on SQLite): every field, defaults included, and JSON with quotes, backslashes, tabs and
    # accents must read back as given.
    from peercircle.lib.bulk import bulk_insert

    w = mentoring_world(cast)
    run = services.run_start(scheme=cast.scheme, actor=cast.cora.user)
    tricky = [{"label": 'say "hi"\\ there\tand\nbye', "detail": "Zoë – café ☕", "score": 1.25}]
    written = bulk_insert(
        ProposedPair,
        [
            {
                "organisation_id": cast.org.pk,
                "run_id": run.pk,
                "mentee_id": w["nia"].pk,
                "mentor_id": w["tom"].pk,
                "score": 2.5,
                "distance": None,
                "explanation": tricky,
                "locked": True,
            },
            {
                "organisation_id": cast.org.pk,
                "run_id": run.pk,
                "mentee_id": w["mia"].pk,
                "mentor_id": w["tom"].pk,
                "score": 0.0,
                "distance": 3.25,
            },
        ],
    )
    assert written == 2
    rows = list(ProposedPair.objects.filter(run=run, mentor=w["tom"]).order_by("id"))
    assert [(r.mentee, r.score, r.distance, r.locked) for r in rows] == [
        (w["nia"], 2.5, None, True),
        (w["mia"], 0.0, 3.25, False),
    ]
    assert rows[0].explanation == tricky and rows[1].explanation == []
    fresh = ProposedPair()
    for row in rows:
        assert (row.state, row.answer, row.origin) == (fresh.state, fresh.answer, fresh.origin)
        assert row.answer_comment == "" and row.answered_by is None and row.relationship is None
    assert bulk_insert(UnmatchedEntry, []) == 0
    # A misspelt field is refused before anything is written.
    before = ProposedPair.objects.filter(run=run).count()
    with pytest.raises(ValueError, match="no field 'scroe'"):
        bulk_insert(ProposedPair, [{"run_id": run.pk, "scroe": 1.0}])
    assert ProposedPair.objects.filter(run=run).count() == before
