"""From a scheme's people and settings to a ``matchengine`` problem, and from the engine's answer
back to plain words with people's names.

Everything is read in a handful of bulk queries (one per kind of row, never one per person), so a
scheme of 50,000 people costs the same number of queries as a scheme of five.

The engine names people by id; the adapter uses ``person-<pk>`` and replaces those tokens with
names when it turns explanations into text for the page.
"""

from __future__ import annotations

import functools
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, TextField
from django.db.models.functions import Cast

from matchengine import (
    HardRules,
    HourBlock,
    Location,
    MentoringProblem,
    MentoringResult,
    Objective,
    PairRef,
    Person,
    Weights,
)
from matchengine.constraints import pair_violations
from peercircle.people.eligibility import eligible_q
from peercircle.people.models import Membership
from peercircle.relationships.choices import OCCUPYING, Side
from peercircle.relationships.choices import Status as RelationshipStatus
from peercircle.relationships.models import PairExclusion, Participant
from peercircle.relationships.services import GIVING
from peercircle.schemes.choices import PARTICIPATING, Role
from peercircle.schemes.criteria import CRITERIA_BY_KEY, HARD, OFF, describe
from peercircle.schemes.models import EligibilityRule, Scheme

# Scheme criterion -> the engine's weight names for it.
ENGINE_WEIGHTS: dict[str, tuple[str, ...]] = {
    "language": ("language",),
    "culture": ("culture",),
    "gender": ("gender",),
    "work_type": ("work_types",),
    "experience": ("experience",),
    "distance": ("distance",),
    "hours": ("hours",),
    "personality": ("personality", "learning_style"),
    "background": ("background",),
}
# The engine's criterion -> the words a coordinator sees on a pair.
CRITERION_LABELS: dict[str, str] = {
    "language": "Language",
    "culture": "Culture",
    "gender": "Gender preference",
    "work_types": "Type of fostering or work",
    "experience": "Experience the mentee needs",
    "distance": "Distance",
    "hours": "Working hours",
    "personality": "Personality",
    "learning_style": "Learning style",
    "background": "Professional background",
}
# Details of these criteria would tell a reader someone's gender or culture: only people who may
# see sensitive profiles (coordinators, admins) see them.
SENSITIVE_CRITERIA = frozenset({"culture", "gender"})
# Criteria the engine itself cannot hold as firm rules: the adapter turns a "must" on them into
# must-not-pair entries, which costs one check per mentee-mentor pair.
APP_HARD = ("culture", "work_type", "experience", "hours")
MAX_APP_HARD_PAIRS = 4_000_000

_TOKEN = re.compile(r"\bperson-(\d+)\b")


def token(person_id: int) -> str:
    return f"person-{person_id}"


def person_id_of(engine_id: str) -> int:
    return int(engine_id.removeprefix("person-"))


class NothingToMatch(Exception):
    """The run cannot produce any pair; the message says why and which setting to change."""


@dataclass
class Built:
    """A problem ready for the engine, with what the page needs to explain it."""

    problem: MentoringProblem
    names: dict[int, str]
    snapshot: dict[str, Any]
    # Locked pairs the re-run could not keep, with the reason, in plain words.
    dropped_locks: list[str] = field(default_factory=list)
    # Mentee person id -> the "must" rule the adapter enforced that leaves them no mentor.
    app_hard_reasons: dict[int, str] = field(default_factory=dict)


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(sorted({str(v).strip() for v in value if str(v).strip()}))


def _hours(value: object) -> tuple[HourBlock, ...]:
    blocks: list[HourBlock] = []
    if isinstance(value, list):
        for item in value:
            if (
                isinstance(item, list | tuple)
                and len(item) == 3
                and all(isinstance(v, int) and not isinstance(v, bool) for v in item)
                and 0 <= item[0] <= 6
                and 0 <= item[1] < item[2] <= 24
            ):
                blocks.append(HourBlock(item[0], item[1], item[2]))
    return tuple(sorted(set(blocks)))


