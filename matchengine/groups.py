"""P3, groups: split members into groups within size limits, balanced on chosen attributes.

Groups are as even in size as the limits allow (the fewest groups that fit, sizes differing by at
most one, unless ``group_count`` is given). Must-not-group pairs never share a group; people who
were in a group together before are kept apart whenever the search finds a way; then the
weighted imbalance is minimised. The answer is heuristic: the result reports its balance next to
a computed upper bound and the gap between them (docs/matching-groups.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from matchengine._groups_search import (
    Attribute,
    Search,
    categorical_lower_bound,
    group_sizes,
    imbalance,
)
from matchengine._rotation_people import (
    Person,
    integer,
    is_number,
    member_ids,
    number,
    parse_members,
    require_keys,
    require_list,
    require_mapping,
)
from matchengine.errors import ProblemError

Progress = Callable[[str, float], None]
STANDARD_ATTRIBUTES = ("gender", "personality", "learning_style", "probation")
NOT_GIVEN = "(not given)"


@dataclass(frozen=True)
class GroupsProblem:
    members: tuple[Person, ...]
    min_size: int
    max_size: int
    group_count: int
    balance: tuple[tuple[str, float], ...]
    history: tuple[tuple[str, tuple[tuple[int, ...], ...]], ...]
    must_not: tuple[tuple[int, int], ...]
    seed: int


@dataclass(frozen=True)
class AttributeBalance:
    name: str
    numeric: bool
    balance: float
    counts: tuple[tuple[str, int], ...]
    targets: tuple[tuple[str, float], ...]
    mean: float
    scheme_mean: float

    def to_json(self) -> dict[str, Any]:
        if self.numeric:
            return {
                "kind": "numeric",
                "balance": round(self.balance, 6),
                "mean": round(self.mean, 6),
                "scheme_mean": round(self.scheme_mean, 6),
            }
        return {
            "kind": "categorical",
            "balance": round(self.balance, 6),
            "counts": dict(self.counts),
            "fair_share": {k: round(v, 3) for k, v in self.targets},
        }

    def words(self) -> str:
        if self.numeric:
            return f"{self.name}: average {self.mean:.2f} (scheme {self.scheme_mean:.2f})"
        parts = [
            f"{label} {count} (fair share {target:.1f})"
            for (label, count), (_, target) in zip(self.counts, self.targets, strict=True)
            if count or target >= 0.05
        ]
        return f"{self.name}: " + ", ".join(parts)


@dataclass(frozen=True)
class Group:
    members: tuple[str, ...]
    balance: float
    attributes: tuple[AttributeBalance, ...]
    repeats: tuple[tuple[str, str, str], ...]

    def explanation(self) -> str:
        text = f"{len(self.members)} members, balance {100 * self.balance:.1f}%. "
        text += "; ".join(a.words() for a in self.attributes) + "." if self.attributes else ""
        if self.repeats:
            text += (
                " Together before (no split avoided it): "
                + ", ".join(f"{a} and {b} (round {r})" for a, b, r in self.repeats)
                + "."
            )
        else:
            text += " Nobody here was in a group together before."
        return text.strip()


@dataclass(frozen=True)
class GroupsResult:
    groups: tuple[Group, ...]
    overall: tuple[tuple[str, float], ...]
    balance: float
    bound: float
    min_size: int
    max_size: int
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        gap = 100.0 * (self.bound - self.balance) / self.bound if self.bound > 0 else 0.0
        repeats = sum(len(g.repeats) for g in self.groups)
        return {
            "problem": "groups",
            "summary": {
                "members": sum(len(g.members) for g in self.groups),
                "groups": len(self.groups),
                "size_limits": [self.min_size, self.max_size],
                "group_sizes": sorted({len(g.members) for g in self.groups}),
                "repeated_co_members": repeats,
                "must_not_group_together": 0,
            },
            "score": {
                "balance": round(self.balance, 6),
                "upper_bound": round(self.bound, 6),
                "gap_percent": round(gap, 6),
                "proven_optimal": bool(self.balance >= self.bound - 1e-12 and repeats == 0),
                "method": (
                    "sorted round-robin deal, then swap search (heuristic); bound: each "
                    "categorical attribute's exact best on its own, numeric attributes perfect"
                ),
            },
            "balance_by_attribute": {name: round(v, 6) for name, v in self.overall},
            "groups": [
                {
                    "group": k + 1,
                    "members": list(g.members),
                    "size": len(g.members),
                    "balance": round(g.balance, 6),
                    "attributes": {a.name: a.to_json() for a in g.attributes},
                    "together_before": [{"a": a, "b": b, "round": r} for a, b, r in g.repeats],
                    "explanation": g.explanation(),
                }
                for k, g in enumerate(self.groups)
            ],
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------------------------


def _value(person: Person, name: str) -> object:
    if name in STANDARD_ATTRIBUTES:
        return getattr(person, name)
    return person.attribute(name)


def _attributes(problem: GroupsProblem) -> list[Attribute]:
    out = []
    for name, weight in problem.balance:
        values = [_value(p, name) for p in problem.members]
        given = [v for v in values if v is not None]
        # All-blank (say, nobody gave a gender) is one category, not a number column.
        numeric = bool(given) and all(is_number(v) for v in given)
        if numeric:
            arr = np.array([float(v) for v in values], np.float64)  # type: ignore[arg-type]
            out.append(Attribute(name, weight, True, np.zeros(0, np.int64), arr, ()))
        else:
            labels = [NOT_GIVEN if v is None else str(v) for v in values]
            categories = tuple(sorted(set(labels)))
            index = {c: k for k, c in enumerate(categories)}
            codes = np.array([index[x] for x in labels], np.int64)
            out.append(Attribute(name, weight, False, codes, np.zeros(0), categories))
    return out


def _check_attributes(members: tuple[Person, ...], balance: Mapping[str, float]) -> None:
    for name in balance:
        values = [(p, _value(p, name)) for p in members]
        given = [(p, v) for p, v in values if v is not None]
        if name not in STANDARD_ATTRIBUTES and not given:
            raise ProblemError(f"balance.{name}", "unknown attribute: no member has it")
        numbers = [v for _, v in given if is_number(v)]
        if numbers and len(numbers) != len(given):
            raise ProblemError(
                f"balance.{name}", "mixes numbers and words; use one kind for every member"
            )
        if numbers and len(given) != len(values):
            missing = next(p for p, v in values if v is None)
            raise ProblemError(
                f"member {missing.id}.attributes.{name}",
                "missing: a numeric attribute being balanced needs a value for every member",
            )


def parse_groups_problem(data: dict[str, Any]) -> GroupsProblem:
    """Validate a JSON problem; raises ProblemError naming the item and the problem."""
    root = require_mapping(data, "problem")
    allowed = frozenset(
        {
            "problem",
            "members",
            "sizes",
            "group_count",
            "balance",
            "history",
            "must_not_group",
            "options",
        }
    )
    require_keys(root, allowed, "problem")
    if root.get("problem") != "groups":
        raise ProblemError("problem", f'expected "groups", got {root.get("problem")!r}')
    members = parse_members(root.get("members"))
    n = len(members)
    if n == 0:
        raise ProblemError("members", "at least one member is needed")
    index = {p.id: k for k, p in enumerate(members)}
    sizes = require_mapping(root.get("sizes"), "sizes")
    require_keys(sizes, frozenset({"min", "max"}), "sizes")
    if "max" not in sizes:
        raise ProblemError("sizes.max", "is required (the largest group allowed)")
    max_size = integer(sizes["max"], "sizes.max", minimum=1)
    min_size = integer(sizes.get("min", 1), "sizes.min", minimum=1)
    if min_size > max_size:
        raise ProblemError("sizes", f"min {min_size} is larger than max {max_size}")
    count_raw = root.get("group_count")
    count = (
        math.ceil(n / max_size)
        if count_raw is None
        else integer(count_raw, "group_count", minimum=1)
    )
    if not count * min_size <= n <= count * max_size:
        if count_raw is None:
            raise ProblemError(
                "sizes",
                f"{n} members cannot be split into groups of {min_size}-{max_size}: "
                f"{count} group(s) would be needed for the maximum, which leaves groups smaller "
                f"than {min_size}",
            )
        raise ProblemError(
            "group_count",
            f"{count} groups of {min_size}-{max_size} hold {count * min_size}-{count * max_size} "
            f"members, not {n}",
        )
    sizes_list = group_sizes(n, count)
    if sizes_list[-1] < min_size or sizes_list[0] > max_size:  # pragma: no cover - checked above
        raise ProblemError("sizes", "no even split fits the limits")
    balance_raw = require_mapping(root.get("balance") or {}, "balance")
    balance = {}
    for name in sorted(balance_raw):
        balance[name] = number(balance_raw[name], f"balance.{name}", minimum=0.0)
    _check_attributes(members, balance)
    history = []
    for r, entry in enumerate(require_list(root.get("history") or [], "history")):
        item = f"history[{r}]"
        rec = require_mapping(entry, item)
        require_keys(rec, frozenset({"round", "groups"}), item)
        label = rec.get("round", r)
        if isinstance(label, bool) or not isinstance(label, str | int):
            raise ProblemError(f"{item}.round", f"must be a round number or a date, got {label!r}")
        groups = tuple(
            tuple(member_ids(group, f"history round {label} group {k + 1}", index))
            for k, group in enumerate(require_list(rec.get("groups", []), f"{item}.groups"))
        )
        history.append((str(label), groups))
    must_not = []
    for k, pair in enumerate(require_list(root.get("must_not_group") or [], "must_not_group")):
        a, b = member_ids(pair, f"must_not_group[{k}]", index, size=2)
        must_not.append((min(a, b), max(a, b)))
    if must_not and count == 1:
        raise ProblemError(
            "must_not_group", "there is only one group, so these members cannot be kept apart"
        )
    options = require_mapping(root.get("options") or {}, "options")
    require_keys(options, frozenset({"seed"}), "options")
    seed = integer(options.get("seed", 0), "options.seed", minimum=0)
    return GroupsProblem(
        members=members,
        min_size=min_size,
        max_size=max_size,
        group_count=count,
        balance=tuple(balance.items()),
        history=tuple(history),
        must_not=tuple(sorted(set(must_not))),
        seed=seed,
    )


def solve_groups(problem: GroupsProblem, *, progress: Progress | None = None) -> GroupsResult:
    report = progress or (lambda stage, fraction: None)
    members = problem.members
    n = len(members)
    sizes = group_sizes(n, problem.group_count)
    attrs = [a for a in _attributes(problem) if a.weight > 0]
    together: dict[tuple[int, int], str] = {}
    for label, groups in problem.history:
        for group in groups:
            for x in range(len(group)):
                for y in range(x + 1, len(group)):
                    together[(min(group[x], group[y]), max(group[x], group[y]))] = label
    search = Search(n, sizes, attrs, list(problem.must_not), sorted(together), problem.seed)
    report("dealing members into groups", 0.0)
    start = search.initial()
    # Fixed effort by size (never by clock) keeps the answer deterministic.
    sample = min(n, 400)
    sweeps = 6 if n <= 1000 else 1
    assignment = search.run(start, sweeps=sweeps, sample=sample)
    report("dealing members into groups", 1.0)
    buckets: list[list[int]] = [[] for _ in sizes]
    for person, g in enumerate(assignment.tolist()):
        buckets[g].append(person)
    must = set(problem.must_not)
    for bucket in buckets:
        for x in range(len(bucket)):
            for y in range(x + 1, len(bucket)):
                if (bucket[x], bucket[y]) in must:
                    raise ProblemError(
                        "must_not_group",
                        f"could not keep {members[bucket[x]].id} and {members[bucket[y]].id} "
                        "apart within these group sizes: too many must-not-group pairs for the "
                        "number of groups",
                    )
    total_weight = sum(a.weight for a in attrs)
    lower = sum(a.weight * categorical_lower_bound(a, sizes) for a in attrs if not a.numeric)
    groups_out = []
    total_imbalance = 0.0
    per_attr = {a.name: 0.0 for a in attrs}
    for bucket in sorted(buckets, key=lambda b: min(members[p].id for p in b)):
        ids = np.array(sorted(bucket, key=lambda p: members[p].id), np.int64)
        parts = []
        group_imbalance = 0.0
        for a in attrs:
            value = imbalance(a, ids, n)
            per_attr[a.name] += value
            group_imbalance += a.weight * value
            parts.append(_describe(a, ids, n, value))
        total_imbalance += group_imbalance
        repeats = []
        for x in range(len(ids)):
            for y in range(x + 1, len(ids)):
                key = (min(int(ids[x]), int(ids[y])), max(int(ids[x]), int(ids[y])))
                if key in together:
                    repeats.append((members[key[0]].id, members[key[1]].id, together[key]))
        share = 1.0 - group_imbalance / (len(ids) * total_weight) if total_weight else 1.0
        groups_out.append(
            Group(tuple(members[p].id for p in ids), share, tuple(parts), tuple(sorted(repeats)))
        )
    balance = float(1.0 - total_imbalance / (n * total_weight)) if total_weight else 1.0
    bound = float(1.0 - lower / (n * total_weight)) if total_weight else 1.0
    notes = []
    if not attrs:
        notes.append("No attribute to balance: groups only keep earlier co-members apart.")
    if any(g.repeats for g in groups_out):
        notes.append("Some members share a group again: the search found no split that avoids it.")
    overall = tuple((a.name, 1.0 - per_attr[a.name] / n) for a in attrs)
    return GroupsResult(
        groups=tuple(groups_out),
        overall=overall,
        balance=balance,
        bound=max(bound, balance),
        min_size=problem.min_size,
        max_size=problem.max_size,
        notes=tuple(notes),
    )


def _describe(attr: Attribute, ids: np.ndarray, n: int, value: float) -> AttributeBalance:
    size = len(ids)
    balance = 1.0 - value / size
    if attr.numeric:
        return AttributeBalance(
            attr.name,
            True,
            balance,
            (),
            (),
            float(attr.values[ids].mean()),
            float(attr.values.mean()),
        )
    counts = np.bincount(attr.codes[ids], minlength=len(attr.categories))
    shares = np.bincount(attr.codes, minlength=len(attr.categories)) / n
    return AttributeBalance(
        attr.name,
        False,
        balance,
        tuple((c, int(k)) for c, k in zip(attr.categories, counts, strict=True)),
        tuple((c, float(size * s)) for c, s in zip(attr.categories, shares, strict=True)),
        0.0,
        0.0,
    )
