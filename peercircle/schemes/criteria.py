"""The matching criteria a scheme can use, in plain words, and how a scheme's choices are read.

A scheme stores only what its coordinator changed (``Scheme.matching_criteria``); everything else
comes from the scheme type's template, so improving a template improves every scheme that kept it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peercircle.schemes.models import Scheme

HARD = "must"
SOFT = "prefer"
OFF = "ignore"
MODES = (HARD, SOFT, OFF)


@dataclass(frozen=True)
class Criterion:
    key: str
    must_label: str  # how the rule reads when it is a hard rule
    prefer_label: str  # how it reads as a weighted preference
    can_be_hard: bool
    has_limit: bool = False


CRITERIA: tuple[Criterion, ...] = (
    Criterion("language", "must share a language", "prefer a shared language", True),
    Criterion(
        "culture", "must share ethnicity or culture", "prefer shared ethnicity or culture", True
    ),
    Criterion(
        "gender",
        "must meet the mentee's gender preference",
        "prefer the gender the mentee asked for",
        True,
    ),
    Criterion(
        "work_type",
        "must share a type of fostering or work",
        "prefer the same type of fostering or work",
        True,
    ),
    Criterion(
        "experience",
        "must have the experience the mentee needs",
        "prefer someone who has the experience the mentee needs",
        True,
    ),
    Criterion(
        "distance",
        "must live within the travel limit",
        "prefer people who live closer",
        True,
        has_limit=True,
    ),
    Criterion("hours", "must work overlapping hours", "prefer similar working hours", True),
    Criterion(
        "personality",
        "must have a compatible personality and learning style",
        "prefer compatible personality and learning style",
        False,
    ),
    Criterion(
        "background",
        "must have a relevant professional background",
        "prefer a relevant professional background",
        False,
    ),
)
CRITERIA_BY_KEY = {c.key: c for c in CRITERIA}
MAX_WEIGHT = 10


def validate_criteria(value: dict[str, Any]) -> list[str]:
    """Every problem with a criteria setting, in words a coordinator can act on."""
    problems: list[str] = []
    for key, setting in value.items():
        criterion = CRITERIA_BY_KEY.get(key)
        if criterion is None:
            problems.append(f"'{key}' is not a matching criterion PeerCircle knows.")
            continue
        mode = setting.get("mode")
        if mode not in MODES:
            problems.append(f"{criterion.prefer_label}: choose must, prefer or ignore.")
        if mode == HARD and not criterion.can_be_hard:
            problems.append(f"'{criterion.prefer_label}' can only be a preference, not a rule.")
        weight = setting.get("weight", 0)
        if (
            not isinstance(weight, int | float)
            or isinstance(weight, bool)
            or not (0 <= weight <= MAX_WEIGHT)
        ):
            problems.append(f"{criterion.prefer_label}: the weight must be between 0 and 10.")
        limit = setting.get("limit")
        if (
            criterion.has_limit
            and limit is not None
            and (not isinstance(limit, int | float) or isinstance(limit, bool) or limit <= 0)
        ):
            problems.append("The travel limit must be a positive number.")
    return problems


def effective_criteria(scheme: Scheme) -> dict[str, dict[str, Any]]:
    """The template's criteria with the coordinator's changes on top, in catalogue order."""
    from peercircle.schemes.templates import template_for

    base = template_for(scheme.scheme_type).criteria
    merged: dict[str, dict[str, Any]] = {}
    for criterion in CRITERIA:
        setting = dict(base.get(criterion.key, {"mode": OFF, "weight": 0}))
        setting.update(scheme.matching_criteria.get(criterion.key, {}))
        merged[criterion.key] = setting
    return merged


def describe(key: str, setting: dict[str, Any], unit: str = "mi") -> str:
    """One criterion setting in plain words, e.g. "must live within 20 miles"."""
    criterion = CRITERIA_BY_KEY[key]
    mode = setting.get("mode", OFF)
    if mode == OFF:
        return f"not used: {criterion.prefer_label}"
    if key == "distance" and setting.get("limit"):
        unit_word = "miles" if unit == "mi" else "km"
        limit = f"{setting['limit']:g} {unit_word}"
        if mode == HARD:
            return f"must live within {limit}"
        return f"prefer people who live closer (up to {limit})"
    if mode == HARD:
        return criterion.must_label
    return f"{criterion.prefer_label} (weight {setting.get('weight', 0):g})"
