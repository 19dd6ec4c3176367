"""Record pages. Thin: the records gate, then a selector or a service.

Every view that can see record text is wrapped in ``sensitive_variables`` (every frame below it
is cleansed in Django's error reports) and ``sensitive_post_parameters`` (no typed text in a
report's POST section), and is never cached.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from peercircle.meetings.access import access_meeting
from peercircle.meetings.services import when
from peercircle.people.viewer import Viewer
from peercircle.records import selectors, services
from peercircle.records.access import (
    access_record,
    access_relationship_records,
    can,
    may_see_read_log,
    standing_of,
)
from peercircle.records.choices import Via
from peercircle.records.forms import BreakGlassForm, RecordForm
from peercircle.records.models import Record
from peercircle.records.policy import Action, allows, describe
from peercircle.web.decorators import paginate, viewer_required


def confidential(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Keep record text out of error reports and caches (the decorators every record view has)."""

    @never_cache
    @sensitive_post_parameters()
    @sensitive_variables()
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return view(request, *args, **kwargs)

    return wrapper


def _form_error(form: Any, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@confidential
@viewer_required
def record_list(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship, standing = access_relationship_records(viewer, pk, purpose=Action.LIST)
    context = paginate(request, selectors.records_of(relationship), settings.PAGE_SIZE)
    scheme, status = relationship.scheme, relationship.status
    readable = allows(Action.READ, standing, scheme=scheme, status=status)
    glass = allows(Action.BREAK_GLASS, standing, scheme=scheme, status=status)
    records = list(context["page"].object_list)
    granted = selectors.break_glass_granted(viewer.person, records) if glass else set()
    rows = [
        (record, readable or record.pk in granted, glass and record.pk not in granted)
        for record in records
    ]
    context.update(
        relationship=relationship,
        names=" and ".join(p.full_name for p in selectors.parties(relationship)),
        rows=rows,
        policy=describe(relationship.scheme),
    )
    return render(request, "records/list.html", context)


@confidential
@viewer_required
def record_for_meeting(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """The record of a held meeting if it has one, else the form to write it (for the parties)."""
    meeting = access_meeting(viewer, pk, purpose="view")
    record = Record.objects.filter(meeting=meeting).only("pk").first()
    if record is not None:
        return redirect("records:detail", pk=record.pk)
    return redirect("records:create", pk=meeting.pk)


@confidential
@viewer_required
def record_create(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    meeting = access_meeting(viewer, pk, purpose="work")
    relationship, _ = access_relationship_records(
        viewer, meeting.relationship_id, purpose=Action.CREATE
    )
    existing = Record.objects.filter(meeting=meeting).only("pk").first()
    if existing is not None:
        return redirect("records:edit", pk=existing.pk)
    people = selectors.parties(relationship)
    form = RecordForm(
        request.POST or None, people=people, open_actions=selectors.open_actions(relationship)
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = services.record_create(
                meeting=meeting, author=viewer.person, actor=viewer.user, data=form.record_input()
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Record saved.")
            return redirect("records:detail", pk=record.pk)
    return render(
        request,
        "records/form.html",
        {
            "form": form,
            "relationship": relationship,
            "meeting": meeting,
            "when": when(meeting.starts_at),
            "title": "Write the record",
        },
    )


@confidential
@viewer_required
def record_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    record = access_record(viewer, pk, purpose=Action.READ, via=Via.PAGE, path=request.path)
    relationship = record.relationship
    standing = standing_of(viewer, relationship)
    agreed, done = selectors.actions_of(record)
    show_log = may_see_read_log(viewer, record)
    context: dict[str, Any] = {
        "record": record,
        "relationship": relationship,
        "when": when(record.meeting.starts_at),
        "agreed": agreed,
        "done": done,
        "can_edit": can(viewer, record, Action.EDIT, standing),
        "can_export": can(viewer, record, Action.EXPORT, standing),
        "show_log": show_log,
        "policy": describe(relationship.scheme),
    }
    if show_log:
        context.update(paginate(request, selectors.reads_of(record), settings.PAGE_SIZE))
    return render(request, "records/detail.html", context)


@confidential
@viewer_required
def record_edit(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    record = access_record(viewer, pk, purpose=Action.EDIT, via=Via.EDIT, path=request.path)
    relationship = record.relationship
    people = selectors.parties(relationship)
    form = RecordForm(
        request.POST or None,
        initial=RecordForm.initial_for(record),
        people=people,
        open_actions=selectors.open_actions(relationship),
    )
    saved: Record | None = None
    if request.method == "POST" and form.is_valid():
        try:
            services.record_update(
                record=record,
                author=viewer.person,
                actor=viewer.user,
                data=form.record_input(),
                expected_version=form.cleaned_data["version"] or 0,
            )
        except services.RecordChanged as exc:
            _form_error(form, exc)
            # Show what is saved now, and let a second save (knowingly) replace it.
            saved = Record.objects.get(pk=record.pk)
            data = request.POST.copy()
            data["version"] = str(saved.version)
            form.data = data
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Record saved.")
            return redirect("records:detail", pk=record.pk)
    return render(
        request,
        "records/form.html",
        {
            "form": form,
            "relationship": relationship,
            "meeting": record.meeting,
            "when": when(record.meeting.starts_at),
            "record": record,
            "saved": saved,
            "title": "Edit the record",
        },
    )


@confidential
@viewer_required
def record_export(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """A plain-text copy for the parties' own files (handbook §11A)."""
    record = access_record(viewer, pk, purpose=Action.EXPORT, via=Via.EXPORT, path=request.path)
    agreed, done = selectors.actions_of(record)
    body = render(
        request,
        "records/export.txt",
        {
            "record": record,
            "when": when(record.meeting.starts_at),
            "names": " and ".join(p.full_name for p in selectors.parties(record.relationship)),
            "agreed": agreed,
            "done": done,
            "now": timezone.now(),
        },
        content_type="text/plain; charset=utf-8",
    )
    day = timezone.localtime(record.meeting.starts_at).date().isoformat()
    body["Content-Disposition"] = f'attachment; filename="meeting-record-{day}.txt"'
    return body


@confidential
@viewer_required
def record_break_glass(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    record = access_record(viewer, pk, purpose=Action.BREAK_GLASS)
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_break_glass(
                record=record,
                person=viewer.person,
                actor=viewer.user,
                reason=form.cleaned_data["reason"],
                details=form.cleaned_data["details"],
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            return redirect("records:detail", pk=record.pk)
    names = " and ".join(p.full_name for p in selectors.parties(record.relationship))
    return render(
        request,
        "records/break_glass.html",
        {
            "form": form,
            "record": record,
            "names": names,
            "when": when(record.meeting.starts_at),
            "minutes": services.BREAK_GLASS_MINUTES,
        },
    )


@confidential
@viewer_required
def break_glass_log(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    """Every use of safeguarding access in the organisation, with its reason: for admins, who
    oversee that it is used only as the confidentiality statement allows. No record text."""
    if not viewer.is_admin:
        raise Http404("No such page.")
    context = paginate(request, selectors.break_glass_all(), settings.PAGE_SIZE)
    return render(request, "records/break_glass_log.html", context)
