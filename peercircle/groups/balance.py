"""Score a partition of a stored groups problem, exactly as the engine scores its own answer.

A coordinator's edit (moving someone) changes the partition after the engine is done, and the
page must show the balance of what will be confirmed, not of what the engine proposed. The
formulas are the engine's (docs/matching-groups.md "Balance"); a test checks both agree on the
engine's own partition.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from peercircle.groups.adapter import NOT_GIVEN, member_value


@dataclass(frozen=True)
class GroupScore:
    balance: float
    report: dict[str, dict[str, Any]]
    together_before: list[dict[str, str]]


@dataclass(frozen=True)
class PartitionScore:
    groups: list[GroupScore]
    balance: float
    by_attribute: dict[str, float]


def _columns(problem: dict[str, Any]) -> dict[str, tuple[bool, dict[str, Any]]]:
    """Per attribute: numeric or not, and each member's value (labels for words)."""
    out: dict[str, tuple[bool, dict[str, Any]]] = {}
    for key in problem.get("balance", {}):
        raw = {m["id"]: member_value(m, key) for m in problem["members"]}
        given = [v for v in raw.values() if v is not None]
        numeric = bool(given) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in given
        )
        if numeric:
            out[key] = (True, {k: float(v) for k, v in raw.items()})
        else:
            out[key] = (False, {k: NOT_GIVEN if v is None else str(v) for k, v in raw.items()})
    return out


def together_pairs(problem: dict[str, Any]) -> dict[tuple[str, str], str]:
    """Earlier group-mates: (id, id) in sorted order -> the round (group) they shared last."""
    pairs: dict[tuple[str, str], str] = {}
    for entry in problem.get("history", []):
        for group in entry["groups"]:
            ids = sorted(group)
            for x in range(len(ids)):
                for y in range(x + 1, len(ids)):
                    pairs[(ids[x], ids[y])] = str(entry["round"])
    return pairs


def score_partition(problem: dict[str, Any], groups: list[list[str]]) -> PartitionScore:
    weights = {k: float(w) for k, w in problem.get("balance", {}).items() if w}
    columns = {k: v for k, v in _columns(problem).items() if k in weights}
    n = sum(len(g) for g in groups)
    total_weight = sum(weights.values())
    pairs = together_pairs(problem)
    stats: dict[str, Any] = {}
    for key, (numeric, values) in columns.items():
        if numeric:
            numbers = list(values.values())
            mean = sum(numbers) / len(numbers)
            spread = max(numbers) - min(numbers)
            stats[key] = (mean, spread if spread > 0 else 1.0)
        else:
            counts = Counter(values.values())
            stats[key] = {label: counts[label] / n for label in sorted(counts)}
    per_attribute = dict.fromkeys(columns, 0.0)
    total = 0.0
    scored = []
    for group in groups:
        size = len(group)
        report: dict[str, dict[str, Any]] = {}
        weighted = 0.0
        for key, (numeric, values) in columns.items():
            if numeric:
                mean, spread = stats[key]
                group_sum = sum(values[m] for m in group)
                value = abs(group_sum - size * mean) / spread
                report[key] = {
                    "kind": "numeric",
                    "balance": 1.0 - value / size,
                    "mean": group_sum / size,
                    "scheme_mean": mean,
                }
            else:
                shares = stats[key]
                counts = Counter(values[m] for m in group)
                value = 0.5 * sum(abs(counts[c] - size * s) for c, s in shares.items())
                report[key] = {
                    "kind": "categorical",
                    "balance": 1.0 - value / size,
                    "counts": {c: counts[c] for c in shares},
                    "fair_share": {c: round(size * s, 3) for c, s in shares.items()},
                }
            per_attribute[key] += value
            weighted += weights[key] * value
        total += weighted
        members = sorted(group)
        repeats = [
            {"a": members[x], "b": members[y], "round": pairs[(members[x], members[y])]}
            for x in range(len(members))
            for y in range(x + 1, len(members))
            if (members[x], members[y]) in pairs
        ]
        balance = 1.0 - weighted / (size * total_weight) if total_weight else 1.0
        scored.append(GroupScore(balance, report, repeats))
    return PartitionScore(
        groups=scored,
        balance=1.0 - total / (n * total_weight) if total_weight and n else 1.0,
        by_attribute={k: 1.0 - v / n for k, v in per_attribute.items()} if n else {},
    )


def gap_percent(balance: float, bound: float) -> float:
    """How far below the bound, in percent of it; never negative (an edit may change sizes)."""
    if bound <= 0:
        return 0.0
    return max(0.0, 100.0 * (bound - balance) / bound)