# People repeat the same few lists ("English", "Mon-Fri 9-17"): the scheme's rows are read as
# JSON text and each distinct text is decoded once, which at 50,000 people saves seconds.
@functools.lru_cache(maxsize=65_536)
def _texts_of_json(raw: str) -> tuple[str, ...]:
    try:
        return _texts(json.loads(raw))
    except ValueError:
        return ()


@functools.lru_cache(maxsize=65_536)
def _hours_of_json(raw: str) -> tuple[HourBlock, ...]:
    try:
        return _hours(json.loads(raw))
    except ValueError:
        return ()


def _list_field(value: object) -> tuple[str, ...]:
    return _texts_of_json(value) if isinstance(value, str) else _texts(value)


def _person(row: Mapping[str, Any], **extra: Any) -> Person:
    located = row["latitude"] is not None and row["longitude"] is not None
    preference = _list_field(row["sensitive__gender_preference"])
    hours = row["working_hours"]
    return Person(
        id=token(row["id"]),
        languages=_list_field(row["languages"]),
        culture=_list_field(row["sensitive__culture"]),
        gender=(row["sensitive__gender"] or "").strip() or None,
        gender_preference=preference or None,
        work_types=_list_field(row["work_types"]),
        experience=_list_field(row["experience"]),
        needs=_list_field(row["needs"]),
        background=_list_field(row["background"]),
        location=Location(row["latitude"], row["longitude"]) if located else None,
        travel_limit=None if row["travel_limit"] is None else float(row["travel_limit"]),
        hours=_hours_of_json(hours) if isinstance(hours, str) else _hours(hours),
        personality=row["personality"] or None,
        learning_style=row["learning_style"] or None,
        probation=bool(row["on_probation"]),
        **extra,
    )


JSON_FIELDS = (
    "languages",
    "work_types",
    "experience",
    "needs",
    "background",
    "working_hours",
    "sensitive__gender_preference",
    "sensitive__culture",
)
PERSON_FIELDS = (
    "id",
    "given_name",
    "family_name",
    "languages",
    "work_types",
    "experience",
    "needs",
    "background",
    "latitude",
    "longitude",
    "travel_limit",
    "working_hours",
    "personality",
    "learning_style",
    "on_probation",
    "sensitive__gender",
    "sensitive__gender_preference",
    "sensitive__culture",
)


def _settings(scheme: Scheme, unit: str) -> dict[str, Any]:
    criteria = scheme.criteria()
    weights: dict[str, float] = {}
    for key, names in ENGINE_WEIGHTS.items():
        setting = criteria[key]
        weight = 0.0 if setting.get("mode", OFF) == OFF else float(setting.get("weight", 0) or 0)
        for name in names:
            weights[name] = weight
    distance = criteria["distance"]
    limit = distance.get("limit") if distance.get("mode") != OFF else None
    return {
        "criteria": criteria,
        "described": [describe(key, criteria[key], unit) for key in ENGINE_WEIGHTS],
        "weights": weights,
        "hard": {
            "shared_language": criteria["language"].get("mode") == HARD,
            "gender_preference": criteria["gender"].get("mode") == HARD,
            "travel_limit": distance.get("mode") == HARD,
        },
        "app_hard": [k for k in APP_HARD if criteria[k].get("mode") == HARD],
        "scheme_travel_limit": float(limit) if limit else None,
        "distance_scale": float(limit) if limit else 30.0,
        "distance_unit": unit,
        "mentor_capacity": scheme.mentor_capacity,
    }


def criteria_words(scheme: Scheme, unit: str) -> list[str]:
    """The scheme's criteria as a coordinator reads them, e.g. "must live within 25 miles"."""
    words: list[str] = _settings(scheme, unit)["described"]
    return words


def _overlaps(a: tuple[HourBlock, ...], b: tuple[HourBlock, ...]) -> bool:
    return any(x.day == y.day and x.start < y.end and y.start < x.end for x in a for y in b)


def _app_hard_ok(rule: str, mentee: Person, mentor: Person) -> bool:
    """A mentee who lists nothing for a rule has no requirement under it."""
    if rule == "culture":
        return not mentee.culture or bool(set(mentee.culture) & set(mentor.culture))
    if rule == "work_type":
        return not mentee.work_types or bool(set(mentee.work_types) & set(mentor.work_types))
    if rule == "experience":
        return set(mentee.needs) <= set(mentor.experience)
    if rule == "hours":
        return not mentee.hours or _overlaps(mentee.hours, mentor.hours)
    raise AssertionError(rule)


