"""Grouping people by a field: the fast numbering of tuples gives the plain numbering."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from matchengine.scoring import _grouped, _grouped_tuples

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
