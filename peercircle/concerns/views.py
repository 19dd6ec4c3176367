"""Concern pages. Thin: each view passes a gate, then calls a selector or a service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from peercircle.concerns import services
from peercircle.concerns.access import ConcernLevel, access_concern
from peercircle.concerns.choices import TRANSITIONS, Source, Status
from peercircle.concerns.forms import (
    AssignForm,
    ConcernCreateForm,
    ConcernFilterForm,
    NoteForm,
    SchemeFilterForm,
    StatusForm,
    SupportRequestForm,
    TakeForm,
)
from peercircle.concerns.models import Concern
from peercircle.concerns.selectors import (
    ConcernFilter,
    concern_history,
    concern_list,
    concern_notes,
)
from peercircle.concerns.silence import silent_pair_rows, silent_pairs
from peercircle.people.access import access_person
from peercircle.people.models import Membership, Person
from peercircle.people.viewer import INACTIVE, Viewer
from peercircle.relationships.access import access_relationship
from peercircle.relationships.models import Relationship
from peercircle.schemes.access import schemes_managed_by, schemes_visible_to
from peercircle.schemes.models import Scheme
from peercircle.web.decorators import paginate, viewer_required
from peercircle.web.selectors import relationship_parties, relationships_of


def _form_error(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@viewer_required
def concern_list_view(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    schemes = list(schemes_managed_by(viewer)) if viewer.is_coordinator else []
    form = ConcernFilterForm(request.GET or None, schemes=schemes)
    filters = ConcernFilter()
    if form.is_valid():
        data = form.cleaned_data
        filters = ConcernFilter(
            status=data["status"] or "open",
            severity=data["severity"],
            scheme_id=int(data["scheme"]) if data["scheme"] else None,
            source=data["source"],
            owner=data["owner"],
            overdue=data["overdue"],
        )
    now = timezone.now()
    context = paginate(request, concern_list(viewer, filters, now=now), settings.PAGE_SIZE)
    context.update(form=form, now=now, can_raise=viewer.is_coordinator)
    return render(request, "concerns/list.html", context)


def _relationship_url(concern: Concern) -> str | None:
    if concern.relationship_id is None:
        return None
    return reverse("relationships:detail", args=[concern.relationship_id])


def _detail_context(viewer: Viewer, concern: Concern, level: ConcernLevel) -> dict[str, Any]:
    context: dict[str, Any] = {
        "concern": concern,
        "me": viewer.person,
        "relationship_url": _relationship_url(concern),
        "level": level,
        "now": timezone.now(),
        "history": concern_history(concern) if level != "raiser" else [],
        "notes": concern_notes(concern) if level != "raiser" else [],
    }
    if level == "manage":
        initial = {"version": concern.version}
        candidates = services.scheme_coordinators(concern.scheme)
        if viewer.person not in candidates:
            candidates.append(viewer.person)
        context.update(
            take_form=TakeForm(initial=initial),
            assign_form=AssignForm(initial=initial, candidates=candidates),
            status_form=StatusForm(initial=initial),
            note_form=NoteForm(),
            next_statuses=[
                (s, Status(s).label) for s in Status.values if s in TRANSITIONS[concern.status]
            ],
        )
    return context


@viewer_required
def concern_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    concern, level = access_concern(viewer, pk, purpose="view")
    return render(request, "concerns/detail.html", _detail_context(viewer, concern, level))


def _refused(
    request: HttpRequest, viewer: Viewer, concern: Concern, name: str, form: Any
) -> HttpResponse:
    """Show the page again with the refused form, and the concern as it is now."""
    concern.refresh_from_db()
    context = _detail_context(viewer, concern, "manage")
    context[name] = form
    return render(request, "concerns/detail.html", context)


@require_POST
@viewer_required
def concern_take(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    concern, _ = access_concern(viewer, pk, purpose="manage")
    form = TakeForm(request.POST)
    if form.is_valid():
        try:
            services.concern_assign(
                concern=concern,
                owner=viewer.person,
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "The concern is yours now.")
            return redirect(concern)
    return _refused(request, viewer, concern, "take_form", form)


@require_POST
@viewer_required
def concern_assign(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    concern, _ = access_concern(viewer, pk, purpose="manage")
    form = AssignForm(request.POST, candidates=services.scheme_coordinators(concern.scheme))
    if form.is_valid():
        try:
            services.concern_assign(
                concern=concern,
                owner=form.cleaned_data["owner"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"{form.cleaned_data['owner'].full_name} owns it now.")
            return redirect(concern)
    return _refused(request, viewer, concern, "assign_form", form)


@require_POST
@viewer_required
def concern_status(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    concern, _ = access_concern(viewer, pk, purpose="manage")
    form = StatusForm(request.POST)
    if form.is_valid():
        try:
            services.concern_set_status(
                concern=concern,
                to_status=form.cleaned_data["status"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"The concern is {concern.get_status_display().lower()}.")
            return redirect(concern)
    return _refused(request, viewer, concern, "status_form", form)


@sensitive_post_parameters("text")
@require_POST
@viewer_required
def concern_note(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    concern, _ = access_concern(viewer, pk, purpose="manage")
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.concern_note_add(
                concern=concern,
                author=viewer.person,
                text=form.cleaned_data["text"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Note added.")
            return redirect(concern)
    return _refused(request, viewer, concern, "note_form", form)


def _about(request: HttpRequest, viewer: Viewer) -> tuple[Relationship | None, Person | None]:
    """The pair or person a hand-raised concern is about (``?relationship=``, ``?person=``).

    Both go through their own gates: a coordinator can only name a pair or a person they manage.
    """
    relationship = person = None
    source = request.POST if request.method == "POST" else request.GET
    if source.get("relationship", "").isdigit():
        relationship = access_relationship(viewer, int(source["relationship"]), purpose="manage")
    if source.get("person", "").isdigit():
        person = access_person(viewer, int(source["person"]), purpose="manage")
    return relationship, person


@sensitive_post_parameters("message")
@viewer_required
def concern_create(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """A coordinator raises a concern by hand (something heard on the phone, a visit)."""
    relationship, about = _about(request, viewer)
    schemes = list(schemes_managed_by(viewer))
    if relationship is not None:
        schemes = [s for s in schemes if s.pk == relationship.scheme_id]
    if not schemes:
        raise Http404("No such page.")
    form = ConcernCreateForm(request.POST or None, schemes=schemes)
    if request.method == "POST" and form.is_valid():
        try:
            concern = services.concern_raise(
                scheme=form.cleaned_data["scheme"],
                source=Source.MANUAL,
                severity=form.cleaned_data["severity"],
                actor=viewer.user,
                raised_by=viewer.person,
                relationship=relationship,
                about=about,
                message=form.cleaned_data["message"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            if concern is not None:
                messages.success(request, "The concern was raised.")
                return redirect(concern)
    context = {
        "form": form,
        "relationship": relationship,
        "about": about,
        "parties": relationship_parties(relationship) if relationship else [],
    }
    return render(request, "concerns/create.html", context)


def _own_schemes(viewer: Viewer) -> list[Scheme]:
    current = Membership.objects.filter(person=viewer.person).exclude(status__in=INACTIVE)
    return list(
        schemes_visible_to(viewer).filter(pk__in=current.values("scheme_id")).order_by("name")
    )


@sensitive_post_parameters("message")
@viewer_required
def support_request(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """ "I need support": anyone in a scheme, at any time, to that scheme's coordinators."""
    schemes = _own_schemes(viewer)
    if not schemes:
        raise Http404("No such page.")
    mine = [
        (r.relationship, f"{r.label} ({r.relationship.scheme.name})")
        for r in relationships_of(viewer.person)
    ]
    form = SupportRequestForm(request.POST or None, schemes=schemes, relationships=mine)
    if request.method == "POST" and form.is_valid():
        try:
            concern = services.support_request_send(
                person=viewer.person,
                scheme=form.cleaned_data["scheme"],
                relationship=form.cleaned_data["relationship"],
                severity=form.cleaned_data["severity"],
                message=form.cleaned_data["message"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                "Your request was sent to the scheme's coordinators. You can see how it stands "
                "here and on your page.",
            )
            return redirect(concern)
    return render(request, "concerns/support.html", {"form": form})


@viewer_required
def silent_pairs_view(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """Every pair of the coordinator's schemes that has stopped meeting, longest silence first."""
    schemes = list(schemes_managed_by(viewer).filter(is_active=True))
    if not schemes:
        raise Http404("No such page.")
    form = SchemeFilterForm(request.GET or None, schemes=schemes)
    chosen = schemes
    if form.is_valid() and form.cleaned_data["scheme"]:
        chosen = [s for s in schemes if str(s.pk) == form.cleaned_data["scheme"]]
    today = timezone.localdate()
    context = paginate(request, silent_pairs(chosen, today=today), settings.PAGE_SIZE)
    context.update(form=form, rows=silent_pair_rows(list(context["page"].object_list), today=today))
    return render(request, "concerns/silent.html", context)
