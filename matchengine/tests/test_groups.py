"""P3 groups: size limits, must-not-group, history, balance reports, bound, bad input."""

from __future__ import annotations

import itertools
import json
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchengine._groups_search import Attribute, categorical_lower_bound, group_sizes, imbalance
from matchengine.errors import ProblemError
from matchengine.groups import parse_groups_problem, solve_groups


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    low = draw(st.integers(2, 5))
    high = draw(st.integers(low, low + 3))
    groups = draw(st.integers(2, 5))
    n = draw(st.integers(groups * low, groups * high))
    members = [
        {
            "id": f"p{i:02d}",
            "gender": draw(st.sampled_from(["f", "m", None])),
            "attributes": {
                "region": draw(st.sampled_from(["N", "S", "E"])),
                "years": draw(st.integers(0, 30)),
            },
        }
        for i in range(n)
    ]
    ids = [m["id"] for m in members]
    # Disjoint must-not pairs: always separable with two or more groups.
    order = draw(st.permutations(ids))
    count = draw(st.integers(0, n // 2))
    must_not = [[order[2 * k], order[2 * k + 1]] for k in range(count)]
    history = []
    for r in range(draw(st.integers(0, 2))):
        shuffled = draw(st.permutations(ids))
        history.append(
            {"round": r + 1, "groups": [list(shuffled[k : k + high]) for k in range(0, n, high)]}
        )
    return {
        "problem": "groups",
        "members": members,
        "sizes": {"min": low, "max": high},
        "group_count": groups,
        "balance": {"region": 1.0, "gender": 0.5, "years": 0.5},
        "must_not_group": must_not,
        "history": history,
    }


def solve(data: dict[str, Any]) -> dict[str, Any]:
    return solve_groups(parse_groups_problem(data)).to_json()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_groups_respect_sizes_and_must_not_group(data: dict[str, Any]) -> None:
    out = solve(data)
    members = [x for g in out["groups"] for x in g["members"]]
    assert sorted(members) == sorted(m["id"] for m in data["members"])
    low, high = data["sizes"]["min"], data["sizes"]["max"]
    assert all(low <= len(g["members"]) <= high for g in out["groups"])
    assert len(out["groups"]) == data["group_count"]
    where = {x: k for k, g in enumerate(out["groups"]) for x in g["members"]}
    assert all(where[a] != where[b] for a, b in data["must_not_group"])
    assert out["score"]["upper_bound"] >= out["score"]["balance"] - 1e-12


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_group_reports_match_the_instance(data: dict[str, Any]) -> None:
    out = solve(data)
    people = {m["id"]: m for m in data["members"]}
    together = {
        frozenset(pair)
        for rnd in data["history"]
        for group in rnd["groups"]
        for pair in itertools.combinations(group, 2)
    }
    for g in out["groups"]:
        regions = [people[x]["attributes"]["region"] for x in g["members"]]
        counts = g["attributes"]["region"]["counts"]
        assert sum(counts.values()) == len(g["members"])
        assert all(counts[k] == regions.count(k) for k in counts)
        years = [people[x]["attributes"]["years"] for x in g["members"]]
        assert g["attributes"]["years"]["mean"] == pytest.approx(np.mean(years), abs=1e-6)
        repeats = {frozenset((r["a"], r["b"])) for r in g["together_before"]}
        inside = {frozenset(p) for p in itertools.combinations(g["members"], 2)}
        assert repeats == inside & together
    assert out["summary"]["repeated_co_members"] == sum(
        len(g["together_before"]) for g in out["groups"]
    )


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_it_is_deterministic(data: dict[str, Any]) -> None:
    assert json.dumps(solve(data)) == json.dumps(solve(json.loads(json.dumps(data))))


def partitions(people: list[int], sizes: list[int]) -> list[list[list[int]]]:
    if not sizes:
        return [[]]
    first, rest = people[0], people[1:]
    out = []
    for others in itertools.combinations(rest, sizes[0] - 1):
        left = [p for p in rest if p not in others]
        for tail in partitions(left, sizes[1:]):
            out.append([[first, *others], *tail])
    return out


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 2), min_size=6, max_size=9), st.integers(2, 3))
def test_the_single_attribute_bound_is_the_brute_force_optimum(
    codes: list[int], count: int
) -> None:
    n = len(codes)
    attr = Attribute("a", 1.0, False, np.array(codes, np.int64), np.zeros(0), ("x", "y", "z"))
    sizes = group_sizes(n, count)
    best = min(
        sum(imbalance(attr, np.array(group, np.int64), n) for group in split)
        for order in set(itertools.permutations(sizes))
        for split in partitions(list(range(n)), list(order))
    )
    assert categorical_lower_bound(attr, sizes) == pytest.approx(best, abs=1e-9)


