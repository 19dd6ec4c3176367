"""matchengine: optimal, explainable matching for peer support schemes.

A pure Python package (numpy, scipy and solver libraries only). It must never import Django or
anything from ``peercircle``: the app calls it through ``peercircle/matching/adapter.py``.

P1, one-to-one mentoring with capacity::

    from matchengine import parse_mentoring_problem, solve_mentoring
    result = solve_mentoring(parse_mentoring_problem(data), progress=None)
    result.to_json()

``solve_json`` runs any of the three problem kinds from their JSON form. See docs/matching.md.
"""

from matchengine.errors import ProblemError
from matchengine.jsonio import parse_mentoring_problem
from matchengine.mentoring import solve_mentoring, warm_up
from matchengine.model import (
    CRITERIA,
    HardRules,
    HourBlock,
    Location,
    MentoringProblem,
    Objective,
    PairRef,
    Person,
    Weights,
)
from matchengine.result import (
    Certificate,
    Change,
    CriterionScore,
    MentoringResult,
    ProposedPair,
    UnmatchedMentee,
)
from matchengine.solve import Progress, solve_json

__all__ = [
    "CRITERIA",
    "Certificate",
    "Change",
    "CriterionScore",
    "HardRules",
    "HourBlock",
    "Location",
    "MentoringProblem",
    "MentoringResult",
    "Objective",
    "PairRef",
    "Person",
    "ProblemError",
    "Progress",
    "ProposedPair",
    "UnmatchedMentee",
    "Weights",
    "parse_mentoring_problem",
    "solve_json",
    "solve_mentoring",
    "warm_up",
]
