"""Eligibility: may this person take this role in this scheme, and if not, why not.

Each rule is read two ways that must always agree: ``evaluate`` explains one person in plain words
(for the person page), ``eligible_q`` filters thousands in the database (for the dashboard and the
people list). A property test holds the two together.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from peercircle.people.models import Person
from peercircle.schemes.models import EligibilityRule, Scheme

Criterion = EligibilityRule.Criterion


@dataclass(frozen=True)
class Eligibility:
    eligible: bool
    reasons: tuple[str, ...]  # one plain sentence for every rule the person does not meet
    rules_checked: int

    @property
    def summary(self) -> str:
        if self.rules_checked == 0:
            return "Eligible: this role has no eligibility rules."
        if self.eligible:
            return "Eligible: meets every rule."
        return "Not eligible: " + " ".join(self.reasons)


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier, clamped to the month's end (29 Feb -> 28 Feb)."""
    year, month = divmod(day.year * 12 + (day.month - 1) - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _months(minimum: Decimal | float) -> int:
    return round(Decimal(minimum) * 12)


def _years_words(months: int) -> str:
    years, rest = divmod(months, 12)
    parts = []
    if years:
        parts.append(f"{years} year{'s' if years != 1 else ''}")
    if rest or not years:
        parts.append(f"{rest} month{'s' if rest != 1 else ''}")
    return " ".join(parts)


def _elapsed_months(start: date, today: date) -> int:
    months = (today.year - start.year) * 12 + (today.month - start.month)
    if today.day < start.day:
        months -= 1
    return max(months, 0)


def training_interval(scheme: Scheme) -> timedelta | None:
    """How long one training keeps a person up to date: a year split by the yearly minimum."""
    if scheme.trainings_per_year == 0:
        return None
    return timedelta(days=365 // scheme.trainings_per_year)


def rule_applies(rule: EligibilityRule, person: Person) -> bool:
    if rule.only_category and person.category != rule.only_category:
        return False
    return not (rule.except_category and person.category == rule.except_category)


def _unmet_reason(rule: EligibilityRule, person: Person, scheme: Scheme, today: date) -> str | None:
    """The plain-words reason ``person`` fails ``rule``, or None when they meet it."""
    role = rule.get_role_display().lower()
    who = f"{role}s who are respite carers" if rule.only_category == "respite" else f"{role}s"
    if rule.criterion == Criterion.YEARS_APPROVED:
        needed = _months(rule.minimum)
        if person.approved_on is None:
            return (
                f"No approval date is recorded; {who} need {_years_words(needed)} since approval."
            )
        if person.approved_on > months_before(today, needed):
            have = _elapsed_months(person.approved_on, today)
            return f"Approved {_years_words(have)} ago; {who} need at least {_years_words(needed)}."
        return None
    if rule.criterion == Criterion.YEARS_ACTIVE:
        needed = _months(rule.minimum)
        if person.active_experience_months < needed:
            return (
                f"Has {_years_words(person.active_experience_months)} of active experience; "
                f"{who} need at least {_years_words(needed)}."
            )
        return None
    if rule.criterion == Criterion.TRAINING_CURRENT:
        interval = training_interval(scheme)
        if interval is None:
            return None
        if person.last_training_on is None:
            return "No training is recorded; training must be kept up to date."
        if person.last_training_on < today - interval:
            return f"Last training was on {person.last_training_on:%-d %B %Y}; training is overdue."
        return None
    if rule.criterion == Criterion.NOT_ON_PROBATION:
        return "Is on probation." if person.on_probation else None
    raise ValueError(f"Unknown eligibility criterion {rule.criterion!r}")


def evaluate(
    person: Person,
    scheme: Scheme,
    role: str,
    rules: Iterable[EligibilityRule],
    today: date,
) -> Eligibility:
    """Whether ``person`` may take ``role`` in ``scheme``, with a reason for every unmet rule."""
    relevant = [r for r in rules if r.role == role and rule_applies(r, person)]
    reasons = [
        reason
        for rule in relevant
        if (reason := _unmet_reason(rule, person, scheme, today)) is not None
    ]
    return Eligibility(eligible=not reasons, reasons=tuple(reasons), rules_checked=len(relevant))


def _rule_q(rule: EligibilityRule, scheme: Scheme, today: date, prefix: str) -> Q:
    """Q matching the people who meet ``rule`` or to whom it does not apply."""
    f = prefix
    if rule.criterion == Criterion.YEARS_APPROVED:
        meets = Q(**{f"{f}approved_on__lte": months_before(today, _months(rule.minimum))})
    elif rule.criterion == Criterion.YEARS_ACTIVE:
        meets = Q(**{f"{f}active_experience_months__gte": _months(rule.minimum)})
    elif rule.criterion == Criterion.TRAINING_CURRENT:
        interval = training_interval(scheme)
        if interval is None:
            return Q()  # no yearly minimum: everyone meets it (an empty Q in an OR would not)
        meets = Q(**{f"{f}last_training_on__gte": today - interval})
    elif rule.criterion == Criterion.NOT_ON_PROBATION:
        meets = Q(**{f"{f}on_probation": False})
    else:
        raise ValueError(f"Unknown eligibility criterion {rule.criterion!r}")
    applies = Q()
    if rule.only_category:
        applies &= Q(**{f"{f}category": rule.only_category})
    if rule.except_category:
        applies &= ~Q(**{f"{f}category": rule.except_category})
    if not applies:
        return meets
    return meets | ~applies


def eligible_q(
    scheme: Scheme, role: str, rules: Sequence[EligibilityRule], today: date, *, prefix: str = ""
) -> Q:
    """A filter for the people (or, with ``prefix="person__"``, memberships) who are eligible."""
    q = Q()
    for rule in rules:
        if rule.role == role:
            q &= _rule_q(rule, scheme, today, prefix)
    return q
