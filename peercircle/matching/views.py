"""Matching pages: a scheme's runs, a run's proposal and its edits, and the consultation page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from peercircle.matching import adapter, selectors, services
from peercircle.matching.access import access_consultation, access_matching_scheme, access_run
from peercircle.matching.forms import AnswerForm, SetPairForm, SwapForm
from peercircle.matching.models import MatchRun
from peercircle.people.viewer import Viewer
from peercircle.web.decorators import paginate, viewer_required

PAIRS_PER_PAGE = 50


def _fail(request: HttpRequest, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@viewer_required
def scheme_runs(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_matching_scheme(viewer, slug)
    if request.method == "POST":
        try:
            run = services.run_start(scheme=scheme, actor=viewer.user)
        except ValidationError as exc:
            _fail(request, exc)
            return redirect("matching:runs", scheme.slug)
        return redirect(run)
    return render(
        request,
        "matching/runs.html",
        {
            "scheme": scheme,
            "criteria": adapter.criteria_words(scheme, viewer.organisation.distance_unit),
            **paginate(request, selectors.runs_of(scheme).select_related("based_on"), 25),
        },
    )


def _run_context(request: HttpRequest, run: MatchRun) -> dict[str, Any]:
    pairs = paginate(request, selectors.proposal_pairs(run), PAIRS_PER_PAGE)
    # A second list on the page, paged by its own parameter.
    unmatched = Paginator(selectors.still_unmatched(run), PAIRS_PER_PAGE).get_page(
        request.GET.get("upage")
    )
    on_page = list(pairs["page"].object_list)
    context: dict[str, Any] = {
        "run": run,
        "scheme": run.scheme,
        "pairs_on_page": on_page,
        "unmatched_page": unmatched,
        "removed": selectors.removed_pairs(run).count(),
        "edits": selectors.run_edits(run),
        **pairs,
    }
    if run.editable:
        context["set_form"] = SetPairForm(run=run, prefix="set")
        proposed = [p for p in on_page if p.state == p.State.PROPOSED]
        if len(proposed) >= 2:
            context["swap_form"] = SwapForm(pairs=proposed, prefix="swap")
    return context


@viewer_required
def run_detail(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_run(viewer, run_id)
    return render(request, "matching/run.html", _run_context(request, run))


@viewer_required
def run_progress(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_run(viewer, run_id)
    response = render(request, "matching/_progress.html", {"run": run})
    if run.finished:
        # The whole page changes once the proposal exists: let htmx reload it.
        response["HX-Refresh"] = "true"
    return response


@require_POST
@viewer_required
def pair_action(
    request: HttpRequest, viewer: Viewer, run_id: int, pair_id: int, action: str
) -> HttpResponse:
    run = access_run(viewer, run_id)
    try:
        if action == "remove":
            pair = services.pair_remove(run=run, pair_id=pair_id, actor=viewer.user)
            messages.success(request, f"Removed {pair.mentee.full_name}'s pair.")
        elif action in ("lock", "unlock"):
            pair = services.pair_lock(
                run=run, pair_id=pair_id, locked=action == "lock", actor=viewer.user
            )
            word = "Locked" if pair.locked else "Unlocked"
            messages.success(
                request, f"{word} {pair.mentee.full_name} with {pair.mentor.full_name}."
            )
        elif action == "exclude":
            pair = services.pair_exclude(run=run, pair_id=pair_id, actor=viewer.user)
            messages.success(
                request,
                f"{pair.mentee.full_name} and {pair.mentor.full_name} will never be proposed "
                "together again.",
            )
        else:
            raise Http404("No such action.")
    except ValidationError as exc:
        _fail(request, exc)
    return redirect(run)


@require_POST
@viewer_required
def pair_set(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_run(viewer, run_id)
    if not run.editable:
        messages.error(request, "This proposal can no longer be changed.")
        return redirect(run)
    form = SetPairForm(request.POST, run=run, prefix="set")
    if form.is_valid():
        try:
            pair = services.pair_set(
                run=run,
                mentee=form.cleaned_data["mentee"],
                mentor=form.cleaned_data["mentor"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Paired {pair.mentee.full_name} with {pair.mentor.full_name} and locked the pair.",
            )
            return redirect(run)
    context = _run_context(request, run)
    context["set_form"] = form
    return render(request, "matching/run.html", context, status=400)


@require_POST
@viewer_required
def pair_swap(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_run(viewer, run_id)
    if not run.editable:
        messages.error(request, "This proposal can no longer be changed.")
        return redirect(run)
    pairs = list(selectors.proposal_pairs(run).filter(state="proposed")[:2000])
    form = SwapForm(request.POST, pairs=pairs, prefix="swap")
    if form.is_valid():
        try:
            services.pair_swap(
                run=run,
                first_id=form.cleaned_data["first"],
                second_id=form.cleaned_data["second"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "Swapped the two mentors and locked both pairs.")
    else:
        messages.error(request, "Choose two pairs to swap.")
    return redirect(run)


@require_POST
@viewer_required
def run_rerun(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_run(viewer, run_id)
    try:
        new = services.run_start(scheme=run.scheme, actor=viewer.user, based_on=run)
    except ValidationError as exc:
        _fail(request, exc)
        return redirect(run)
    return redirect(new)


@require_POST
@viewer_required
def run_send(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_run(viewer, run_id)
    try:
        asked = services.run_send_for_consultation(run=run, actor=viewer.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        messages.success(
            request,
            f"Sent to {asked} supervising social worker{'s' if asked != 1 else ''}. Their "
            "answers appear beside each pair.",
        )
    return redirect(run)


@require_POST
@viewer_required
def run_confirm(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_run(viewer, run_id)
    try:
        counts = services.run_confirm(run=run, actor=viewer.user)
    except ValidationError as exc:
        _fail(request, exc)
    else:
        text = f"Confirmed: {counts['made']} relationships created and the people told."
        if counts["failed"]:
            text += f" {counts['failed']} could not be made; the reason is beside each."
        messages.success(request, text)
    return redirect(run)


@viewer_required
def consult(request: HttpRequest, viewer: Viewer, run_id: int) -> HttpResponse:
    run = access_consultation(viewer, run_id)
    pairs = list(selectors.pairs_for_supervisor(run, viewer.person)[:500])
    forms = {p.pk: AnswerForm(prefix=f"p{p.pk}") for p in pairs}
    status = 200
    if request.method == "POST":
        pair_id = int(request.POST.get("pair", "0") or 0)
        form = AnswerForm(request.POST, prefix=f"p{pair_id}")
        if pair_id in forms and form.is_valid():
            try:
                services.pair_answer(
                    run=run,
                    pair_id=pair_id,
                    supervisor=viewer.person,
                    agree=form.cleaned_data["answer"] == "agree",
                    comment=form.cleaned_data["comment"],
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Thank you: the coordinator can see your answer.")
                return redirect("matching:consult", run.pk)
        if pair_id in forms:
            forms[pair_id] = form
        status = 400
    return render(
        request,
        "matching/consult.html",
        {"run": run, "rows": [(p, forms[p.pk]) for p in pairs]},
        status=status,
    )
