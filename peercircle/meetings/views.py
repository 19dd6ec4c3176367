"""Meeting pages and the personal calendar feed. Thin: a gate, then a selector or a service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from peercircle.meetings import services
from peercircle.meetings.access import access_meeting
from peercircle.meetings.forms import MeetingForm, MeetingStatusForm
from peercircle.meetings.ical import feed_ics
from peercircle.meetings.models import CalendarFeed
from peercircle.meetings.selectors import (
    feed_meetings,
    last_held_meeting_dates,
    meetings_of,
    next_meeting_due,
)
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.people.viewer import Viewer
from peercircle.relationships.access import (
    access_relationship,
    can_access_relationship,
    is_participant,
)
from peercircle.relationships.choices import WORKING
from peercircle.relationships.models import Relationship
from peercircle.web.decorators import paginate, viewer_required


def _form_error(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def _others(relationship: Relationship, viewer: Viewer) -> str:
    names = [
        p.person.given_name
        for p in relationship.participants.select_related("person").order_by("person_id")
        if p.person_id != viewer.person.pk
    ]
    return " and ".join(names) or "your peer"


def _names(relationship: Relationship) -> str:
    return " and ".join(
        p.person.full_name
        for p in relationship.participants.select_related("person").order_by("side", "person_id")
    )


@viewer_required
def relationship_meetings(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_relationship(viewer, pk, purpose="view")
    context = paginate(request, meetings_of(relationship), settings.PAGE_SIZE)
    last_held = last_held_meeting_dates([relationship.pk]).get(relationship.pk)
    is_party = is_participant(viewer, relationship)
    context.update(
        relationship=relationship,
        names=_names(relationship),
        last_held=last_held,
        next_due=next_meeting_due(relationship, last_held)
        if relationship.status in WORKING
        else None,
        can_work=can_access_relationship(viewer, relationship, "work"),
        is_party=is_party,
        # Records have their own gate; the link shows to those who can always open the list.
        show_records_link=is_party or viewer.is_admin or relationship.scheme_id in viewer.manages,
    )
    return render(request, "meetings/relationship.html", context)


def _meeting_form_page(request: HttpRequest, viewer: Viewer, pk: int, *, log: bool) -> HttpResponse:
    relationship = access_relationship(viewer, pk, purpose="work")
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        service = services.meeting_log_held if log else services.meeting_book
        try:
            service(
                relationship=relationship,
                starts_at=form.starts_at(),
                duration_minutes=form.cleaned_data["duration_minutes"],
                mode=form.cleaned_data["mode"],
                place=form.cleaned_data["place"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                "Meeting recorded as held."
                if log
                else "Meeting booked; invitations are on their way.",
            )
            return redirect("meetings:relationship", pk=relationship.pk)
    title = "Record a meeting that took place" if log else "Book a meeting"
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "title": title,
            "relationship": relationship,
            "with": _others(relationship, viewer),
            "log": log,
        },
    )


@viewer_required
def meeting_book(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _meeting_form_page(request, viewer, pk, log=False)


@viewer_required
def meeting_log(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _meeting_form_page(request, viewer, pk, log=True)


@viewer_required
def meeting_change(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    meeting = access_meeting(viewer, pk, purpose="work")
    form = MeetingForm.for_meeting(meeting, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_reschedule(
                meeting=meeting,
                starts_at=form.starts_at(),
                duration_minutes=form.cleaned_data["duration_minutes"],
                mode=form.cleaned_data["mode"],
                place=form.cleaned_data["place"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"] or 0,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Meeting changed; both of you have an updated invitation.")
            return redirect("meetings:relationship", pk=meeting.relationship_id)
    return render(
        request,
        "meetings/form.html",
        {
            "form": form,
            "title": "Change a meeting",
            "relationship": meeting.relationship,
            "with": _others(meeting.relationship, viewer),
            "meeting": meeting,
        },
    )


@require_POST
@viewer_required
def meeting_status(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    meeting = access_meeting(viewer, pk, purpose="work")
    form = MeetingStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose whether the meeting was held, missed or cancelled.")
    else:
        try:
            services.meeting_set_status(
                meeting=meeting,
                status=form.cleaned_data["status"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Meeting marked {meeting.get_status_display().lower()}.")
    return redirect("meetings:relationship", pk=meeting.relationship_id)


# The personal calendar feed ----------------------------------------------------------------------


@never_cache
@viewer_required
def calendar_settings(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """Create, replace or turn off one's own calendar link. Only ever about oneself."""
    person = viewer.person
    token = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "reset"):
            token = services.calendar_feed_reset(person=person, actor=viewer.user)
        elif action == "revoke":
            if services.calendar_feed_revoke(person=person, actor=viewer.user):
                messages.success(request, "Your calendar link is turned off.")
            return redirect("meetings:calendar")
        else:
            messages.error(request, "Choose to create, replace or turn off your link.")
            return redirect("meetings:calendar")
    feed = CalendarFeed.objects.filter(person=person).first()
    link = request.build_absolute_uri(f"/calendar/{token}.ics") if token else None
    return render(request, "meetings/calendar.html", {"feed": feed, "link": link})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed behind a secret link: no sign-in, so the link itself is the key."""
    with scopes_disabled():
        feed = (
            CalendarFeed.objects.select_related("person__organisation")
            .filter(token_hash=services.hash_token(token))
            .first()
        )
    if feed is None:
        raise Http404("No such calendar.")
    with organisation_scope(feed.person.organisation):
        body = feed_ics(feed_meetings(feed.person), name="PeerCircle meetings")
        services.calendar_feed_touch(feed)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peercircle.ics"'
    response["Cache-Control"] = "private, no-store"
    # The token is in the path: never send it on to another site.
    response["Referrer-Policy"] = "no-referrer"
    return response
