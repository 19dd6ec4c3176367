"""Every change offered to an unmatched mentee really gets them matched when applied and re-run."""

from __future__ import annotations

import copy
import math
from typing import Any

from hypothesis import HealthCheck, given, settings

from matchengine import explain, parse_mentoring_problem, solve_mentoring
from matchengine.explain import _detail
from matchengine.geo import distance
from matchengine.tests.mentoring_cases import problems, reference_fit

SLOW = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _apply(data: dict[str, Any], mentee: str, change: dict[str, Any]) -> dict[str, Any]:
    changed = copy.deepcopy(data)
    person = next(p for p in changed["mentees"] if p["id"] == mentee)
    kind = change["kind"]
    if kind == "travel_limit":
        person["travel_limit"] = change["value"]
    elif kind == "gender_preference":
        person["gender_preference"] = sorted({*person["gender_preference"], change["value"]})
    elif kind == "shared_language":
        person["languages"] = []
    elif kind == "extra_place":
        mentor = next(p for p in changed["mentors"] if p["id"] == change["mentor"])
        mentor["capacity"] = change["value"]
        changed.setdefault("locked", []).append({"mentee": mentee, "mentor": change["mentor"]})
    else:
        raise AssertionError(kind)
    return changed


def _matched(data: dict[str, Any]) -> dict[str, str]:
    result = solve_mentoring(parse_mentoring_problem(data))
    return {p.mentee: p.mentor for p in result.pairs}


@SLOW
@given(problems(max_mentees=8, max_mentors=4))
def test_each_offered_change_matches_the_mentee(data: dict[str, Any]) -> None:
    result = solve_mentoring(parse_mentoring_problem(data)).to_json()
    before = result["summary"]["matched_priority"]
    for unmatched in result["unmatched"]:
        assert unmatched["reasons"], "every unmatched mentee gets a reason"
        for change in unmatched["changes"]:
            changed = _apply(data, unmatched["mentee"], change)
            after = solve_mentoring(parse_mentoring_problem(changed)).to_json()
            assert unmatched["mentee"] in {p["mentee"] for p in after["pairs"]}, change
            if change["kind"] == "extra_place":
                # One more place, locked to this mentee: nobody else needs to lose a match.
                assert after["summary"]["matched_priority"] >= before


@SLOW
@given(problems(max_mentees=8, max_mentors=4))
def test_fairness_mode_changes_also_match_the_mentee(data: dict[str, Any]) -> None:
    data = dict(data, objective={"fairness": True, "waiting_days_per_point": None})
    result = solve_mentoring(parse_mentoring_problem(data)).to_json()
    for unmatched in result["unmatched"]:
        for change in unmatched["changes"]:
            after = _matched(_apply(data, unmatched["mentee"], change))
            assert unmatched["mentee"] in after, change


def _tigrinya_case() -> dict[str, Any]:
    london = {"lat": 51.5072, "lon": -0.1276}
    reading = {"lat": 51.4543, "lon": -0.9781}  # about 37 miles west
    return {
        "problem": "mentoring",
        "mentees": [
            {"id": "mia", "languages": ["Tigrinya"], "location": london, "travel_limit": 25},
            {"id": "ned", "languages": ["English"], "location": london, "travel_limit": 25},
            {"id": "ola", "languages": ["English"], "location": london, "travel_limit": 25},
        ],
        "mentors": [
            {"id": "mo", "languages": ["English"], "location": london, "capacity": 2},
            {
                "id": "tes",
                "languages": ["English", "Tigrinya"],
                "location": reading,
                "travel_limit": 60,
            },
        ],
    }


def test_it_names_the_language_and_the_distance_and_offers_the_limit_that_works() -> None:
    result = solve_mentoring(parse_mentoring_problem(_tigrinya_case())).to_json()
    (mia,) = result["unmatched"]
    assert mia["mentee"] == "mia"
    assert mia["reasons"] == ["no mentor who speaks Tigrinya lives within 25 mi"]
    travel = next(c for c in mia["changes"] if c["kind"] == "travel_limit")
    case = parse_mentoring_problem(_tigrinya_case())
    here, there = case.mentees[0].location, case.mentors[1].location
    assert here is not None and there is not None
    apart = distance(here, there, "mi")
    assert travel["mentor"] == "tes" and travel["value"] == math.ceil(apart) == 37
    assert "raise the travel limit from 25 to 37 mi" in travel["description"]
    assert _matched(_apply(_tigrinya_case(), "mia", travel))["mia"] == "tes"
    # One mile less is not enough: the offered limit is the smallest whole number that works.
    shorter = dict(travel, value=travel["value"] - 1)
    assert "mia" not in _matched(_apply(_tigrinya_case(), "mia", shorter))


