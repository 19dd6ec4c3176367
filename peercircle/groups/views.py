"""Group pages. Thin: each view passes a gate, then calls a selector or a service."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from peercircle.groups import services
from peercircle.groups.access import (
    access_formation,
    access_group,
    access_group_scheme,
    access_managed_group,
    groups_of,
)
from peercircle.groups.choices import GroupStatus
from peercircle.groups.forms import FormationForm, MemberForm, MoveForm, RenameForm
from peercircle.groups.models import GroupFormation
from peercircle.groups.selectors import (
    addable_people,
    balance_lines,
    edit_lines,
    formation_words,
    group_members,
    headcount,
    proposed_groups,
    scheme_formations,
    scheme_groups,
)
from peercircle.people.viewer import Viewer
from peercircle.web.decorators import paginate, viewer_required

# Proposed groups per page: each lists its members and its balance, so pages stay short.
GROUPS_PER_PAGE = 20


@viewer_required
def my_groups(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = paginate(request, groups_of(viewer), settings.PAGE_SIZE)
    return render(request, "groups/mine.html", context)


@viewer_required
def scheme_groups_view(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_group_scheme(viewer, slug)
    context = paginate(request, scheme_groups(scheme), settings.PAGE_SIZE)
    context.update(
        scheme=scheme,
        counts=headcount(scheme),
        formations=scheme_formations(scheme)[:10],
    )
    return render(request, "groups/scheme.html", context)


@viewer_required
def formation_create(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_group_scheme(viewer, slug)
    last = scheme_formations(scheme).first()
    form = FormationForm(
        request.POST or None,
        initial_weights=dict(last.settings.get("balance", {})) if last else {"role": 2},
    )
    if request.method == "POST" and form.is_valid():
        try:
            formation = services.formation_start(
                scheme=scheme,
                actor=viewer.user,
                scope=form.cleaned_data["scope"],
                balance=form.weights(),
            )
        except services.FormationRefused as exc:
            form.add_error(None, exc.messages)
        else:
            return redirect(formation)
    return render(
        request,
        "groups/form.html",
        {"scheme": scheme, "form": form, "counts": headcount(scheme)},
    )


def _formation_context(request: HttpRequest, formation: GroupFormation) -> dict[str, object]:
    paginator = Paginator(formation.groups.order_by("number"), GROUPS_PER_PAGE)
    page = paginator.get_page(request.GET.get("page"))
    return {
        "formation": formation,
        "scheme": formation.scheme,
        "page": page,
        "query_without_page": "",
        "groups": proposed_groups(formation, page.object_list),
        "summary_lines": formation_words(formation),
        "group_count": paginator.count,
        "edits": edit_lines(formation),
        "balance_lines": balance_lines(formation),
    }


@viewer_required
def formation_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    formation = access_formation(viewer, pk)
    return render(request, "groups/formation.html", _formation_context(request, formation))


@viewer_required
def formation_progress(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    formation = access_formation(viewer, pk)
    if not formation.is_working and request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRefresh()
    return render(request, "groups/_progress.html", {"formation": formation})


@require_POST
@viewer_required
def formation_move(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    formation = access_formation(viewer, pk)
    form = MoveForm(request.POST)
    page = request.POST.get("page", "")
    if not form.is_valid():
        messages.error(request, "Choose who to move and the number of the group to move them to.")
    else:
        try:
            services.formation_move(
                formation=formation,
                person_id=form.cleaned_data["person"],
                to_number=form.cleaned_data["to_group"],
                actor=viewer.user,
            )
        except services.FormationRefused as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Moved to group {form.cleaned_data['to_group']}.")
    url = formation.get_absolute_url()
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@require_POST
@viewer_required
def formation_rerun(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    formation = access_formation(viewer, pk)
    try:
        new = services.formation_rerun(formation=formation, actor=viewer.user)
    except services.FormationRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(formation)
    messages.success(request, "Formed the groups again with the same settings.")
    return redirect(new)


@require_POST
@viewer_required
def formation_discard(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    formation = access_formation(viewer, pk)
    try:
        services.formation_discard(formation=formation, actor=viewer.user)
    except services.FormationRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(formation)
    messages.success(request, "Discarded the proposal. Nobody was told anything.")
    return redirect("groups:scheme", formation.scheme.slug)


@require_POST
@viewer_required
def formation_confirm(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    formation = access_formation(viewer, pk)
    try:
        groups = services.formation_confirm(formation=formation, actor=viewer.user)
    except services.FormationRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(formation)
    messages.success(
        request,
        f"Confirmed {len(groups)} groups. Each member has been told which group they are in.",
    )
    return redirect("groups:scheme", formation.scheme.slug)


@viewer_required
def group_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    group, can_manage = access_group(viewer, pk)
    context = paginate(request, group_members(group), settings.PAGE_SIZE)
    context.update(group=group, can_manage=can_manage, me=viewer.person)
    if can_manage and group.status == GroupStatus.ACTIVE:
        context.update(addable=list(addable_people(group)))
    return render(request, "groups/detail.html", context)


@require_POST
@viewer_required
def group_rename(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    group = access_managed_group(viewer, pk)
    form = RenameForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Type a new name for the group, of 100 characters or fewer.")
        return redirect(group)
    try:
        services.group_rename(group=group, name=form.cleaned_data["name"], actor=viewer.user)
    except services.GroupRefused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Renamed the group.")
    return redirect(group)


@require_POST
@viewer_required
def group_close(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    group = access_managed_group(viewer, pk)
    try:
        services.group_close(group=group, actor=viewer.user)
    except services.GroupRefused as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(group)
    messages.success(request, f"Closed {group.name}. Each member has been told.")
    return redirect("groups:scheme", group.scheme.slug)


def _member_change(
    request: HttpRequest,
    viewer: Viewer,
    pk: int,
    service: Callable[..., object],
    *,
    missing: str,
    done: str,
) -> HttpResponse:
    """Add or remove one person: the same form, gate and refusal handling for both."""
    group = access_managed_group(viewer, pk)
    form = MemberForm(request.POST)
    if not form.is_valid():
        messages.error(request, missing)
        return redirect(group)
    try:
        service(group=group, person_id=form.cleaned_data["person"], actor=viewer.user)
    except services.GroupRefused as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect(group)


@require_POST
@viewer_required
def group_add_member(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _member_change(
        request,
        viewer,
        pk,
        services.group_add_member,
        missing="Choose who to add to the group.",
        done="Added them to the group and told them.",
    )


@require_POST
@viewer_required
def group_remove_member(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    return _member_change(
        request,
        viewer,
        pk,
        services.group_remove_member,
        missing="Choose who to remove from the group.",
        done="Removed them from the group. The group carries on.",
    )
