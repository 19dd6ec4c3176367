"""Great-circle geometry on unit-sphere vectors.

Distances are compared as squared chords, which rise with great-circle distance, so limits are
checked without trigonometry per pair. Where a distance itself is needed, it comes from
``great_circle_from_chord2``, which uses only +, -, *, / and sqrt: those are correctly rounded on
every platform and in every numpy code path, so the same pair always gets the same score however
it is batched. That exactness is what lets the engine check its own optimality certificate.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from matchengine.model import DistanceUnit, Location

EARTH_RADIUS = {"mi": 3958.7613, "km": 6371.0088}

FloatArray = npt.NDArray[np.float64]

# Taylor coefficients of asin(y) = y * sum c_k y^(2k); after two half-angle steps y <= 0.196,
# so terms past y^21 are below 1e-16 relative.
_ASIN_COEFFS = [
    math.factorial(2 * k) / (4**k * math.factorial(k) ** 2 * (2 * k + 1)) for k in range(11)
]


def unit_vector(location: Location) -> tuple[float, float, float]:
    lat = math.radians(location.lat)
    lon = math.radians(location.lon)
    return (math.cos(lat) * math.cos(lon), math.cos(lat) * math.sin(lon), math.sin(lat))


def unit_vectors(locations: list[Location]) -> FloatArray:
    """``unit_vector`` of each location as the rows of an array, with the same bits.

    The same scalar library calls in the same order (numpy's own sine and cosine may differ in
    the last bit), written out so that tens of thousands of people take a fraction of the time.
    """
    rad, cos, sin = math.radians, math.cos, math.sin
    angles = [(rad(lat), rad(lon)) for lat, lon in locations]
    out: FloatArray = np.array(
        [(cos(lat) * cos(lon), cos(lat) * sin(lon), sin(lat)) for lat, lon in angles],
        dtype=np.float64,
    ).reshape(-1, 3)
    return out


def chord2_of_distance(distance: float, unit: DistanceUnit) -> float:
    """Squared unit-sphere chord for a great-circle distance (capped at half the globe)."""
    angle = min(distance / EARTH_RADIUS[unit], math.pi)
    return (2.0 * math.sin(angle / 2.0)) ** 2


def great_circle_from_chord2(chord2: FloatArray, unit: DistanceUnit) -> FloatArray:
    """Great-circle distance for squared chords, deterministic to the last bit."""
    x = np.sqrt(np.clip(chord2, 0.0, 4.0)) * 0.5  # sin of half the central angle
    # asin(x) = 2 asin(x / sqrt(2 (1 + sqrt(1 - x^2)))), applied twice.
    for _ in range(2):
        x = x / np.sqrt(2.0 * (1.0 + np.sqrt(1.0 - x * x)))
    y2 = x * x
    series = np.full_like(x, _ASIN_COEFFS[-1])
    for coeff in reversed(_ASIN_COEFFS[:-1]):
        series = series * y2 + coeff
    half_angle = 4.0 * x * series
    result: FloatArray = 2.0 * half_angle * EARTH_RADIUS[unit]
    return result


def chord2(a: Location, b: Location) -> float:
    """Squared unit-sphere chord between two points, bit for bit as the bulk scorer computes it."""
    (ax, ay, az), (bx, by, bz) = unit_vector(a), unit_vector(b)
    dx, dy, dz = ax - bx, ay - by, az - bz
    return dx * dx + dy * dy + dz * dz


def distance(a: Location, b: Location, unit: DistanceUnit) -> float:
    """Great-circle distance between two points, as the engine computes it."""
    return float(great_circle_from_chord2(np.array([chord2(a, b)]), unit)[0])