def _app_hard_pairs(
    rules: list[str], mentees: list[Person], mentors: list[Person]
) -> tuple[list[PairRef], dict[int, str]]:
    if not rules:
        return [], {}
    if len(mentees) * len(mentors) > MAX_APP_HARD_PAIRS:
        labels = ", ".join(f"“{CRITERIA_BY_KEY[r].must_label}”" for r in rules)
        raise NothingToMatch(
            f"This scheme is too large for {labels} as a firm rule "
            f"({len(mentees):,} mentees and {len(mentors):,} mentors). In the matching settings, "
            "change it to “prefer” with a high weight: pairs that meet it will still come first."
        )
    banned: list[PairRef] = []
    reasons: dict[int, str] = {}
    for mentee in mentees:
        allowed_any = False
        first_failing: str | None = None
        for mentor in mentors:
            failing = next((r for r in rules if not _app_hard_ok(r, mentee, mentor)), None)
            if failing is None:
                allowed_any = True
            else:
                first_failing = first_failing or failing
                banned.append(PairRef(mentee.id, mentor.id, failing))
        if not allowed_any and first_failing is not None and mentors:
            reasons[person_id_of(mentee.id)] = (
                f"no mentor with a free place meets the firm rule "
                f"“{CRITERIA_BY_KEY[first_failing].must_label}”"
            )
    return banned, reasons


