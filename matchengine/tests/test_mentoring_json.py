"""Reading people: the msgspec reader and the item-naming reader agree on every input."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchengine import ProblemError, parse_mentoring_problem
from matchengine.jsonio import _fast_people, _person

TEXT = st.sampled_from(["English", "Polish", "calm", "female", "male", "a b"])
BAD_TEXT = st.sampled_from(["", " ", "\t", 3, None, True])
TEXTS = st.lists(st.one_of(TEXT, TEXT, TEXT, BAD_TEXT), max_size=3)
NUMBER = st.one_of(
    st.integers(-5, 60),
    st.floats(-5, 60),
    st.sampled_from([math.inf, math.nan, True, "10", None]),
)
HOURS = st.lists(
    st.one_of(
        st.tuples(st.integers(-1, 7), st.integers(-1, 25), st.integers(-1, 25)).map(list),
        st.tuples(st.integers(0, 6), st.integers(0, 11), st.integers(12, 24)).map(list),
        st.sampled_from([[1, 9], [True, 9, 17], [1.0, 9, 17], [1, 9.5, 17], "9-5"]),
    ),
    max_size=3,
)
LOCATION = st.one_of(
    st.builds(lambda a, b: {"lat": a, "lon": b}, st.floats(-95, 95), st.floats(-185, 185)),
    st.sampled_from(
        [None, {"lat": 1.0}, {"lat": 1, "lon": 2, "alt": 3}, [1, 2], {"lat": True, "lon": 0}]
    ),
)
FIELDS: dict[str, Any] = {
    "languages": TEXTS,
    "culture": TEXTS,
    "gender": st.one_of(TEXT, BAD_TEXT),
    "gender_preference": st.one_of(st.none(), TEXTS),
    "work_types": TEXTS,
    "experience": TEXTS,
    "needs": TEXTS,
    "background": TEXTS,
    "location": LOCATION,
    "travel_limit": NUMBER,
    "hours": HOURS,
    "personality": st.one_of(TEXT, BAD_TEXT),
    "learning_style": st.one_of(TEXT, BAD_TEXT),
    "probation": st.sampled_from([True, False, 1, "yes"]),
    "capacity": st.sampled_from([0, 2, 3, -1, 2.0, True, "2"]),
    "waiting_days": st.sampled_from([0, 30, -1, 1.5, 4.0, False]),
    "favourite": st.just("tea"),
}


@st.composite
def person_dicts(draw: st.DrawFn) -> dict[str, Any]:
    data: dict[str, Any] = {"id": draw(st.one_of(TEXT, TEXT, BAD_TEXT))}
    for name in draw(st.sets(st.sampled_from(sorted(FIELDS)), max_size=8)):
        data[name] = draw(FIELDS[name])
    return data


def _slow(data: dict[str, Any], role: str) -> Any:
    try:
        return _person(data, "x[0]", role)
    except ProblemError:
        return "refused"


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(person_dicts(), st.sampled_from(["mentee", "mentor"]))
def test_the_fast_reader_accepts_only_what_the_careful_reader_accepts_and_reads_it_the_same(
    data: dict[str, Any], role: str
) -> None:
    fast = _fast_people([data], role)
    slow = _slow(data, role)
    if fast is not None:
        assert slow != "refused", f"the fast reader took input the careful one refuses: {data}"
        assert fast == [slow]


def test_a_realistic_problem_takes_the_fast_road_and_reads_as_the_careful_reader_reads_it() -> None:
    path = Path(__file__).parent / "data" / "realistic_people.json"
    people = json.loads(path.read_text(encoding="utf-8"))
    fast = _fast_people(people["mentees"], "mentee")
    assert fast is not None
    assert fast == [_person(p, f"mentees[{k}]", "mentee") for k, p in enumerate(people["mentees"])]
    fast_mentors = _fast_people(people["mentors"], "mentor")
    assert fast_mentors is not None
    assert fast_mentors == [
        _person(p, f"mentors[{k}]", "mentor") for k, p in enumerate(people["mentors"])
    ]


@pytest.mark.parametrize(
    ("person", "item", "words"),
    [
        ({"id": "ned", "hours": [[1, 17, 9]]}, "mentee 'ned'.hours[0]", "start < end"),
        ({"id": "ned", "languages": ["English", " "]}, "mentee 'ned'.languages[1]", "non-empty"),
        ({"id": " "}, "mentees[0].id", "non-empty"),
        ({"id": "ned", "travel_limit": True}, "mentee 'ned'.travel_limit", "number"),
    ],
)
def test_what_msgspec_lets_through_but_is_wrong_is_still_named(
    person: dict[str, Any], item: str, words: str
) -> None:
    data = {"mentees": [person], "mentors": [{"id": "mo"}]}
    with pytest.raises(ProblemError) as caught:
        parse_mentoring_problem(data)
    assert caught.value.item == item and words in caught.value.problem
