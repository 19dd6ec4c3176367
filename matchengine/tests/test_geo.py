"""The trigonometry-free great-circle distance agrees with the haversine formula."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from matchengine.geo import EARTH_RADIUS, distance, unit_vector, unit_vectors
from matchengine.model import Location

lat = st.floats(-89.9, 89.9)
lon = st.floats(-180, 180)


def haversine(a: Location, b: Location) -> float:
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS["km"] * math.asin(min(1.0, math.sqrt(h)))


@given(lat, lon, lat, lon)
def test_it_matches_haversine(a_lat: float, a_lon: float, b_lat: float, b_lon: float) -> None:
    a, b = Location(a_lat, a_lon), Location(b_lat, b_lon)
    expected = haversine(a, b)
    assert math.isclose(distance(a, b, "km"), expected, rel_tol=1e-7, abs_tol=1e-6)


def test_london_to_manchester_is_about_163_miles() -> None:
    london, manchester = Location(51.5072, -0.1276), Location(53.4808, -2.2426)
    assert 162 < distance(london, manchester, "mi") < 164


@given(st.lists(st.tuples(lat, lon), max_size=20))
def test_unit_vectors_in_bulk_have_the_bits_of_one_at_a_time(
    points: list[tuple[float, float]],
) -> None:
    locations = [Location(a, b) for a, b in points]
    bulk = unit_vectors(locations)
    assert bulk.shape == (len(locations), 3)
    for row, location in zip(bulk.tolist(), locations, strict=True):
        assert tuple(row) == unit_vector(location)