def build_problem(
    scheme: Scheme,
    *,
    today: date,
    unit: str,
    locked: Iterable[tuple[int, int]] = (),
) -> Built:
    """The engine's problem for ``scheme``: everyone waiting, every mentor with a free place.

    ``locked`` are (mentee person id, mentor person id) pairs to keep. Raises ``NothingToMatch``
    when no pair is possible at all, saying which setting to change.
    """
    settings = _settings(scheme, unit)
    rules = list(EligibilityRule.objects.filter(scheme=scheme))
    from peercircle.relationships.models import Allegation

    under_allegation = set(
        Allegation.objects.filter(status="open").values_list("subject_id", flat=True)
    )
    # People who already have a current relationship in the scheme as a mentee are matched.
    matched = set(
        Participant.objects.filter(
            relationship__scheme=scheme,
            relationship__status__in=OCCUPYING,
            side=Side.MENTEE,
        ).values_list("person_id", flat=True)
    )
    waiting_rows = list(
        Membership.objects.filter(
            scheme=scheme,
            role=Role.MENTEE,
            status__in=PARTICIPATING,
            waiting_since__isnull=False,
        )
        .order_by("person_id")
        .values_list("person_id", "waiting_since")
    )
    waiting = {
        pid: since
        for pid, since in waiting_rows
        if pid not in matched and pid not in under_allegation
    }
    load = dict(
        Participant.objects.filter(
            relationship__scheme=scheme,
            relationship__status__in=OCCUPYING,
            side__in=GIVING,
        )
        .values_list("person_id")
        .annotate(n=Count("relationship", distinct=True))
        .values_list("person_id", "n")
    )
    mentor_ids = set(
        Membership.objects.filter(
            eligible_q(scheme, Role.MENTOR, rules, today, prefix="person__"),
            scheme=scheme,
            role=Role.MENTOR,
            status__in=PARTICIPATING,
        ).values_list("person_id", flat=True)
    )
    free = {
        pid: scheme.mentor_capacity - load.get(pid, 0)
        for pid in mentor_ids
        if pid not in under_allegation and scheme.mentor_capacity - load.get(pid, 0) > 0
    }
    if not waiting:
        raise NothingToMatch(
            "Nobody is waiting for a mentor in this scheme. A mentee waits once they are added "
            "to the scheme as an approved or active mentee, or when their relationship ends and "
            "they ask for a new match."
        )
    if not free:
        raise NothingToMatch(
            f"No mentor has a free place: every approved mentor already supports "
            f"{scheme.mentor_capacity} {'person' if scheme.mentor_capacity == 1 else 'people'} "
            "(the scheme's limit), or no mentor is approved yet. Raise “mentees per mentor” in "
            "the scheme settings, or approve more mentors."
        )

    # Both reads go through the membership join, so neither needs a list of ids in the query.
    def people(role: str) -> list[dict[str, Any]]:
        rows = Membership.objects.filter(scheme=scheme, role=role, status__in=PARTICIPATING)
        if role == Role.MENTEE:
            rows = rows.filter(waiting_since__isnull=False)
        plain = [f for f in PERSON_FIELDS if f not in JSON_FIELDS]
        as_text = {
            f"json_{n}": Cast(f"person__{f}", TextField()) for n, f in enumerate(JSON_FIELDS)
        }
        # Tuples, named once per read: JSON columns come back as text (parsed with a cache).
        found = rows.order_by("person_id").values_list(
            *(f"person__{f}" for f in plain), *as_text.values()
        )
        keys = (*plain, *JSON_FIELDS)
        return [dict(zip(keys, r, strict=True)) for r in found]

    names: dict[int, str] = {}
    scheme_limit = settings["scheme_travel_limit"] if settings["hard"]["travel_limit"] else None
    mentees: list[Person] = []
    for row in people(Role.MENTEE):
        since = waiting.get(row["id"])
        if since is None:
            continue
        names[row["id"]] = f"{row['given_name']} {row['family_name']}".strip()
        person = _person(row, waiting_days=max(0, (today - since).days))
        if scheme_limit is not None and (
            person.travel_limit is None or person.travel_limit > scheme_limit
        ):
            person = _replace_limit(person, scheme_limit)
        mentees.append(person)
    mentors: list[Person] = []
    for row in people(Role.MENTOR):
        capacity = free.get(row["id"])
        if capacity is None:
            continue
        names[row["id"]] = f"{row['given_name']} {row['family_name']}".strip()
        mentors.append(_person(row, capacity=capacity))

    mentee_ids = {p.id for p in mentees}
    mentor_tokens = {p.id for p in mentors}

    def both(a: int, b: int) -> list[tuple[str, str]]:
        pairs = []
        for x, y in ((a, b), (b, a)):
            if token(x) in mentee_ids and token(y) in mentor_tokens:
                pairs.append((token(x), token(y)))
        return pairs

    must_not: set[PairRef] = set()
    for low, high in PairExclusion.objects.filter(scheme=scheme).values_list(
        "person_low_id", "person_high_id"
    ):
        must_not.update(PairRef(x, y) for x, y in both(low, high))
    history: set[PairRef] = set()
    sides: dict[int, dict[str, int]] = defaultdict(dict)
    for rel, pid, side in Participant.objects.filter(
        relationship__scheme=scheme,
        relationship__status=RelationshipStatus.ENDED,
        side__in=(Side.MENTOR, Side.MENTEE),
    ).values_list("relationship_id", "person_id", "side"):
        sides[rel][side] = pid
    for pair in sides.values():
        mentee_of, mentor_of = pair.get(Side.MENTEE), pair.get(Side.MENTOR)
        if mentee_of is None or mentor_of is None:
            continue
        if token(mentee_of) in mentee_ids and token(mentor_of) in mentor_tokens:
            history.add(PairRef(token(mentee_of), token(mentor_of), "ended"))
    # Someone who is both a mentee and a mentor in the scheme is never their own mentor.
    must_not.update(PairRef(t, t) for t in mentee_ids & mentor_tokens)
    app_banned, app_reasons = _app_hard_pairs(settings["app_hard"], mentees, mentors)
    must_not.update(PairRef(p.mentee, p.mentor) for p in app_banned)

    problem = MentoringProblem(
        # In id order as text, as the engine's own JSON reader gives them: "person-10" comes
        # before "person-9", and the engine's tie-breaks and output order rely on it.
        mentees=tuple(sorted(mentees, key=lambda p: p.id)),
        mentors=tuple(sorted(mentors, key=lambda p: p.id)),
        weights=Weights(**settings["weights"]),
        hard=HardRules(**settings["hard"]),
        objective=Objective(),
        distance_unit="km" if unit == "km" else "mi",
        distance_scale=settings["distance_scale"],
        must_not_pair=tuple(sorted(must_not, key=lambda p: (p.mentee, p.mentor))),
        history=tuple(sorted(history, key=lambda p: (p.mentee, p.mentor))),
    )
    built = Built(problem=problem, names=names, snapshot={}, app_hard_reasons=app_reasons)
    kept = _keep_locks(built, locked)
    from dataclasses import replace

    built.problem = replace(problem, locked=tuple(kept))
    built.snapshot = {
        **{k: v for k, v in settings.items() if k != "described"},
        "described": settings["described"],
        "mentees": len(mentees),
        "mentors": len(mentors),
        "places": sum(p.capacity for p in mentors),
        "excluded_pairs": len(must_not),
        "earlier_matches": len(history),
        "locked": [[person_id_of(r.mentee), person_id_of(r.mentor)] for r in kept],
    }
    if not any(True for _ in _some_allowed(built.problem)):
        raise NothingToMatch(_every_pair_impossible(settings))
    return built