def test_a_full_mentor_is_named_with_one_more_place() -> None:
    data = _tigrinya_case()
    data["mentees"][0]["languages"] = ["English"]
    data["mentees"].append(
        {"id": "pat", "languages": ["English"], "location": data["mentees"][1]["location"]}
    )
    data["mentors"] = data["mentors"][:1]
    result = solve_mentoring(parse_mentoring_problem(data)).to_json()
    assert len(result["unmatched"]) == 2
    for unmatched in result["unmatched"]:
        assert unmatched["reasons"][0].startswith("the only mentor who fits (mo) is full")
        place = next(c for c in unmatched["changes"] if c["kind"] == "extra_place")
        assert place["mentor"] == "mo" and place["value"] == 3


def test_a_gender_nobody_speaking_the_language_has_is_named_in_words() -> None:
    data = _tigrinya_case()
    data["mentees"][0]["gender_preference"] = ["man"]
    for mentor in data["mentors"]:
        mentor["gender"] = "woman"
    data["mentors"][1]["location"] = data["mentees"][0]["location"]  # only gender stands between
    result = solve_mentoring(parse_mentoring_problem(data)).to_json()
    mia = next(u for u in result["unmatched"] if u["mentee"] == "mia")
    assert mia["reasons"] == [
        "no mentor who speaks Tigrinya has the gender the mentee asked for (man)"
    ]
    relax = next(c for c in mia["changes"] if c["kind"] == "gender_preference")
    assert relax["value"] == "woman"
    assert _matched(_apply(data, "mia", relax))["mia"] == "tes"


def _check_pair_details(problem: Any) -> int:
    """Every pair's criteria are its own: points from the rules, details from its two people."""
    result = solve_mentoring(problem)
    mentees = {p.id: p for p in problem.mentees}
    mentors = {p.id: p for p in problem.mentors}
    checked = 0
    for pair in result.pairs:
        mentee, mentor = mentees[pair.mentee], mentors[pair.mentor]
        expected = reference_fit(problem, mentee, mentor)
        got = {c.criterion: c.points for c in pair.criteria}
        assert got == {c: p for c, p in expected.items() if p > 0}
        for score in pair.criteria:
            d = pair.distance
            assert score.detail == _detail(
                score.criterion, mentee, mentor, d, problem.distance_unit
            )
            checked += 1
    return checked


@SLOW
@given(problems(max_mentees=10, max_mentors=6))
def test_each_pair_is_described_by_its_own_people(data: dict[str, Any]) -> None:
    _check_pair_details(parse_mentoring_problem(data))


def test_pairs_sharing_different_items_of_a_large_vocabulary_get_their_own_details() -> None:
    # 70 languages: more than one 64-bit word of flags per pair.
    words = [f"lang{k:02d}" for k in range(70)]
    mentees = [
        {"id": f"e{k}", "languages": [words[k], words[(k + 1) % 70], words[(k + 40) % 70]]}
        for k in range(70)
    ]
    mentors = [
        {"id": f"m{k}", "languages": [words[k], words[(k + 40) % 70]], "capacity": 1}
        for k in range(70)
    ]
    problem = parse_mentoring_problem({"mentees": mentees, "mentors": mentors})
    assert _check_pair_details(problem) >= 70
    result = solve_mentoring(problem)
    assert len({c.detail for p in result.pairs for c in p.criteria}) > 1


def test_a_matching_and_a_compatible_personality_are_told_apart() -> None:
    data = {
        "compatible_personalities": [["calm", "lively"]],
        "mentees": [
            {"id": "ann", "personality": "calm", "learning_style": "doing"},
            {"id": "bob", "personality": "lively", "learning_style": "reading"},
            # Calm like ann, but her learning style pairs her with a lively mentor: one mentee
            # personality, two details.
            {"id": "amy", "personality": "calm", "learning_style": "writing"},
        ],
        "mentors": [
            {"id": "cat", "personality": "calm", "learning_style": "doing", "capacity": 1},
            {"id": "dan", "personality": "calm", "learning_style": "reading", "capacity": 1},
            {"id": "eve", "personality": "lively", "learning_style": "writing", "capacity": 1},
        ],
    }
    problem = parse_mentoring_problem(data)
    assert _check_pair_details(problem) >= 6
    pairs = {p.mentee: p for p in solve_mentoring(problem).pairs}
    details = {c.detail for p in pairs.values() for c in p.criteria}
    assert "both calm" in details
    assert "compatible personalities: lively and calm" in details
    assert "compatible personalities: calm and lively" in details
    assert pairs["amy"].mentor == "eve"


@SLOW
@given(problems(max_mentees=12, max_mentors=5))
def test_the_compiled_pass_finds_the_same_reasons_and_changes_as_numpy(
    data: dict[str, Any],
) -> None:
    problem = parse_mentoring_problem(data)
    saved = explain.COMPILED_EXPLAIN
    try:
        explain.COMPILED_EXPLAIN = True
        compiled = solve_mentoring(problem).unmatched
        explain.COMPILED_EXPLAIN = False
        plain = solve_mentoring(problem).unmatched
    finally:
        explain.COMPILED_EXPLAIN = saved
    assert compiled == plain
