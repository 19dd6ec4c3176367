"""P2, mutual peer rotation: pair every active member with a new mutual peer for the next round.

Rules (docs/matching-rotation.md has the full account for coordinators and developers):

* Members not on probation are paired as mutual peers. No pair from an earlier round is repeated
  unless no pairing without repeats exists; then repeats are kept to the minimum and the least
  recent earlier pairs are used, and each repeat says so.
* Members on probation receive a supporter (a member not on probation, who keeps their own mutual
  peer) and support nobody. Supporters carry at most ceil(supported / supporters) people each.
* With an odd number of members not on probation, one is the odd member out: either they join a
  pair as a trio (``odd_member: "trio"``, the default) or they receive one-way support like a
  probation member (``"one_way"``).
* The result carries an upper bound on the total fit and says whether the pairing is proven
  optimal.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from matchengine._rotation_fit import CRITERIA, CRITERION_LABELS, SCALE, PairScorer
from matchengine._rotation_people import (
    Person,
    member_ids,
    number,
    parse_members,
    require_keys,
    require_list,
    require_mapping,
)
from matchengine._rotation_solver import Matching, exact_matching, sparse_matching
from matchengine._rotation_support import assign_support
from matchengine.errors import ProblemError

Progress = Callable[[str, float], None]
OddRule = Literal["trio", "one_way"]
# Up to this many members not on probation, rustworkx on all allowed pairs is exact and quicker
# than the large path (which is also exact there, and proves it, but has more set-up).
EXACT_LIMIT = 300


@dataclass(frozen=True)
class RotationOptions:
    odd_member: OddRule = "trio"
    location_limit_km: float = 50.0


@dataclass(frozen=True)
class Round:
    label: str
    groups: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class RotationProblem:
    members: tuple[Person, ...]
    weights: tuple[tuple[str, float], ...]
    history: tuple[Round, ...]  # oldest first
    options: RotationOptions


@dataclass(frozen=True)
class Part:
    criterion: str
    weight: float
    similarity: float
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {
            "criterion": self.criterion,
            "label": CRITERION_LABELS[self.criterion],
            "weight": self.weight,
            "similarity": round(self.similarity, 6),
            "points": round(self.weight * self.similarity, 6),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Link:
    """Two members joined by this round: mutual peers, a trio link, or one-way support."""

    kind: Literal["mutual", "trio", "support"]
    members: tuple[str, str]  # for support: (supporter, supported)
    fit_units: int
    parts: tuple[Part, ...]
    repeat_of: str | None
    note: str

    @property
    def fit(self) -> float:
        return round(self.fit_units / SCALE, 6)

    def explanation(self) -> str:
        if not self.parts:
            text = "No weighted criterion in common"
        else:
            text = "; ".join(
                f"{CRITERION_LABELS[p.criterion].capitalize()}: {p.detail} "
                f"(+{p.weight * p.similarity:.3f})"
                for p in self.parts
            )
        text = f"Fit {self.fit:.3f}. {text}."
        if self.note:
            text += f" {self.note}"
        return text

    def to_json(self) -> dict[str, Any]:
        keys = ("supporter", "supported") if self.kind == "support" else ("a", "b")
        return {
            "kind": self.kind,
            keys[0]: self.members[0],
            keys[1]: self.members[1],
            "fit": self.fit,
            "repeat_of_round": self.repeat_of,
            "criteria": [p.to_json() for p in self.parts],
            "explanation": self.explanation(),
        }


@dataclass(frozen=True)
class Unpaired:
    id: str
    reason: str


@dataclass(frozen=True)
class RotationResult:
    links: tuple[Link, ...]
    unpaired: tuple[Unpaired, ...]
    total_units: int
    bound_units: int
    pair_bound_units: int
    proven_optimal: bool
    method: str
    odd_member: str | None
    odd_rule: OddRule
    support_capacity: int
    members: int
    notes: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        gap = 0.0
        if self.bound_units > 0:
            gap = 100.0 * (self.bound_units - self.total_units) / self.bound_units
        by_kind = {
            kind: [ln for ln in self.links if ln.kind == kind]
            for kind in ("mutual", "trio", "support")
        }
        return {
            "problem": "rotation",
            "summary": {
                "members": self.members,
                "mutual_pairs": len(by_kind["mutual"]),
                "trio": self.odd_member is not None and self.odd_rule == "trio",
                "supported": len(by_kind["support"]),
                "unpaired": len(self.unpaired),
                "repeats": sum(1 for ln in self.links if ln.repeat_of is not None),
                "odd_member": self.odd_member,
                "odd_member_rule": self.odd_rule,
                "most_supported_per_supporter": self.support_capacity,
            },
            "score": {
                "total_fit": round(self.total_units / SCALE, 6),
                "upper_bound": round(self.bound_units / SCALE, 6),
                "pairs_upper_bound": round(self.pair_bound_units / SCALE, 6),
                "gap_percent": round(gap, 6),
                "proven_optimal": self.proven_optimal,
                "method": self.method,
            },
            "pairs": [ln.to_json() for ln in by_kind["mutual"]],
            "trio_links": [ln.to_json() for ln in by_kind["trio"]],
            "supports": [ln.to_json() for ln in by_kind["support"]],
            "unpaired": [{"id": u.id, "reason": u.reason} for u in self.unpaired],
            "notes": list(self.notes),
        }


# ---------------------------------------------------------------------------------------------
# Parsing


def _weights(raw: object) -> tuple[tuple[str, float], ...]:
    if raw is None:
        return (("hours", 1.0),)
    data = require_mapping(raw, "weights")
    out = []
    for key in sorted(data):
        if key not in CRITERIA:
            raise ProblemError(
                f"weights.{key}", f"unknown criterion; use one of {', '.join(CRITERIA)}"
            )
        out.append((key, number(data[key], f"weights.{key}", minimum=0.0)))
    if not any(w > 0 for _, w in out):
        raise ProblemError("weights", "at least one criterion needs a weight above 0")
    return tuple(out)


def _history(raw: object, index: Mapping[str, int]) -> tuple[Round, ...]:
    if raw is None:
        return ()
    rounds = []
    for r, entry in enumerate(require_list(raw, "history")):
        item = f"history[{r}]"
        data = require_mapping(entry, item)
        require_keys(data, frozenset({"round", "pairs"}), item)
        label = data.get("round", r)
        if isinstance(label, bool) or not isinstance(label, str | int):
            raise ProblemError(f"{item}.round", f"must be a round number or a date, got {label!r}")
        groups: list[tuple[int, ...]] = []
        for k, group in enumerate(require_list(data.get("pairs", []), f"{item}.pairs")):
            if type(group) is list and len(group) == 2:
                a, b = group
                if type(a) is str and type(b) is str and a != b:
                    x, y = index.get(a), index.get(b)
                    if x is not None and y is not None:
                        groups.append((x, y))  # the common case, checked in one go
                        continue
            where = f"history round {label} pair {k + 1}"
            size = len(require_list(group, where))
            if size not in (2, 3):
                raise ProblemError(where, f"must list 2 members (or 3 for a trio), got {size}")
            groups.append(tuple(member_ids(group, where, index)))
        rounds.append((label, tuple(groups)))
    kinds = {type(label) for label, _ in rounds}
    if len(kinds) > 1:
        raise ProblemError("history", "round labels must be all numbers or all dates, not a mix")
    labels = [label for label, _ in rounds]
    if len(set(labels)) != len(labels):
        raise ProblemError("history", "two rounds have the same label")
    rounds.sort(key=lambda x: x[0])  # oldest first, by round number or ISO date
    return tuple(Round(str(label), groups) for label, groups in rounds)


def parse_rotation_problem(data: dict[str, Any]) -> RotationProblem:
    """Validate a JSON problem; raises ProblemError naming the item and the problem."""
    root = require_mapping(data, "problem")
    require_keys(
        root, frozenset({"problem", "members", "weights", "history", "options"}), "problem"
    )
    if root.get("problem") != "rotation":
        raise ProblemError("problem", f'expected "rotation", got {root.get("problem")!r}')
    members = parse_members(root.get("members"))
    if not members:
        raise ProblemError("members", "at least one member is needed")
    index = {p.id: k for k, p in enumerate(members)}
    options_raw = require_mapping(root.get("options") or {}, "options")
    require_keys(options_raw, frozenset({"odd_member", "location_limit_km"}), "options")
    odd = options_raw.get("odd_member", "trio")
    if odd not in ("trio", "one_way"):
        raise ProblemError("options.odd_member", f'must be "trio" or "one_way", got {odd!r}')
    limit = number(options_raw.get("location_limit_km", 50.0), "options.location_limit_km")
    if limit <= 0:
        raise ProblemError("options.location_limit_km", "must be above 0")
    return RotationProblem(
        members=members,
        weights=_weights(root.get("weights")),
        history=_history(root.get("history"), index),
        options=RotationOptions(odd_member=odd, location_limit_km=limit),
    )


# ---------------------------------------------------------------------------------------------
# Solving


def _recency(problem: RotationProblem) -> dict[tuple[int, int], int]:
    """(a, b) with a < b -> 1 for the oldest round they met in ... R for the latest."""
    out: dict[tuple[int, int], int] = {}
    for rank, rnd in enumerate(problem.history, start=1):
        for group in rnd.groups:
            for x in range(len(group)):
                for y in range(x + 1, len(group)):
                    a, b = sorted((group[x], group[y]))
                    out[(a, b)] = rank
    return out


def _lexicographic_matching(
    scorer: PairScorer,
    local_recency: dict[tuple[int, int], int],
    dummy: list[int] | None,
    repeat_free: bool,
) -> dict[int, int]:
    """Exact: fewest repeats, then least recent repeats, then most fit (Python ints, any size)."""
    n = scorer.n
    a, b = np.triu_indices(n, 1)
    fit = scorer.exact(a.astype(np.int64), b.astype(np.int64)).tolist() if n > 1 else []
    rounds = max(local_recency.values(), default=0)
    half = n // 2 + 2
    step = scorer.max_units * half * 2 + 1
    base = step * (rounds + 1) * half
    edges = []
    for x, y, w in zip(a.tolist(), b.tolist(), fit, strict=True):
        rank = local_recency.get((x, y))
        if rank is None:
            edges.append((x, y, w))
        elif not repeat_free:
            # Only offered when a repeat may be unavoidable: huge weights slow blossom down.
            edges.append((x, y, w - base - step * rank))
    if dummy is not None:
        edges.extend((x, n, d) for x, d in enumerate(dummy))
    return exact_matching(n + (1 if dummy is not None else 0), edges)


@dataclass(frozen=True)
class _Draft:
    kind: Literal["mutual", "trio", "support"]
    x: int
    y: int
    note: str = ""


def _finish(
    scorer: PairScorer,
    drafts: list[_Draft],
    recency: Mapping[tuple[int, int], int],
    labels: Mapping[int, str],
) -> list[Link]:
    """Score and explain all links at once (vectorised; one call per criterion)."""
    if not drafts:
        return []
    u = np.array([d.x for d in drafts], np.int64)
    v = np.array([d.y for d in drafts], np.int64)
    fits = scorer.exact(u, v).tolist()
    parts = scorer.contributions(u, v)
    ids = [p.id for p in scorer.people]
    out = []
    for d, fit, contribs in zip(drafts, fits, parts, strict=True):
        rank = recency.get((min(d.x, d.y), max(d.x, d.y)))
        repeat = labels[rank] if rank is not None else None
        note = d.note
        if repeat is not None:
            note = (
                f"{ids[d.x]} and {ids[d.y]} were already paired in round {repeat}: no "
                "arrangement without this repeat exists, and it is the least recent one "
                f"available. {note}"
            ).strip()
        out.append(
            Link(
                d.kind,
                (ids[d.x], ids[d.y]),
                int(fit),
                tuple(Part(c.criterion, c.weight, c.similarity, c.detail) for c in contribs),
                repeat,
                note,
            )
        )
    return out


def solve_rotation(problem: RotationProblem, *, progress: Progress | None = None) -> RotationResult:
    report = progress or (lambda stage, fraction: None)
    members = problem.members
    weights = dict(problem.weights)
    recency = _recency(problem)
    labels = {rank: rnd.label for rank, rnd in enumerate(problem.history, start=1)}
    peers = [k for k, p in enumerate(members) if not p.probation]
    probation = [k for k, p in enumerate(members) if p.probation]
    scorer = PairScorer(members, weights, location_limit_km=problem.options.location_limit_km)
    peer_scorer = scorer.subset(peers)
    local = {k: pos for pos, k in enumerate(peers)}
    local_recency = {
        (local[a], local[b]): r for (a, b), r in recency.items() if a in local and b in local
    }
    rule = problem.options.odd_member
    n = len(peers)
    notes: list[str] = []
    unpaired: list[Unpaired] = []
    links: list[Link] = []

    drafts: list[_Draft] = []

    # Mutual pairs among members not on probation.
    odd_member: int | None = None
    matching_bound = 0
    proven = True
    method = "exact blossom on all allowed pairs"
    if n == 1:
        odd_member = peers[0]
        unpaired.append(
            Unpaired(
                members[peers[0]].id,
                "the only member not on probation, so there is nobody to pair with as a mutual "
                "peer this round",
            )
        )
    elif n >= 2:
        mate, matching_bound, proven, method = _mutual(
            peer_scorer, local_recency, rule, notes, report
        )
        for x in range(n):
            y = int(mate[x]) if x < len(mate) else -1
            if y == n:
                odd_member = peers[x]
            elif y > x:
                drafts.append(_Draft("mutual", peers[x], peers[y]))
        if odd_member is not None and rule == "trio":
            trio = _place_trio(scorer, recency, odd_member, drafts)
            for partner in trio:
                drafts.append(
                    _Draft(
                        "trio",
                        odd_member,
                        partner,
                        f"{members[odd_member].id} is the odd member out and joins this pair as "
                        "a trio.",
                    )
                )

    # One-way support.
    supported = list(probation)
    supporters = list(peers)
    if odd_member is not None and rule == "one_way" and n > 1:
        supported.append(odd_member)
        supporters.remove(odd_member)
    report("choosing supporters", 0.0)
    plan = assign_support(scorer, sorted(supported), sorted(supporters), recency)
    support_bound = plan.bound
    if len(supported) > len(probation):
        # The odd member's support is bounded by their dummy edge; bound the probation members'
        # support over every possible supporter at the capacity actually used.
        support_bound = assign_support(
            scorer, sorted(probation), sorted(peers), recency, capacity=plan.capacity
        ).bound
    for person in sorted(supported):
        if person in plan.supporter:
            why = "on probation" if members[person].probation else "the odd member out"
            drafts.append(
                _Draft(
                    "support",
                    plan.supporter[person],
                    person,
                    f"{members[person].id} is {why}, so receives support one way; "
                    f"{members[plan.supporter[person]].id} keeps their own mutual peer.",
                )
            )
        else:
            unpaired.append(
                Unpaired(
                    members[person].id,
                    "on probation, and every other member is on probation too: nobody can "
                    "support them this round",
                )
            )
    report("choosing supporters", 1.0)

    links.extend(_finish(scorer, drafts, recency, labels))
    total = sum(ln.fit_units for ln in links)
    bound = matching_bound + support_bound
    proven = proven and plan.proven_optimal and total >= bound
    if any(ln.repeat_of for ln in links):
        notes.append(
            "Some earlier pairs had to be repeated. The score and bound compare arrangements "
            "with this smallest number of repeats."
        )
        bound = max(bound, total)
    bound = max(bound, total)
    links.sort(key=lambda ln: ({"mutual": 0, "trio": 1, "support": 2}[ln.kind], ln.members))
    return RotationResult(
        links=tuple(links),
        unpaired=tuple(sorted(unpaired, key=lambda u: u.id)),
        total_units=total,
        bound_units=bound,
        pair_bound_units=max(
            matching_bound, sum(ln.fit_units for ln in links if ln.kind != "support")
        ),
        proven_optimal=proven,
        method=method,
        odd_member=members[odd_member].id if odd_member is not None else None,
        odd_rule=rule,
        support_capacity=plan.capacity,
        members=len(members),
        notes=tuple(notes),
    )


def _mutual(
    scorer: PairScorer,
    local_recency: dict[tuple[int, int], int],
    rule: OddRule,
    notes: list[str],
    report: Progress,
) -> tuple[list[int], int, bool, str]:
    """Mates (index n = the odd member's dummy partner), bound, proven flag, method."""
    n = scorer.n
    forbidden_keys = np.array([a * n + b for a, b in local_recency], np.int64)
    degree = np.full(n, n - 1)
    for a, b in local_recency:
        degree[a] -= 1
        degree[b] -= 1
    # Dirac: minimum degree >= n/2 guarantees a Hamiltonian cycle, hence a pairing (with at
    # most one person over) that repeats nobody.
    repeat_free = (n >= 3 and int(degree.min()) >= math.ceil(n / 2)) or not local_recency
    dummy: list[int] | None = None
    # The odd member's dummy edge is worth an upper bound on what they get instead of a peer:
    # their two best links (trio) or their best supporter (one way).
    count = (2 if rule == "trio" else 1) if n % 2 == 1 else None
    if n <= EXACT_LIMIT or not repeat_free:
        if count is not None:
            dummy = _exact_best_sums(scorer, local_recency, count)
        report("pairing mutual peers (exact)", 0.0)
        mate_map = _lexicographic_matching(scorer, local_recency, dummy, repeat_free)
        mate = [mate_map.get(x, -1) for x in range(n)]
        value = 0
        for x, y in enumerate(mate):
            if x < y < n:
                value += int(scorer.exact(np.array([x], np.int64), np.array([y], np.int64))[0])
            elif y == n and dummy is not None:
                value += dummy[x]
        report("pairing mutual peers (exact)", 1.0)
        if not repeat_free and n > EXACT_LIMIT:
            notes.append("Members have met most of each other before, so the exact solver ran.")
        return mate, value, True, "exact blossom on all allowed pairs"
    result: Matching = sparse_matching(scorer, forbidden_keys, count, progress=report)
    if result.proven_optimal:
        method = (
            "exact blossom on candidate pairs (warm-started from the fractional relaxation), "
            "proven optimal over all allowed pairs by its duals"
        )
    else:
        method = (
            "exact blossom on candidate pairs (warm-started from the fractional relaxation); "
            "bound from its duals, raised where pairs left out break them, valid over all "
            "allowed pairs"
        )
    return result.mate.tolist(), result.bound, result.proven_optimal, method


def _exact_best_sums(
    scorer: PairScorer, local_recency: Mapping[tuple[int, int], int], count: int
) -> list[int]:
    n = scorer.n
    a, b = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    fit = scorer.exact(a.ravel().astype(np.int64), b.ravel().astype(np.int64)).reshape(n, n)
    fit[np.arange(n), np.arange(n)] = -1
    for x, y in local_recency:
        fit[x, y] = fit[y, x] = -1
    top = -np.sort(-fit, axis=1)[:, :count]
    return [int(v) for v in np.clip(top, 0, None).sum(axis=1)]


def _place_trio(
    scorer: PairScorer,
    recency: Mapping[tuple[int, int], int],
    odd: int,
    drafts: list[_Draft],
) -> tuple[int, int]:
    """The pair the odd member joins: no earlier pair with either if possible, then most fit."""
    pairs = [(d.x, d.y) for d in drafts if d.kind == "mutual"]
    others = np.array([x for pair in pairs for x in pair], np.int64)
    fits = scorer.exact(np.full(len(others), odd, np.int64), others).tolist()
    fit_of = dict(zip(others.tolist(), fits, strict=True))
    best: tuple[tuple[int, int, int], tuple[int, int]] | None = None
    for a, b in pairs:
        ra = recency.get((min(odd, a), max(odd, a)), 0)
        rb = recency.get((min(odd, b), max(odd, b)), 0)
        key = (-(int(ra > 0) + int(rb > 0)), -max(ra, rb), fit_of[a] + fit_of[b])
        if best is None or key > best[0]:
            best = (key, (a, b))
    if best is None:  # pragma: no cover - a trio is only placed when pairs exist
        raise ProblemError("members", "a trio needs at least one pair to join")
    return best[1]
