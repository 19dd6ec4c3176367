from __future__ import annotations

from datetime import date
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from peercircle.concerns.selectors import concern_summary, support_requests_of
from peercircle.concerns.silence import silent_pair_rows, silent_pairs
from peercircle.matching.selectors import consultations_waiting
from peercircle.meetings.selectors import last_held_meeting_dates, next_meeting_due, upcoming_for
from peercircle.notifications.selectors import notifications_of
from peercircle.people.models import Membership, Person
from peercircle.people.selectors import dashboard, longest_waiting
from peercircle.people.viewer import INACTIVE, Viewer
from peercircle.relationships.choices import WORKING, Status
from peercircle.schemes.access import schemes_managed_by
from peercircle.web.decorators import viewer_required
from peercircle.web.selectors import open_action_counts, relationships_of, still_to_sign

# How many of the most silent pairs the dashboard lists; the rest are one click away.
SILENT_ON_DASHBOARD = 10
# The dashboard counts silent pairs up to this many ("more than 1,000"), so its cost stays the
# same however many there are; the page of all silent pairs gives the exact number.
SILENT_COUNT_CAP = 1000
# How many ended relationships a person's page still lists.
ENDED_ON_MY_PAGE = 5


@viewer_required
def home(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """Coordinators see their dashboard; everyone else sees their own page."""
    today = timezone.localdate()
    if viewer.is_coordinator:
        schemes = list(schemes_managed_by(viewer).filter(is_active=True))
        silent = silent_pairs(schemes, today=today)
        return render(
            request,
            "web/dashboard.html",
            {
                "summaries": dashboard(viewer, schemes, today=today),
                "waiting": longest_waiting(schemes),
                "today": today,
                "silent_count": silent.values("pk")[: SILENT_COUNT_CAP + 1].count(),
                "silent_cap": SILENT_COUNT_CAP,
                "silent": silent_pair_rows(list(silent[:SILENT_ON_DASHBOARD]), today=today),
                "concerns": concern_summary(schemes, now=timezone.now()),
            },
        )
    return render(request, "web/my_page.html", my_page_context(viewer, today=today))


def my_page_context(viewer: Viewer, *, today: date) -> dict[str, Any]:
    """Everything on a mentor's, mentee's or peer's own page, in a fixed number of queries."""
    person = viewer.person
    relationships = relationships_of(person, include_ended=True)
    current = [r for r in relationships if r.relationship.status != Status.ENDED]
    ended = [r for r in relationships if r.relationship.status == Status.ENDED]
    working = [r.relationship.pk for r in current if r.relationship.status in WORKING]
    last_held = last_held_meeting_dates(working)
    to_sign = still_to_sign(person, working)
    actions = open_action_counts(person, working)
    rows = []
    for mine in current:
        pk = mine.relationship.pk
        is_working = mine.relationship.status in WORKING
        due = next_meeting_due(mine.relationship, last_held.get(pk)) if is_working else None
        rows.append(
            {
                "mine": mine,
                "working": is_working,
                "last_held": last_held.get(pk),
                "next_due": due,
                "overdue": due is not None and due < today,
                "to_sign": to_sign.get(pk),
                "actions": actions.get(pk),
            }
        )
    memberships = list(Membership.objects.filter(person=person).select_related("scheme"))
    supervisees = list(
        Person.objects.filter(supervisor=person).order_by("family_name", "given_name")[:50]
    )
    # Only supervising social workers are asked about matches: nobody else pays the query.
    consultations = list(consultations_waiting(person)[:20]) if supervisees else []
    return {
        "person": person,
        "rows": rows,
        "ended": ended[:ENDED_ON_MY_PAGE],
        "to_sign": [row for row in rows if row["to_sign"]],
        "upcoming": upcoming_for(person),
        "requests": support_requests_of(person),
        "notifications": list(notifications_of(person)[:5]),
        "memberships": memberships,
        "can_ask": any(m.status not in INACTIVE for m in memberships),
        "supervisees": supervisees,
        "consultations": consultations,
        "today": today,
    }