def _replace_limit(person: Person, limit: float) -> Person:
    from dataclasses import replace

    return replace(person, travel_limit=limit)


def _keep_locks(built: Built, locked: Iterable[tuple[int, int]]) -> list[PairRef]:
    """The locked pairs that still make sense; the others are reported, not fatal."""
    problem = built.problem
    mentees = {p.id: p for p in problem.mentees}
    mentors = {p.id: p for p in problem.mentors}
    used: dict[str, int] = defaultdict(int)
    kept: list[PairRef] = []
    seen: set[str] = set()
    banned = {(r.mentee, r.mentor) for r in problem.must_not_pair + problem.history}
    for mentee_id, mentor_id in locked:
        a, b = token(mentee_id), token(mentor_id)
        mentee_name = built.names.get(mentee_id, "a mentee")
        who = f"{mentee_name} with {built.names.get(mentor_id, 'a mentor')}"
        if a not in mentees or a in seen:
            built.dropped_locks.append(f"{who}: the mentee is no longer waiting")
            continue
        if b not in mentors or used[b] >= mentors[b].capacity:
            built.dropped_locks.append(f"{who}: the mentor has no free place any more")
            continue
        broken = pair_violations(problem, mentees[a], mentors[b])
        if (a, b) in banned or broken:
            built.dropped_locks.append(f"{who}: the pair now breaks a firm rule")
            continue
        used[b] += 1
        seen.add(a)
        kept.append(PairRef(a, b))
    return sorted(kept, key=lambda p: (p.mentee, p.mentor))


def _some_allowed(problem: MentoringProblem) -> Iterable[None]:
    """Yields once if at least one pair breaks no firm rule (stops at the first it finds).

    Checking pair by pair is fine here: it only runs long when almost every pair is impossible,
    and then it gives up after a bounded sample rather than proving it.
    """
    banned = {(r.mentee, r.mentor) for r in problem.must_not_pair + problem.history}
    checked = 0
    for mentee in problem.mentees:
        for mentor in problem.mentors:
            checked += 1
            if (mentee.id, mentor.id) not in banned and not pair_violations(
                problem, mentee, mentor
            ):
                yield None
                return
            if checked >= 200_000:
                # Too many to check here: let the engine decide (and explain each mentee).
                yield None
                return


def _every_pair_impossible(settings: dict[str, Any]) -> str:
    rules = [
        describe(key, settings["criteria"][key], settings["distance_unit"])
        for key in ("language", "gender", "distance", *APP_HARD)
        if settings["criteria"][key].get("mode") == HARD
    ]
    if not rules:
        return (
            "Every possible pair has been excluded (earlier matches or pairs marked never to be "
            "matched again). Add mentors to the scheme, or remove an exclusion."
        )
    listed = "; ".join(f"“{r}”" for r in rules)
    return (
        f"With the firm rules {listed}, no waiting mentee can be paired with any mentor who "
        "has a free place. In the matching settings, change one of them from “must” to "
        "“prefer” (or raise the travel limit), then run the match again."
    )