def test_thirteen_people_fit_groups_of_six_to_eight_but_five_do_not() -> None:
    base = {"problem": "groups", "sizes": {"min": 6, "max": 8}}
    ok = solve({**base, "members": [{"id": f"p{i}"} for i in range(13)]})
    assert sorted(len(g["members"]) for g in ok["groups"]) == [6, 7]
    with pytest.raises(ProblemError) as caught:
        parse_groups_problem({**base, "members": [{"id": f"p{i}"} for i in range(5)]})
    assert caught.value.item == "sizes"
    assert "5 members" in caught.value.problem


def test_earlier_co_members_are_kept_apart_when_possible() -> None:
    ids = [f"p{i}" for i in range(12)]
    data = {
        "problem": "groups",
        "members": [
            {"id": x, "attributes": {"team": "a" if i % 2 else "b"}} for i, x in enumerate(ids)
        ],
        "sizes": {"min": 3, "max": 3},
        "balance": {"team": 1.0},
        "history": [{"round": "2024-01", "groups": [ids[0:4], ids[4:8], ids[8:12]]}],
    }
    out = solve(data)
    assert out["summary"]["repeated_co_members"] == 0
    assert all("Nobody here" in g["explanation"] for g in out["groups"])


@pytest.mark.parametrize(
    ("change", "item"),
    [
        ({"balance": {"height": 1}}, "balance.height"),
        ({"balance": {"region": "high"}}, "balance.region"),
        ({"sizes": {"min": 4, "max": 2}}, "sizes"),
        ({"sizes": {"min": 0, "max": 2}}, "sizes.min"),
        ({"group_count": 5}, "group_count"),
        ({"must_not_group": [["p0", "nobody"]]}, "must_not_group[0]"),
        ({"history": [{"round": 1, "groups": [["p0", "ghost"]]}]}, "history round 1 group 1"),
        ({"members": [{"id": "p0"}, {"id": "p0"}]}, "member p0"),
    ],
)
def test_it_refuses_bad_input_naming_the_item(change: dict[str, Any], item: str) -> None:
    data = {
        "problem": "groups",
        "members": [{"id": f"p{i}", "attributes": {"region": "N"}} for i in range(6)],
        "sizes": {"min": 2, "max": 3},
    }
    data.update(change)
    with pytest.raises(ProblemError) as caught:
        parse_groups_problem(data)
    assert caught.value.item == item


def test_mixed_and_missing_numeric_attributes_are_refused() -> None:
    data: dict[str, Any] = {
        "problem": "groups",
        "members": [
            {"id": "a", "attributes": {"years": 3}},
            {"id": "b", "attributes": {"years": "many"}},
        ],
        "sizes": {"max": 2},
        "balance": {"years": 1},
    }
    with pytest.raises(ProblemError, match="mixes numbers"):
        parse_groups_problem(data)
    data["members"][1] = {"id": "b"}
    with pytest.raises(ProblemError) as caught:
        parse_groups_problem(data)
    assert caught.value.item == "member b.attributes.years"
