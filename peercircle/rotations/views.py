"""Rotation pages: a scheme's rounds, one round's preview, approving, publishing, cancelling,
and one person's history. Thin: each view passes a gate, then calls a selector or a service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from peercircle.people.viewer import Viewer
from peercircle.rotations import selectors, services
from peercircle.rotations.access import access_history, access_rotation_scheme, access_round
from peercircle.rotations.adapter import RotationRefused, check_rotation_scheme, count_active_peers
from peercircle.rotations.forms import ApproveForm, PairFilterForm, PreviewForm
from peercircle.rotations.models import EngineState, RoundStatus
from peercircle.web.decorators import paginate, viewer_required


def _refused(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@viewer_required
def scheme_rotations(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_rotation_scheme(viewer, slug)
    context: dict[str, Any] = {"scheme": scheme}
    try:
        check_rotation_scheme(scheme)
    except RotationRefused as exc:
        context["not_rotation"] = " ".join(exc.messages)
        return render(request, "rotations/scheme.html", context)
    context.update(paginate(request, selectors.scheme_rounds(scheme), settings.PAGE_SIZE))
    context.update(
        open_round=selectors.open_round(scheme),
        members=count_active_peers(scheme),
        next_due=selectors.next_rotation_date(scheme, timezone.localdate()),
        preview_form=PreviewForm(),
    )
    return render(request, "rotations/scheme.html", context)


@viewer_required
@require_POST
def round_preview(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_rotation_scheme(viewer, slug)
    form = PreviewForm(request.POST)
    odd = form.cleaned_data["odd_member"] if form.is_valid() else "trio"
    try:
        rotation_round = services.round_preview(scheme=scheme, actor=viewer.user, odd_member=odd)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect("rotations:scheme", scheme.slug)
    return redirect(rotation_round.get_absolute_url())


@viewer_required
def round_detail(request: HttpRequest, viewer: Viewer, slug: str, pk: int) -> HttpResponse:
    rotation_round = access_round(viewer, slug, pk)
    context: dict[str, Any] = {"round": rotation_round, "scheme": rotation_round.scheme}
    if rotation_round.engine_state == EngineState.DONE:
        filters = PairFilterForm(request.GET or None)
        show = filters.cleaned_data["show"] if filters.is_valid() else ""
        context.update(
            paginate(request, selectors.round_pairs(rotation_round, show), settings.PAGE_SIZE)
        )
        left, left_count = selectors.left_out(rotation_round)
        context.update(
            filters=filters,
            counts=selectors.round_counts(rotation_round),
            left_out=left,
            left_out_count=left_count,
            odd_member=selectors.odd_member(rotation_round),
            repeats=list(selectors.round_pairs(rotation_round, "repeats")[: selectors.SHORT_LIST]),
            supports=list(selectors.round_pairs(rotation_round, "support")[: selectors.SHORT_LIST]),
            short_list=selectors.SHORT_LIST,
            certificate=certificate(rotation_round.summary),
        )
        if rotation_round.status == RoundStatus.PREVIEW:
            context["approve_form"] = ApproveForm(
                initial={
                    "rotation_date": selectors.next_rotation_date(
                        rotation_round.scheme, timezone.localdate()
                    )
                }
            )
    return render(request, "rotations/round.html", context)


def certificate(summary: dict[str, Any]) -> str:
    """What the engine proved about the round, in plain words."""
    score = summary.get("score") or {}
    total, bound = score.get("total_fit"), score.get("upper_bound")
    if total is None or bound is None:
        return ""
    if score.get("proven_optimal"):
        return (
            f"This arrangement is proven to be the best possible for the criteria: its total fit "
            f"is {total:.3f}, and the engine proved that no arrangement can do better."
        )
    gap = score.get("gap_percent", 0.0)
    return (
        f"The total fit is {total:.3f}. The engine proved that no arrangement can exceed "
        f"{bound:.3f}, so this one is within {gap:.2f}% of the best possible."
    )


@viewer_required
def round_progress(request: HttpRequest, viewer: Viewer, slug: str, pk: int) -> HttpResponse:
    """The progress fragment the round page polls while the engine works (htmx)."""
    rotation_round = access_round(viewer, slug, pk)
    response = render(request, "rotations/_progress.html", {"round": rotation_round})
    if rotation_round.engine_state in (EngineState.DONE, EngineState.FAILED):
        response["HX-Refresh"] = "true"
    return response


@viewer_required
@require_POST
def round_approve(request: HttpRequest, viewer: Viewer, slug: str, pk: int) -> HttpResponse:
    rotation_round = access_round(viewer, slug, pk)
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was approved. Enter the rotation date as a date.")
        return redirect(rotation_round.get_absolute_url())
    try:
        services.round_approve(
            rotation_round=rotation_round,
            actor=viewer.user,
            rotation_date=form.cleaned_data["rotation_date"],
        )
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(rotation_round.get_absolute_url())
    messages.success(
        request,
        f"Round {rotation_round.number} is approved. It publishes itself on "
        f"{form.cleaned_data['rotation_date']:%d %B %Y}, or publish it now.",
    )
    return redirect(rotation_round.get_absolute_url())


@viewer_required
@require_POST
def round_publish(request: HttpRequest, viewer: Viewer, slug: str, pk: int) -> HttpResponse:
    rotation_round = access_round(viewer, slug, pk)
    try:
        done = services.round_publish_now(rotation_round=rotation_round, actor=viewer.user)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(rotation_round.get_absolute_url())
    if done:
        messages.success(
            request,
            f"Round {rotation_round.number} is published: the new pairs start today, the "
            "previous pairs have ended, and everyone has been told.",
        )
    else:
        messages.success(
            request,
            f"Round {rotation_round.number} is being published in the background; this page "
            "shows it as published in a minute or two.",
        )
    return redirect(rotation_round.get_absolute_url())


@viewer_required
@require_POST
def round_cancel(request: HttpRequest, viewer: Viewer, slug: str, pk: int) -> HttpResponse:
    rotation_round = access_round(viewer, slug, pk)
    try:
        services.round_cancel(rotation_round=rotation_round, actor=viewer.user)
    except ValidationError as exc:
        _refused(request, exc)
        return redirect(rotation_round.get_absolute_url())
    messages.success(request, f"Round {rotation_round.number} is cancelled; nothing changed.")
    return redirect("rotations:scheme", rotation_round.scheme.slug)


@viewer_required
def person_history(request: HttpRequest, viewer: Viewer, slug: str, person_id: int) -> HttpResponse:
    scheme, person = access_history(viewer, slug, person_id)
    context = {
        "scheme": scheme,
        "person": person,
        "entries": selectors.person_history(scheme, person),
        "is_self": person.pk == viewer.person.pk,
    }
    return render(request, "rotations/history.html", context)
