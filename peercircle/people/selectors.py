"""Reads for lists and dashboards: scoped by the access gates, a fixed number of queries each."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Min, Q, QuerySet

from peercircle.people.access import people_visible_to
from peercircle.people.eligibility import eligible_q, training_interval
from peercircle.people.models import Membership, Person
from peercircle.people.viewer import Viewer
from peercircle.schemes.choices import PARTICIPATING, Role, Status
from peercircle.schemes.models import EligibilityRule, Scheme

# Roles that must keep their training up to date.
TRAINED_ROLES = (Role.MENTOR,)
# How far ahead "due soon" looks.
DUE_SOON = timedelta(days=30)


@dataclass(frozen=True)
class PeopleFilter:
    q: str = ""
    scheme: Scheme | None = None
    role: str = ""
    status: str = ""
    eligible: bool | None = None
    training: str = ""  # "", "due" or "overdue"
    waiting: bool = False


def training_cutoffs(scheme: Scheme | None, today: date) -> tuple[date, date] | None:
    """(overdue before, due before): training older than these dates is overdue / due soon."""
    interval = training_interval(scheme) if scheme else timedelta(days=365)
    if interval is None:
        return None
    overdue_before = today - interval
    return overdue_before, overdue_before + DUE_SOON


def people_list(
    viewer: Viewer, filters: PeopleFilter, *, rules: list[EligibilityRule], today: date
) -> QuerySet[Person]:
    """The people ``viewer`` may see that match ``filters``, ordered by name."""
    people = people_visible_to(viewer)
    if filters.q:
        for word in filters.q.lower().split()[:5]:
            people = people.filter(search_text__contains=word)
    member = Membership.objects.all()
    if filters.scheme is not None:
        member = member.filter(scheme=filters.scheme)
    if filters.role:
        member = member.filter(role=filters.role)
    if filters.status:
        member = member.filter(status=filters.status)
    if filters.waiting:
        member = member.filter(waiting_since__isnull=False)
    if filters.training and not filters.role:
        # Training is due only for the roles that must keep it up: not for mentees or staff.
        member = member.filter(role__in=TRAINED_ROLES)
        if not filters.status:
            member = member.filter(status__in=PARTICIPATING)
    if (
        filters.scheme is not None
        or filters.role
        or filters.status
        or filters.waiting
        or filters.training
    ):
        # "id IN (members)", not EXISTS: SQLite then starts from the membership index (10,000
        # mentors) instead of testing all 50,000 people; PostgreSQL plans both the same way.
        people = people.filter(pk__in=member.values("person_id"))
    if filters.eligible is not None and filters.scheme is not None and filters.role:
        q = eligible_q(filters.scheme, filters.role, rules, today)
        people = people.filter(q) if filters.eligible else people.exclude(q)
    if filters.training:
        cutoffs = training_cutoffs(filters.scheme, today)
        if cutoffs is not None:
            overdue_before, due_before = cutoffs
            if filters.training == "overdue":
                people = people.filter(
                    Q(last_training_on__lt=overdue_before) | Q(last_training_on__isnull=True)
                )
            else:
                people = people.filter(
                    last_training_on__gte=overdue_before, last_training_on__lt=due_before
                )
    return people.order_by("family_name", "given_name", "id")


@dataclass
class SchemeSummary:
    scheme: Scheme
    by_role_status: dict[str, dict[str, int]] = field(default_factory=dict)
    eligible_mentors: int = 0
    waiting: int = 0
    oldest_wait: date | None = None
    training_overdue: int = 0
    training_due: int = 0

    def rows(self) -> list[tuple[str, str, list[tuple[str, str, int]]]]:
        """(role, role label, [(status, status label, count)]) for each role of the scheme."""
        result = []
        for role in self.scheme.roles:
            counts = self.by_role_status.get(role, {})
            result.append(
                (
                    role,
                    Role(role).label,
                    [(s, Status(s).label, counts[s]) for s in Status.values if s in counts],
                )
            )
        return result


def dashboard(viewer: Viewer, schemes: list[Scheme], *, today: date) -> list[SchemeSummary]:
    """Counts for each scheme the viewer manages, in four queries whatever their number."""
    summaries = {s.pk: SchemeSummary(scheme=s) for s in schemes}
    if not summaries:
        return []
    ids = list(summaries)
    rows = (
        Membership.objects.filter(scheme_id__in=ids)
        .values_list("scheme_id", "role", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for scheme_id, role, status, n in rows:
        summaries[scheme_id].by_role_status.setdefault(role, {})[status] = n

    waiting = (
        Membership.objects.filter(scheme_id__in=ids, waiting_since__isnull=False)
        .exclude(status__in=[Status.LEFT, Status.SUSPENDED, Status.PAUSED])
        .values_list("scheme_id")
        .annotate(n=Count("id"), oldest=Min("waiting_since"))
        .order_by()
    )
    for scheme_id, n, oldest in waiting:
        summaries[scheme_id].waiting = n
        summaries[scheme_id].oldest_wait = oldest

    rules_by_scheme: dict[int, list[EligibilityRule]] = {}
    for rule in EligibilityRule.objects.filter(scheme_id__in=ids):
        rules_by_scheme.setdefault(rule.scheme_id, []).append(rule)

    # One pass over mentor memberships counts eligibility and training per scheme.
    aggregates: dict[str, Any] = {}
    for s in schemes:
        in_scheme = Q(scheme_id=s.pk)
        aggregates[f"eligible_{s.pk}"] = Count(
            "id",
            filter=in_scheme
            & eligible_q(s, Role.MENTOR, rules_by_scheme.get(s.pk, []), today, prefix="person__"),
        )
        cutoffs = training_cutoffs(s, today)
        if cutoffs is not None:
            overdue_before, due_before = cutoffs
            aggregates[f"overdue_{s.pk}"] = Count(
                "id",
                filter=in_scheme
                & (
                    Q(person__last_training_on__lt=overdue_before)
                    | Q(person__last_training_on__isnull=True)
                ),
            )
            aggregates[f"due_{s.pk}"] = Count(
                "id",
                filter=in_scheme
                & Q(
                    person__last_training_on__gte=overdue_before,
                    person__last_training_on__lt=due_before,
                ),
            )
    counts = Membership.objects.filter(
        scheme_id__in=ids, role__in=TRAINED_ROLES, status__in=PARTICIPATING
    ).aggregate(**aggregates)
    for scheme_id, summary in summaries.items():
        summary.eligible_mentors = counts.get(f"eligible_{scheme_id}") or 0
        summary.training_overdue = counts.get(f"overdue_{scheme_id}") or 0
        summary.training_due = counts.get(f"due_{scheme_id}") or 0
    return [summaries[s.pk] for s in schemes]


def longest_waiting(schemes: list[Scheme], *, limit: int = 10) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(scheme__in=schemes, waiting_since__isnull=False)
        .exclude(status__in=[Status.LEFT, Status.SUSPENDED, Status.PAUSED])
        .select_related("person", "scheme")
        .order_by("waiting_since", "id")[:limit]
    )
