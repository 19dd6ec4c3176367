"""Encoding people: grouping by a field, and gender rules kept apart for every combination."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchengine import parse_mentoring_problem
from matchengine.constraints import pair_violations
from matchengine.mentoring import _instance
from matchengine.scoring import _grouped, _grouped_tuples
from matchengine.tests.mentoring_cases import problems

POOL = [(), ("English",), ("English", "Polish"), ("Polish",), ("Tigrinya", "English")]


@given(st.lists(st.tuples(st.integers(0, len(POOL) - 1), st.booleans()), max_size=40))
def test_tuples_are_numbered_as_values_whether_or_not_people_share_the_object(
    picks: list[tuple[int, bool]],
) -> None:
    # ``copy`` gives a person an equal tuple of its own, as the Python API may; the parser
    # shares one object between people with equal lists.
    values: list[object] = [tuple(list(POOL[k])) if copy else POOL[k] for k, copy in picks]
    codes, firsts, keys = _grouped_tuples(values)
    expected_codes, expected_firsts, expected_keys = _grouped(values)
    assert codes.tolist() == expected_codes.tolist()
    assert firsts == expected_firsts
    assert keys == expected_keys
    # Equal numbers for equal values, and only for them.
    for a, b in zip(values, codes.tolist(), strict=True):
        assert keys[b] == a


def test_every_gender_and_preference_combination_is_allowed_exactly_as_the_rules_say() -> None:
    # Seven preferences over three genders: each (gender, preference) must keep its own
    # encoding. Numbering them with the count of genders as the step once merged a male mentor
    # without a preference into a female one who accepts only men.
    genders = ["female", "male", "non-binary"]
    preferences: list[list[str] | None] = [
        None,
        ["female"],
        ["male"],
        ["non-binary"],
        ["female", "male"],
        ["female", "non-binary"],
        ["male", "non-binary"],
    ]

    def people(prefix: str) -> list[dict[str, Any]]:
        return [
            {"id": f"{prefix}{g}-{k}", "gender": g, "gender_preference": pref, "capacity": 1}
            if prefix == "mentor-"
            else {"id": f"{prefix}{g}-{k}", "gender": g, "gender_preference": pref}
            for g in genders
            for k, pref in enumerate(preferences)
        ]

    problem = parse_mentoring_problem({"mentees": people("mentee-"), "mentors": people("mentor-")})
    inst = _instance(problem)
    found = inst.scanner.scan(inst.free, keep=len(problem.mentors))
    allowed = set(zip(found.rows.tolist(), found.cols.tolist(), strict=True))
    expected = {
        (i, j)
        for i, mentee in enumerate(problem.mentees)
        for j, mentor in enumerate(problem.mentors)
        if not pair_violations(problem, mentee, mentor)
    }
    assert allowed == expected
    assert 0 < len(expected) < len(problem.mentees) * len(problem.mentors)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_mentees=14, max_mentors=14, locks=False))
def test_the_scan_allows_exactly_the_pairs_the_rules_allow(data: dict[str, Any]) -> None:
    # The compiled scan reads the rules from the encoding; ``pair_violations`` reads them from
    # the people. Up to 14 a side, people draw enough distinct genders, preferences and
    # languages to give every combination of them its own row in the encoding.
    problem = parse_mentoring_problem(data)
    inst = _instance(problem)
    found = inst.scanner.scan(inst.free, keep=len(problem.mentors))
    allowed = set(zip(found.rows.tolist(), found.cols.tolist(), strict=True))
    banned = {(r.mentee, r.mentor) for r in problem.must_not_pair + problem.history}
    expected = {
        (i, j)
        for i, mentee in enumerate(problem.mentees)
        for j, mentor in enumerate(problem.mentors)
        if mentor.capacity > 0
        and (mentee.id, mentor.id) not in banned
        and not pair_violations(problem, mentee, mentor)
    }
    assert allowed == expected
