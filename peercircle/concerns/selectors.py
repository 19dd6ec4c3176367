"""Reads of concerns for lists and pages: scoped by the access gate, a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from peercircle.concerns.access import concerns_visible_to
from peercircle.concerns.choices import OPEN, Source
from peercircle.concerns.models import Concern, ConcernEvent, ConcernNote
from peercircle.people.models import Person
from peercircle.people.viewer import Viewer
from peercircle.schemes.models import Scheme

# Open concerns first, the one due soonest at the top (due dates follow severity).
_OPEN_FIRST = Case(
    When(status__in=OPEN, then=Value(0)), default=Value(1), output_field=IntegerField()
)


@dataclass(frozen=True)
class ConcernFilter:
    status: str = "open"  # "open", "all" or one status
    severity: str = ""
    scheme_id: int | None = None
    source: str = ""
    owner: str = ""  # "", "mine" or "nobody"
    overdue: bool = False


def concern_list(viewer: Viewer, filters: ConcernFilter, *, now: datetime) -> QuerySet[Concern]:
    concerns = concerns_visible_to(viewer)
    if filters.status == "open":
        concerns = concerns.filter(status__in=OPEN)
    elif filters.status != "all":
        concerns = concerns.filter(status=filters.status)
    if filters.severity:
        concerns = concerns.filter(severity=filters.severity)
    if filters.scheme_id is not None:
        concerns = concerns.filter(scheme_id=filters.scheme_id)
    if filters.source:
        concerns = concerns.filter(source=filters.source)
    if filters.owner == "mine":
        concerns = concerns.filter(owner=viewer.person)
    elif filters.owner == "nobody":
        concerns = concerns.filter(owner__isnull=True)
    if filters.overdue:
        concerns = concerns.filter(status__in=OPEN, owner__isnull=True, due_at__lt=now)
    return concerns.select_related("scheme", "owner", "about").order_by(_OPEN_FIRST, "due_at", "id")


def support_requests_of(person: Person, *, limit: int = 10) -> list[Concern]:
    """The person's own requests for support, newest first, for their page."""
    return list(
        Concern.objects.filter(raised_by=person, source=Source.SUPPORT_REQUEST)
        .select_related("scheme")
        .order_by("-raised_at", "-id")[:limit]
    )


def concern_history(concern: Concern) -> list[ConcernEvent]:
    return list(ConcernEvent.objects.filter(concern=concern).order_by("at", "id"))


def concern_notes(concern: Concern) -> list[ConcernNote]:
    return list(
        ConcernNote.objects.filter(concern=concern).select_related("author").order_by("created_at")
    )


def concern_summary(schemes: list[Scheme], *, now: datetime) -> dict[str, int]:
    """Open concerns of ``schemes``: how many, how many nobody owns, how many of those are late."""
    unowned = Q(owner__isnull=True)
    counts: dict[str, int] = Concern.objects.filter(scheme__in=schemes, status__in=OPEN).aggregate(
        open=Count("pk"),
        unowned=Count("pk", filter=unowned),
        overdue=Count("pk", filter=unowned & Q(due_at__lt=now)),
    )
    return counts
