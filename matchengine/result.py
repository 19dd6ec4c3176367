"""What ``solve_mentoring`` returns, and its JSON form.

Fit is reported in units of weight: a criterion with weight 2 that fully fits adds 2.0. The JSON
carries no timings or other run-dependent values, so the same problem always prints the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from matchengine.model import POINTS_PER_UNIT


def units(points: int) -> float:
    return round(points / POINTS_PER_UNIT, 3)


@dataclass(frozen=True)
class CriterionScore:
    criterion: str
    points: int
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"criterion": self.criterion, "score": units(self.points), "detail": self.detail}


@dataclass(frozen=True)
class ProposedPair:
    mentee: str
    mentor: str
    locked: bool
    fit_points: int
    criteria: tuple[CriterionScore, ...]
    distance: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "mentee": self.mentee,
            "mentor": self.mentor,
            "locked": self.locked,
            "fit": units(self.fit_points),
            "distance": None if self.distance is None else round(self.distance, 1),
            "criteria": [c.to_json() for c in self.criteria],
        }


@dataclass(frozen=True)
class Change:
    """A change that would get an unmatched mentee matched, checked against the instance.

    ``kind`` is ``travel_limit`` (``value``: the new limit), ``gender_preference`` (``value``:
    the gender to accept as well), ``shared_language`` (accept a mentor with no shared language)
    or ``extra_place`` (``mentor`` gets one more place and is linked to this mentee).
    """

    kind: str
    description: str
    mentor: str | None = None
    value: float | str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "description": self.description,
            "mentor": self.mentor,
            "value": self.value,
        }


@dataclass(frozen=True)
class UnmatchedMentee:
    mentee: str
    reasons: tuple[str, ...]
    changes: tuple[Change, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "mentee": self.mentee,
            "reasons": list(self.reasons),
            "changes": [c.to_json() for c in self.changes],
        }


@dataclass(frozen=True)
class Certificate:
    """Proof of optimality from LP duality, checked by the engine before returning.

    The objective is combined into one integer: ``priority_weight * priority + fit points``, where
    ``priority_weight`` exceeds any possible total fit, so matching more (priority-weighted)
    mentees always comes first. ``upper_bound`` is the dual objective; it equals ``objective``.
    """

    proven_optimal: bool
    objective: int
    upper_bound: int
    priority_weight: int
    rounds: int
    pairs_scored: int
    pairs_in_graph: int
    pairs_checked_against_duals: int
    mentees_bounded: int
    mentees_scanned_in_full: int
    fairness: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "proven_optimal": self.proven_optimal,
            "method": "LP duality: bipartite b-matching has an integral LP, so equal primal and "
            "dual objectives prove optimality; left-out pairs are covered by the duals",
            "objective": self.objective,
            "upper_bound": self.upper_bound,
            "gap": self.upper_bound - self.objective,
            "priority_weight": self.priority_weight,
            "rounds": self.rounds,
            "pairs_scored": self.pairs_scored,
            "pairs_in_graph": self.pairs_in_graph,
            "pairs_checked_against_duals": self.pairs_checked_against_duals,
            "mentees_bounded": self.mentees_bounded,
            "mentees_scanned_in_full": self.mentees_scanned_in_full,
        }
        if self.fairness is not None:
            data["fairness"] = self.fairness
        return data


@dataclass(frozen=True)
class MentoringResult:
    pairs: tuple[ProposedPair, ...]
    unmatched: tuple[UnmatchedMentee, ...]
    certificate: Certificate
    mentees: int
    mentors: int
    matched_priority: int
    total_fit_points: int
    min_pair_fit_points: int | None

    @property
    def matched(self) -> int:
        return len(self.pairs)

    def summary(self) -> dict[str, Any]:
        """The counts and totals of ``to_json``'s "summary", without the pairs."""
        return {
            "mentees": self.mentees,
            "mentors": self.mentors,
            "matched": self.matched,
            "unmatched": len(self.unmatched),
            "locked": sum(p.locked for p in self.pairs),
            "matched_priority": self.matched_priority,
            "total_fit": units(self.total_fit_points),
            "min_pair_fit": None
            if self.min_pair_fit_points is None
            else units(self.min_pair_fit_points),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "problem": "mentoring",
            "status": "optimal" if self.certificate.proven_optimal else "unproven",
            "summary": self.summary(),
            "certificate": self.certificate.to_json(),
            "pairs": [p.to_json() for p in self.pairs],
            "unmatched": [u.to_json() for u in self.unmatched],
        }
