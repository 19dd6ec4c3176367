"""The hard constraints for one pair, in plain words.

``score_block`` applies the same rules in bulk; this per-pair version says *which* rule a pair
breaks, for refusing a locked pair and for explaining why someone is unmatched.
"""

from __future__ import annotations

from matchengine.geo import chord2, chord2_of_distance, distance
from matchengine.model import MentoringProblem, Person


def describe_list(items: tuple[str, ...] | list[str], conjunction: str = "or") -> str:
    items = list(items)
    if not items:
        return "nothing"
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"


def pair_distance(problem: MentoringProblem, mentee: Person, mentor: Person) -> float | None:
    if mentee.location is None or mentor.location is None:
        return None
    return distance(mentee.location, mentor.location, problem.distance_unit)


def breaks_language(problem: MentoringProblem, mentee: Person, mentor: Person) -> str | None:
    if not problem.hard.shared_language or not mentee.languages:
        return None
    if set(mentee.languages) & set(mentor.languages):
        return None
    return (
        f"they share no language (the mentee speaks {describe_list(mentee.languages)}; "
        f"the mentor speaks {describe_list(mentor.languages, 'and')})"
    )


def breaks_gender(problem: MentoringProblem, mentee: Person, mentor: Person) -> str | None:
    if not problem.hard.gender_preference:
        return None
    pref = mentee.gender_preference
    if pref is not None and mentor.gender not in pref:
        return (
            f"the mentee asked for a {describe_list(pref)} mentor "
            f"and the mentor's gender is {mentor.gender or 'not recorded'}"
        )
    pref = mentor.gender_preference
    if pref is not None and mentee.gender not in pref:
        return (
            f"the mentor asked for a {describe_list(pref)} mentee "
            f"and the mentee's gender is {mentee.gender or 'not recorded'}"
        )
    return None


def breaks_travel(problem: MentoringProblem, mentee: Person, mentor: Person) -> str | None:
    if not problem.hard.travel_limit:
        return None
    unit = problem.distance_unit
    limits = [p.travel_limit for p in (mentee, mentor) if p.travel_limit is not None]
    if not limits:
        return None
    if mentee.location is None or mentor.location is None:
        return "a travel limit applies but one of them has no location, so the distance is unknown"
    c2 = chord2(mentee.location, mentor.location)
    d = distance(mentee.location, mentor.location, unit)
    for who, person in (("mentee", mentee), ("mentor", mentor)):
        limit = person.travel_limit
        # Compared as chords, exactly as the bulk scorer does, so both always agree.
        if limit is not None and c2 > chord2_of_distance(limit, unit):
            return (
                f"they live {d:.1f} {unit} apart, beyond the {who}'s travel limit "
                f"of {limit:g} {unit}"
            )
    return None


def excluded_reason(problem: MentoringProblem, mentee: Person, mentor: Person) -> str | None:
    for ref in problem.must_not_pair:
        if (ref.mentee, ref.mentor) == (mentee.id, mentor.id):
            return "the pair is on the must-not-pair list"
    for ref in problem.history:
        if (ref.mentee, ref.mentor) == (mentee.id, mentor.id):
            return f"an earlier match between them {ref.note}"
    return None


def pair_violations(problem: MentoringProblem, mentee: Person, mentor: Person) -> list[str]:
    """Every hard constraint the pair breaks, in plain words; empty if the pair is allowed."""
    checks = (breaks_language, breaks_gender, breaks_travel, excluded_reason)
    return [reason for check in checks if (reason := check(problem, mentee, mentor)) is not None]
