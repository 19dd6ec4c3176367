"""Relationship pages: the list, one relationship, creating one, status changes, planned end
and ending. Thin: each view passes a gate, then calls a selector or a service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from peercircle.people.access import people_visible_to
from peercircle.people.models import Membership, Person
from peercircle.people.viewer import Viewer
from peercircle.relationships import services
from peercircle.relationships.access import access_relationship
from peercircle.relationships.choices import Status
from peercircle.relationships.endings.services import relationship_close
from peercircle.relationships.forms import (
    EndForm,
    PlannedEndForm,
    RelationshipCreateForm,
    RelationshipFilterForm,
    StatusChangeForm,
    person_label,
)
from peercircle.relationships.page import relationship_page
from peercircle.relationships.selectors import RelationshipFilter, relationship_list
from peercircle.schemes.access import schemes_managed_by, schemes_visible_to
from peercircle.schemes.choices import PARTICIPATING, Role
from peercircle.web.decorators import paginate, viewer_required

# How many names the "pick a person" suggestions offer; beyond that, type an ID or e-mail.
SUGGESTIONS = 500


def form_error(form: Any, exc: ValidationError) -> None:
    """Show a service's refusal on the form, by field where the service named one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def refused(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


def invalid(request: HttpRequest, form: Any) -> None:
    """A small form posted from the relationship page was wrong: say what, in words."""
    parts = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else ""
        if name == "version":
            parts.append("The page was out of date: reload it and try again.")
        else:
            parts.append(f"{label}: {' '.join(errors)}" if label else " ".join(errors))
    messages.error(request, "Nothing was changed. " + " ".join(parts))


@viewer_required
def relationship_list_view(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    schemes = list(schemes_visible_to(viewer))
    form = RelationshipFilterForm(request.GET or None, schemes=schemes)
    filters = RelationshipFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = RelationshipFilter(
            scheme=next((s for s in schemes if s.slug == data["scheme"]), None),
            status=data["status"],
            q=data["q"].strip(),
        )
    context = paginate(request, relationship_list(viewer, filters), settings.PAGE_SIZE)
    context.update(
        form=form,
        filters=filters,
        can_create=viewer.is_coordinator,
        can_see_allegations=viewer.is_coordinator,
        managed_schemes=list(schemes_managed_by(viewer)) if viewer.is_coordinator else [],
    )
    return render(request, "relationships/list.html", context)


@viewer_required
def relationship_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_relationship(viewer, pk, purpose="view")
    page = relationship_page(viewer, relationship)
    context: dict[str, Any] = {"page": page, "relationship": relationship}
    if page.can_manage and relationship.status != Status.ENDED:
        context.update(
            # Two forms on one page: their own id prefixes keep the ids unique.
            status_form=StatusChangeForm(
                current=relationship.status,
                initial={"version": relationship.version},
                auto_id="status_%s",
            ),
            planned_end_form=PlannedEndForm(
                initial={
                    "version": relationship.version,
                    "planned_end_on": relationship.planned_end_on,
                },
                auto_id="planned_%s",
            ),
        )
    return render(request, "relationships/detail.html", context)


def suggestions(viewer: Viewer) -> list[str]:
    members = Membership.objects.filter(
        scheme__in=schemes_managed_by(viewer),
        role__in=(Role.MENTOR, Role.MENTEE, Role.PEER),
        status__in=PARTICIPATING,
    ).values("person_id")
    people = Person.objects.filter(pk__in=members).order_by("family_name", "given_name", "id")
    return [person_label(p) for p in people[:SUGGESTIONS]]


@viewer_required
def relationship_create(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    if not viewer.is_coordinator:
        raise Http404("No such page.")
    schemes = schemes_managed_by(viewer)
    form = RelationshipCreateForm(
        request.POST or None, schemes=schemes, people=people_visible_to(viewer)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            relationship = services.relationship_create(
                scheme=data["scheme"],
                members=form.members(),
                purpose=data["purpose"],
                actor=viewer.user,
                started_on=data["started_on"],
                planned_end_on=data["planned_end_on"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Relationship created.")
            return redirect(relationship)
    return render(
        request,
        "relationships/create.html",
        {"form": form, "suggestions": suggestions(viewer)},
    )


@require_POST
@viewer_required
def relationship_status(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_relationship(viewer, pk, purpose="manage")
    form = StatusChangeForm(request.POST)
    if not form.is_valid():
        invalid(request, form)
        return redirect(relationship)
    data = form.cleaned_data
    reason = data["reason"].strip()
    to_status = data["to_status"]
    try:
        services.relationship_transition(
            relationship=relationship,
            to_status=to_status,
            actor=viewer.user,
            expected_version=data["version"],
            summary=_status_summary(relationship.status, to_status, reason),
        )
    except ValidationError as exc:
        refused(request, exc)
    else:
        messages.success(request, "Status changed.")
    return redirect(relationship)


def _status_summary(current: str, to_status: str, reason: str) -> str:
    text = f"{Status(current).label} → {Status(to_status).label}"
    return f"{text}: {reason}" if reason else text


@require_POST
@viewer_required
def relationship_planned_end(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_relationship(viewer, pk, purpose="manage")
    form = PlannedEndForm(request.POST)
    if not form.is_valid():
        invalid(request, form)
        return redirect(relationship)
    try:
        services.relationship_set_planned_end(
            relationship=relationship,
            planned_end_on=form.cleaned_data["planned_end_on"],
            actor=viewer.user,
            expected_version=form.cleaned_data["version"],
        )
    except ValidationError as exc:
        refused(request, exc)
    else:
        messages.success(request, "Planned end changed.")
    return redirect(relationship)


@viewer_required
def relationship_end(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_relationship(viewer, pk, purpose="manage")
    participants = [
        p.person
        for p in relationship.participants.select_related("person").order_by("-side", "person_id")
    ]
    form = EndForm(
        request.POST or None,
        participants=participants,
        initial={"version": relationship.version},
    )
    if request.method == "POST" and form.is_valid():
        try:
            relationship_close(
                relationship=relationship,
                reason=form.cleaned_data["reason"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
                requeue=form.requeued(),
                ended_on=form.cleaned_data["ended_on"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "The relationship has ended; both parties were told.")
            return redirect(relationship)
    return render(
        request,
        "relationships/end.html",
        {"form": form, "relationship": relationship, "participants": participants},
    )