# --- From the engine's answer to words --------------------------------------------------------


def named(text: str, names: Mapping[int, str]) -> str:
    """Replace the engine's person tokens with people's names."""
    if "person-" not in text:  # most details name nobody; the check is far cheaper than a sub
        return text
    return _TOKEN.sub(lambda m: names.get(int(m.group(1)), "someone"), text)


def _wording(text: str) -> str:
    # The engine speaks of "this mentee" and "the mentor"; on the page those read fine, but the
    # engine's technical list names become plain ones.
    return text.replace("must-not-pair list", "never-match list")


def explain_pairs(result: MentoringResult, names: Mapping[int, str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for pair in result.pairs:
        criteria = [
            {
                "criterion": c.criterion,
                "label": CRITERION_LABELS.get(c.criterion, c.criterion),
                "score": round(c.points / 1000, 2),
                "detail": named(c.detail, names),
                "sensitive": c.criterion in SENSITIVE_CRITERIA,
            }
            for c in pair.criteria
            if c.points > 0
        ]
        rows.append(
            {
                "mentee": person_id_of(pair.mentee),
                "mentor": person_id_of(pair.mentor),
                "locked": pair.locked,
                "score": round(pair.fit_points / 1000, 2),
                "distance": None if pair.distance is None else round(pair.distance, 1),
                "criteria": criteria,
            }
        )
    return rows


def explain_unmatched(result: MentoringResult, built: Built) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for entry in result.unmatched:
        pid = person_id_of(entry.mentee)
        reasons = [_wording(named(r, built.names)) for r in entry.reasons]
        own = built.app_hard_reasons.get(pid)
        if own is not None:
            # The engine only sees the adapter's firm rules as a long never-match list; say
            # which rule it was instead.
            reasons = [own]
        changes = [
            {"kind": c.kind, "description": _wording(named(c.description, built.names))}
            for c in entry.changes
        ]
        if not reasons:
            reasons = ["no mentor with a free place fits"]
        rows.append({"person": pid, "reasons": reasons, "changes": changes})
    return rows


def pair_problems(
    scheme: Scheme, snapshot: Mapping[str, Any], mentee_id: int, mentor_id: int
) -> list[str]:
    """Every firm rule a pair set by hand would break, in plain words (empty: allowed).

    Uses the run's own settings snapshot, so a hand-set pair is checked against the rules the
    rest of the proposal was made under.
    """
    from peercircle.people.models import Person as PersonRow

    rows = {
        r["id"]: r
        for r in PersonRow.objects.filter(pk__in=[mentee_id, mentor_id]).values(*PERSON_FIELDS)
    }
    if mentee_id not in rows or mentor_id not in rows:
        return ["one of them is not in this organisation"]
    mentee = _person(rows[mentee_id])
    limit = snapshot.get("scheme_travel_limit")
    hard = snapshot.get("hard", {})
    if (
        hard.get("travel_limit")
        and limit
        and (mentee.travel_limit is None or mentee.travel_limit > limit)
    ):
        mentee = _replace_limit(mentee, float(limit))
    mentor = _person(rows[mentor_id])
    problem = MentoringProblem(
        mentees=(mentee,),
        mentors=(mentor,),
        hard=HardRules(**hard),
        distance_unit="km" if snapshot.get("distance_unit") == "km" else "mi",
    )
    problems = list(pair_violations(problem, mentee, mentor))
    for rule in snapshot.get("app_hard", []):
        if not _app_hard_ok(rule, mentee, mentor):
            problems.append(f"the firm rule “{CRITERIA_BY_KEY[rule].must_label}” is not met")
    low, high = sorted((mentee_id, mentor_id))
    if PairExclusion.objects.filter(scheme=scheme, person_low_id=low, person_high_id=high).exists():
        problems.append("they are on the never-match list for this scheme")
    elif (
        Participant.objects.filter(
            relationship__scheme=scheme,
            relationship__status=RelationshipStatus.ENDED,
            person_id=mentee_id,
        )
        .filter(relationship__participants__person_id=mentor_id)
        .exists()
    ):
        problems.append("an earlier match between them ended")
    return problems
