"""P1 answers are optimal, feasible and proven, on random small problems checked independently."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchengine import (
    MentoringProblem,
    MentoringResult,
    mentoring,
    parse_mentoring_problem,
    solve_mentoring,
)
from matchengine.constraints import pair_violations
from matchengine.tests.mentoring_cases import brute_force, problems, reference_fit

FAST = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(data: dict[str, Any]) -> tuple[MentoringProblem, MentoringResult]:
    problem = parse_mentoring_problem(data)
    result = solve_mentoring(problem)
    mentees = {p.id: p for p in problem.mentees}
    mentors = {p.id: p for p in problem.mentors}
    # Hard constraints: no pair breaks one.
    for pair in result.pairs:
        assert pair_violations(problem, mentees[pair.mentee], mentors[pair.mentor]) == []
    # Capacity: nobody over-filled; each mentee at most once.
    load: dict[str, int] = {}
    for pair in result.pairs:
        load[pair.mentor] = load.get(pair.mentor, 0) + 1
    assert all(load[k] <= mentors[k].capacity for k in load)
    assert len({p.mentee for p in result.pairs}) == len(result.pairs)
    # Locked pairs are kept, and marked.
    locked = {(r.mentee, r.mentor) for r in problem.locked}
    assert locked <= {(p.mentee, p.mentor) for p in result.pairs}
    assert {(p.mentee, p.mentor) for p in result.pairs if p.locked} == locked
    # Each pair's criteria add up to its fit, and match the rules computed independently.
    for pair in result.pairs:
        expected = reference_fit(problem, mentees[pair.mentee], mentors[pair.mentor])
        got = {c.criterion: c.points for c in pair.criteria}
        assert got == {k: v for k, v in expected.items() if v > 0}
        assert pair.fit_points == sum(expected.values())
    # Unmatched mentees are exactly the ones left out.
    matched = {p.mentee for p in result.pairs}
    assert {u.mentee for u in result.unmatched} == set(mentees) - matched
    # Optimal: same matched priority and total fit as an exact solver on all pairs.
    assert (result.matched_priority, result.total_fit_points) == brute_force(problem)
    cert = result.certificate
    assert cert.proven_optimal and cert.objective == cert.upper_bound
    return problem, result


@FAST
@given(problems())
def test_it_finds_the_optimum_and_keeps_every_rule(data: dict[str, Any]) -> None:
    _check(data)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=problems(max_mentees=10, max_mentors=6), price_first=st.booleans())
def test_the_pricing_round_only_changes_the_route_to_the_optimum(
    monkeypatch: pytest.MonkeyPatch, data: dict[str, Any], price_first: bool
) -> None:
    # The first round may price the market by auction alone (mentoring.PRICE_FIRST) or solve it
    # exactly; with short candidate lists the pricing round's guesses matter most.
    monkeypatch.setattr(mentoring, "PRICE_FIRST", price_first)
    monkeypatch.setattr(mentoring, "KEEP", 2)
    monkeypatch.setattr(mentoring, "START", 2)
    _check(data)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=problems(max_mentees=10, max_mentors=6))
def test_it_stays_optimal_when_candidate_lists_are_cut_short(
    monkeypatch: pytest.MonkeyPatch, data: dict[str, Any]
) -> None:
    # With one remembered mentor per mentee almost every proof needs the bound and the
    # price-guided scans of left-out pairs, so this exercises the pruning proof itself.
    monkeypatch.setattr(mentoring, "KEEP", 1)
    monkeypatch.setattr(mentoring, "START", 1)
    _check(data)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=problems(max_mentees=16, max_mentors=8, locks=False), keep=st.integers(1, 3))
def test_the_final_prices_cover_every_allowed_pair_not_only_the_scored_ones(
    monkeypatch: pytest.MonkeyPatch, data: dict[str, Any], keep: int
) -> None:
    # The proof itself, checked on all pairs: whatever the answer, u_i + v_j >= w(i, j) must
    # hold for every allowed pair, including those no scan returned (short candidate lists make
    # the solver lean on its bounds and on skipping mentees whose prices barely moved).
    import numpy as np

    from matchengine.scoring import score_block

    monkeypatch.setattr(mentoring, "KEEP", keep)
    monkeypatch.setattr(mentoring, "START", keep)
    data = dict(data, objective={"waiting_days_per_point": None, "fairness": False})
    inst = mentoring._instance(parse_mentoring_problem(data))
    pool = mentoring._first_pool(inst, None)
    weigh = mentoring._full_weigh(inst)
    best = mentoring._certified_solve(inst, pool, 0, weigh, None, inst.big)
    usable = np.flatnonzero(inst.capacity > 0)
    if not (usable.size and inst.free.size):
        return
    fit = score_block(inst.enc, inst.free, usable, inst.scanner.excluded).astype(np.int64)
    rows, at = np.nonzero(fit >= 0)
    mentees, mentors = inst.free[rows], usable[at]
    weight = weigh(mentees, fit[rows, at])
    assert (best.u[mentees] + best.v[mentors] >= weight).all()


@FAST
@given(problems())
def test_it_gives_the_same_bytes_whatever_the_input_order(data: dict[str, Any]) -> None:
    first = json.dumps(solve_mentoring(parse_mentoring_problem(data)).to_json())
    shuffled = dict(data)
    rng = random.Random(7)
    shuffled["mentees"] = rng.sample(data["mentees"], len(data["mentees"]))
    shuffled["mentors"] = rng.sample(data["mentors"], len(data["mentors"]))
    again = json.dumps(solve_mentoring(parse_mentoring_problem(data)).to_json())
    reordered = json.dumps(solve_mentoring(parse_mentoring_problem(shuffled)).to_json())
    assert first == again == reordered


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(locks=False))
def test_fairness_raises_the_worst_pair_as_far_as_possible(data: dict[str, Any]) -> None:
    data = dict(data, objective={"fairness": True, "waiting_days_per_point": None})
    problem = parse_mentoring_problem(data)
    result = solve_mentoring(problem)
    best_priority, _ = brute_force(problem)
    assert result.matched_priority == best_priority
    worst = result.min_pair_fit_points
    if worst is None:
        assert best_priority == 0
        return
    # Nobody can do better on the worst pair without matching fewer ...
    assert brute_force(problem, min_fit=worst + 1)[0] < best_priority
    # ... and above that floor the total fit is the best there is.
    assert (result.matched_priority, result.total_fit_points) == brute_force(problem, worst)
    fairness = result.certificate.fairness
    assert fairness is not None and fairness["priority_needed"] == best_priority


def test_it_refuses_nothing_when_there_is_nobody_to_match() -> None:
    data = {"problem": "mentoring", "mentees": [], "mentors": [{"id": "m"}]}
    result = solve_mentoring(parse_mentoring_problem(data))
    assert result.pairs == () and result.certificate.proven_optimal
