"""Allegation pages, for coordinators and admins only (handbook §12)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from peercircle.audit.services import audit_record
from peercircle.people.access import people_visible_to
from peercircle.people.viewer import Viewer
from peercircle.relationships.allegations import services
from peercircle.relationships.allegations.access import (
    access_allegation,
    allegations_visible_to,
    can_access_allegation,
    can_record_allegation_about,
)
from peercircle.relationships.allegations.forms import AllegationForm, ConcludeForm, SupportForm
from peercircle.relationships.allegations.models import (
    AllegationPause,
    AllegationStatus,
    PauseOutcome,
)
from peercircle.relationships.choices import Purpose
from peercircle.relationships.models import Relationship
from peercircle.relationships.selectors import participants_prefetch
from peercircle.relationships.views import form_error, suggestions
from peercircle.schemes.access import schemes_managed_by
from peercircle.web.decorators import paginate, viewer_required


def _coordinators_only(viewer: Viewer) -> None:
    if not viewer.is_coordinator:
        raise Http404("No such page.")


@viewer_required
def allegation_list(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    _coordinators_only(viewer)
    allegations = (
        allegations_visible_to(viewer)
        .select_related("subject")
        .order_by("status", "-received_on", "-id")
    )
    context = paginate(request, allegations, settings.PAGE_SIZE)
    return render(request, "relationships/allegations.html", context)


@viewer_required
def allegation_create(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    _coordinators_only(viewer)
    form = AllegationForm(request.POST or None, people=people_visible_to(viewer))
    if request.method == "POST" and form.is_valid():
        subject = form.cleaned_data["subject"]
        if not can_record_allegation_about(viewer, subject):
            form.add_error(
                "subject", "You can record allegations only about people in schemes you run."
            )
        else:
            try:
                allegation = services.allegation_record(
                    subject=subject,
                    received_on=form.cleaned_data["received_on"],
                    reference=form.cleaned_data["reference"],
                    notes=form.cleaned_data["notes"],
                    actor=viewer.user,
                )
            except ValidationError as exc:
                form_error(form, exc)
            else:
                paused = AllegationPause.objects.filter(allegation=allegation).count()
                messages.success(
                    request,
                    f"Recorded. {paused} relationship{'s' if paused != 1 else ''} of "
                    f"{subject.full_name} {'are' if paused != 1 else 'is'} paused from now on; "
                    "the other people in them were told it is paused, not why.",
                )
                return redirect("relationships:allegation", allegation.pk)
    return render(
        request,
        "relationships/allegation_form.html",
        {"form": form, "suggestions": suggestions(viewer)},
    )


@viewer_required
def allegation_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    allegation = access_allegation(viewer, pk, purpose="view")
    audit_record(
        organisation=viewer.organisation,
        actor=viewer.user,
        action="allegation.read",
        target=allegation,
        summary="Allegation page opened",
    )
    pauses = list(
        AllegationPause.objects.filter(allegation=allegation)
        .select_related("relationship__scheme")
        .prefetch_related("relationship__participants__person")
    )
    pending = [p.relationship for p in pauses if p.outcome == PauseOutcome.PENDING]
    can_manage = can_access_allegation(viewer, allegation, "manage")
    is_open = allegation.status == AllegationStatus.OPEN
    supports = list(
        Relationship.objects.filter(
            purpose=Purpose.INVESTIGATION, participants__person=allegation.subject
        )
        .select_related("scheme")
        .prefetch_related(participants_prefetch())
    )
    context = {
        "allegation": allegation,
        "pauses": pauses,
        "supports": supports,
        "can_manage": can_manage and is_open,
        "suggestions": suggestions(viewer) if can_manage and is_open else [],
    }
    if can_manage and is_open:
        context["conclude_form"] = ConcludeForm(
            relationships=pending, initial={"version": allegation.version}
        )
        context["support_form"] = SupportForm(
            schemes=schemes_managed_by(viewer), people=people_visible_to(viewer)
        )
    return render(request, "relationships/allegation.html", context)


@viewer_required
def allegation_conclude(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    allegation = access_allegation(viewer, pk, purpose="manage")
    pending = [
        p.relationship
        for p in AllegationPause.objects.filter(
            allegation=allegation, outcome=PauseOutcome.PENDING
        ).select_related("relationship__scheme")
    ]
    form = ConcludeForm(
        request.POST or None, relationships=pending, initial={"version": allegation.version}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.allegation_conclude(
                allegation=allegation,
                decisions=form.decisions(),  # type: ignore[arg-type]
                concluded_on=form.cleaned_data["concluded_on"],
                outcome_notes=form.cleaned_data["outcome_notes"],
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Outcome recorded; each relationship resumed or ended.")
            return redirect("relationships:allegation", allegation.pk)
    return render(
        request,
        "relationships/allegation_conclude.html",
        {"form": form, "allegation": allegation},
    )


@viewer_required
def allegation_support(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    allegation = access_allegation(viewer, pk, purpose="manage")
    form = SupportForm(
        request.POST or None, schemes=schemes_managed_by(viewer), people=people_visible_to(viewer)
    )
    if request.method == "POST" and form.is_valid():
        try:
            relationship = services.allegation_appoint_support(
                allegation=allegation,
                supporter=form.cleaned_data["supporter"],
                scheme=form.cleaned_data["scheme"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(
                request,
                f"{form.cleaned_data['supporter'].full_name} now supports "
                f"{allegation.subject.full_name} during the investigation.",
            )
            return redirect(relationship)
    return render(
        request,
        "relationships/allegation_support.html",
        {"form": form, "allegation": allegation, "suggestions": suggestions(viewer)},
    )
