"""Random small mentoring problems and an independent exact solver to check the engine against.

The reference solver scores every pair with plain Python sets (the rules as docs/matching.md
states them, not the engine's matrices), checks hard constraints with ``pair_violations`` and
solves the assignment exactly with SciPy on mentor places duplicated.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from matchengine.constraints import pair_distance, pair_violations
from matchengine.jsonio import parse_mentoring_problem
from matchengine.model import CRITERIA, POINTS_PER_UNIT, MentoringProblem, Person

LANGS = ["English", "Polish", "Tigrinya"]
GENDERS = ["female", "male", "non-binary"]
WORK = ["teenagers", "respite", "disabilities"]
EXPERIENCE = ["questioning-sexuality", "self-harm", "autism"]
HOURS = [
    [[0, 9, 17], [1, 9, 17]],
    [[0, 18, 22]],
    [[5, 10, 14], [6, 10, 12]],
    [],
    [[0, 8, 12], [0, 10, 14]],
]


@st.composite
def person(draw: st.DrawFn, role: str, index: int) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": f"{role}-{index:02d}",
        "languages": draw(st.lists(st.sampled_from(LANGS), max_size=2, unique=True)),
        "culture": draw(st.lists(st.sampled_from(["a", "b"]), max_size=1)),
        "gender": draw(st.sampled_from(GENDERS + [None])),
        "gender_preference": draw(
            st.one_of(st.none(), st.lists(st.sampled_from(GENDERS), min_size=1, unique=True))
        ),
        "work_types": draw(st.lists(st.sampled_from(WORK), max_size=2, unique=True)),
        "background": draw(st.lists(st.sampled_from(["nursing", "teaching"]), max_size=1)),
        "hours": draw(st.sampled_from(HOURS)),
        "personality": draw(st.sampled_from(["calm", "lively", None])),
        "learning_style": draw(st.sampled_from(["talking", "doing", None])),
        "travel_limit": draw(st.sampled_from([None, 5, 10, 20, 40])),
    }
    if draw(st.integers(0, 9)) > 0:
        data["location"] = {
            "lat": round(51.5 + draw(st.floats(-0.4, 0.4)), 4),
            "lon": round(-0.1 + draw(st.floats(-0.6, 0.6)), 4),
        }
    if role == "mentee":
        data["needs"] = draw(st.lists(st.sampled_from(EXPERIENCE), max_size=2, unique=True))
        data["waiting_days"] = draw(st.integers(0, 120))
    else:
        data["experience"] = draw(st.lists(st.sampled_from(EXPERIENCE), max_size=2, unique=True))
        data["capacity"] = draw(st.integers(0, 3))
    return data


@st.composite
def problems(
    draw: st.DrawFn, max_mentees: int = 9, max_mentors: int = 5, locks: bool = True
) -> dict[str, Any]:
    n = draw(st.integers(1, max_mentees))
    m = draw(st.integers(1, max_mentors))
    mentees = [draw(person("mentee", k)) for k in range(n)]
    mentors = [draw(person("mentor", k)) for k in range(m)]
    weights = {c: draw(st.sampled_from([0, 0.5, 1, 2, 3])) for c in CRITERIA}
    data: dict[str, Any] = {
        "problem": "mentoring",
        "distance_unit": draw(st.sampled_from(["mi", "km"])),
        "distance_scale": draw(st.sampled_from([10, 30])),
        "hard": {
            "shared_language": draw(st.booleans()),
            "gender_preference": draw(st.booleans()),
            "travel_limit": draw(st.booleans()),
        },
        "weights": weights,
        "objective": {
            "waiting_days_per_point": draw(st.sampled_from([None, None, 30])),
            "fairness": False,
        },
        "compatible_personalities": [["calm", "lively"]] if draw(st.booleans()) else [],
        "mentees": mentees,
        "mentors": mentors,
    }
    pairs = [(a["id"], b["id"]) for a in mentees for b in mentors]
    banned = draw(st.lists(st.sampled_from(pairs), max_size=3, unique=True))
    data["must_not_pair"] = [{"mentee": a, "mentor": b} for a, b in banned[:1]]
    data["history"] = [{"mentee": a, "mentor": b, "outcome": "ended"} for a, b in banned[1:]]
    if locks and draw(st.booleans()):
        problem = parse_mentoring_problem(data)
        allowed = allowed_pairs(problem)
        load: dict[str, int] = {}
        chosen: list[tuple[str, str]] = []
        picks = (
            draw(st.lists(st.sampled_from(sorted(allowed)), max_size=2, unique=True))
            if allowed
            else []
        )
        for a, b in picks:
            capacity = next(p.capacity for p in problem.mentors if p.id == b)
            if a in {x for x, _ in chosen} or load.get(b, 0) >= capacity:
                continue
            load[b] = load.get(b, 0) + 1
            chosen.append((a, b))
        data["locked"] = [{"mentee": a, "mentor": b} for a, b in chosen]
    return data


def allowed_pairs(problem: MentoringProblem) -> set[tuple[str, str]]:
    return {
        (a.id, b.id)
        for a in problem.mentees
        for b in problem.mentors
        if not pair_violations(problem, a, b)
    }


def _share(items: tuple[str, ...], other: tuple[str, ...], weight: float) -> int:
    if not items:
        return 0
    each = round(weight * POINTS_PER_UNIT / len(items))
    return each * len(set(items) & set(other))


def _hours(p: Person) -> tuple[str, ...]:
    # A set: overlapping blocks count each hour once.
    return tuple({str(b.day * 24 + h) for b in p.hours for h in range(b.start, b.end)})


def reference_fit(problem: MentoringProblem, mentee: Person, mentor: Person) -> dict[str, int]:
    """Points per criterion, straight from the rules in docs/matching.md."""
    w = problem.weights
    full = {c: round(w.of(c) * POINTS_PER_UNIT) for c in CRITERIA}
    points = {
        "language": _share(mentee.languages, mentor.languages, w.language),
        "culture": _share(mentee.culture, mentor.culture, w.culture),
        "work_types": _share(mentee.work_types, mentor.work_types, w.work_types),
        "experience": _share(mentee.needs, mentor.experience, w.experience),
        "background": _share(mentee.background, mentor.background, w.background),
        "hours": _share(_hours(mentee), _hours(mentor), w.hours),
    }
    pref = mentee.gender_preference
    points["gender"] = full["gender"] if pref is None or mentor.gender in pref else 0
    compatible = {(a, b) for a, b in problem.compatible_personalities}
    compatible |= {(b, a) for a, b in compatible}
    same = mentee.personality is not None and (
        mentee.personality == mentor.personality
        or (mentee.personality, mentor.personality) in compatible
    )
    points["personality"] = full["personality"] if same else 0
    style = mentee.learning_style is not None and mentee.learning_style == mentor.learning_style
    points["learning_style"] = full["learning_style"] if style else 0
    d = pair_distance(problem, mentee, mentor)
    if d is None:
        points["distance"] = 0
    else:
        share = max(0.0, 1.0 - d / problem.distance_scale)
        points["distance"] = round(share * w.distance * POINTS_PER_UNIT)
    return points


def priority(problem: MentoringProblem, mentee: Person) -> int:
    per = problem.objective.waiting_days_per_point
    return 1 if per is None else min(1000, 1 + mentee.waiting_days // per)


def brute_force(problem: MentoringProblem, min_fit: int = 0) -> tuple[int, int]:
    """(matched priority, total fit) of the optimum, locked pairs included, by exact assignment."""
    locked = {(r.mentee, r.mentor) for r in problem.locked}
    locked_mentees = {a for a, _ in locked}
    used = {b: sum(1 for _, x in locked if x == b) for b in (p.id for p in problem.mentors)}
    free = [p for p in problem.mentees if p.id not in locked_mentees]
    slots = [b for b in problem.mentors for _ in range(b.capacity - used[b.id])]
    allowed = allowed_pairs(problem)
    base_priority = sum(priority(problem, p) for p in problem.mentees if p.id in locked_mentees)
    by_id = {p.id: p for p in problem.mentees}
    mentors_by_id = {p.id: p for p in problem.mentors}
    base_fit = sum(
        sum(reference_fit(problem, by_id[a], mentors_by_id[b]).values()) for a, b in locked
    )
    if not free or not slots:
        return base_priority, base_fit
    fits = np.zeros((len(free), len(slots)), dtype=np.int64)
    ok = np.zeros((len(free), len(slots)), dtype=bool)
    for i, a in enumerate(free):
        for j, b in enumerate(slots):
            fit = sum(reference_fit(problem, a, b).values())
            fits[i, j] = fit
            ok[i, j] = (a.id, b.id) in allowed and fit >= min_fit
    big = len(free) * (int(fits.max(initial=0)) + 1) + 1
    pri = np.array([priority(problem, a) for a in free])
    gain = np.where(ok, big * pri[:, None] + fits, -(10**15))
    # Unmatched is a column per mentee worth nothing.
    matrix = np.hstack([gain, np.full((len(free), len(free)), 0)]).astype(np.float64)
    rows, cols = linear_sum_assignment(matrix, maximize=True)
    real = cols < len(slots)
    chosen_ok = ok[rows[real], cols[real]]
    total = int(gain[rows[real], cols[real]][chosen_ok].sum())
    assert math.isfinite(total)
    return base_priority + total // big, base_fit + total % big
