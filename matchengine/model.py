"""The mentoring problem (P1) as frozen dataclasses: people, rules, weights and the objective.

Everything here is plain data. ``jsonio.parse_mentoring_problem`` builds it from JSON and refuses
bad input; ``mentoring.solve_mentoring`` solves it. The field names are the shared person
vocabulary used by every problem kind, so the app maps a person once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, NamedTuple

DistanceUnit = Literal["mi", "km"]

#: Criteria a scheme can weight, in the order explanations list them.
CRITERIA: tuple[str, ...] = (
    "language",
    "culture",
    "gender",
    "work_types",
    "experience",
    "distance",
    "hours",
    "personality",
    "learning_style",
    "background",
)

#: Fit is computed in integer points: a criterion with weight 1 that fully fits gives 1000 points.
#: Integers keep every score exact, so the optimality certificate is checked without rounding.
POINTS_PER_UNIT = 1000

#: Weights above this could overflow the exact float32 arithmetic used for scoring.
MAX_WEIGHT = 1000.0


class Location(NamedTuple):
    lat: float
    lon: float


class HourBlock(NamedTuple):
    """A weekly working interval: ``day`` 0 (Monday) to 6, hours ``start`` to ``end`` (0-24)."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class Person:
    """One participant. Mentees ignore ``capacity``; mentors ignore ``waiting_days`` and ``needs``.

    ``gender_preference`` lists the genders this person accepts as a partner (None: anyone).
    ``travel_limit`` is in the problem's ``distance_unit`` (None: no limit, e.g. phone contact).
    """

    id: str
    languages: tuple[str, ...] = ()
    culture: tuple[str, ...] = ()
    gender: str | None = None
    gender_preference: tuple[str, ...] | None = None
    work_types: tuple[str, ...] = ()
    experience: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    background: tuple[str, ...] = ()
    location: Location | None = None
    travel_limit: float | None = None
    hours: tuple[HourBlock, ...] = ()
    personality: str | None = None
    learning_style: str | None = None
    probation: bool = False
    capacity: int = 2
    waiting_days: int = 0


@dataclass(frozen=True)
class Weights:
    """How much each soft criterion counts. A weight of 0 switches a criterion off."""

    language: float = 1.0
    culture: float = 1.0
    gender: float = 1.0
    work_types: float = 2.0
    experience: float = 3.0
    distance: float = 2.0
    hours: float = 1.0
    personality: float = 1.0
    learning_style: float = 1.0
    background: float = 1.0

    def of(self, criterion: str) -> float:
        value: float = getattr(self, criterion)
        return value


@dataclass(frozen=True)
class HardRules:
    """Which rules no pair may break. Must-not-pair, history and capacity always apply."""

    shared_language: bool = True
    gender_preference: bool = True
    travel_limit: bool = True


@dataclass(frozen=True)
class Objective:
    """First most mentees matched, then most total fit.

    ``waiting_days_per_point``: when set, a mentee counts ``1 + waiting_days // value`` in the
    first goal, so people who have waited longer are matched first. ``fairness``: between the two
    goals, make the worst matched pair's fit as high as possible.
    """

    waiting_days_per_point: int | None = None
    fairness: bool = False


@dataclass(frozen=True)
class PairRef:
    """A mentee-mentor pair named by ids (must-not-pair, history and locked lists)."""

    mentee: str
    mentor: str
    note: str = ""


@dataclass(frozen=True)
class MentoringProblem:
    """P1: one-to-one mentoring with mentor capacity. Build it with ``parse_mentoring_problem``."""

    mentees: tuple[Person, ...]
    mentors: tuple[Person, ...]
    weights: Weights = field(default_factory=Weights)
    hard: HardRules = field(default_factory=HardRules)
    objective: Objective = field(default_factory=Objective)
    distance_unit: DistanceUnit = "mi"
    #: The distance score falls linearly from full at 0 to nothing at this distance.
    distance_scale: float = 30.0
    #: Personality pairs that count as compatible besides equal personalities (symmetric).
    compatible_personalities: tuple[tuple[str, str], ...] = ()
    must_not_pair: tuple[PairRef, ...] = ()
    #: Earlier matches that ended or failed: never proposed again.
    history: tuple[PairRef, ...] = ()
    #: Pairs the coordinator fixed: kept as they are, the rest is optimised around them.
    locked: tuple[PairRef, ...] = ()
