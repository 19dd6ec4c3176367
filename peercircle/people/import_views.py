"""Spreadsheet import pages: upload and check, confirm, and the template download.

The checked file stays on the server, in the session with its SHA-256, and the confirmation names
that hash: so the import saves exactly the file that was checked, never a second upload, and a
check made in another tab cannot be confirmed by mistake.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from peercircle.people.import_format import (
    COLUMNS,
    MAX_FILE_BYTES,
    FileProblem,
    check_size,
    template_csv,
    template_xlsx,
)
from peercircle.people.importer import (
    ImportAuthority,
    ImportReport,
    Problem,
    Summary,
    import_people,
)
from peercircle.people.viewer import Viewer
from peercircle.schemes.access import schemes_managed_by
from peercircle.web.decorators import viewer_required
from peercircle.web.forms import AccessibleForm

SESSION_KEY = "people_import"
_TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ImportForm(AccessibleForm):
    file = forms.FileField(
        label="Spreadsheet file",
        help_text="A CSV file (.csv) or an Excel workbook (.xlsx), with a heading row and one "
        "line per person.",
        # An empty file gets the importer's fuller message rather than the form's.
        allow_empty_file=True,
        error_messages={"required": "Choose the spreadsheet file to check."},
    )


def _authority(viewer: Viewer) -> ImportAuthority:
    if not viewer.is_coordinator:
        raise Http404("No such page.")
    return ImportAuthority.of_viewer(viewer)


def _keep(
    request: HttpRequest, viewer: Viewer, data: bytes, filename: str, summary: Summary
) -> str:
    digest = hashlib.sha256(data).hexdigest()
    request.session[SESSION_KEY] = {
        "person": viewer.person.pk,
        "organisation": viewer.organisation.pk,
        "sha256": digest,
        "filename": filename,
        "summary": summary.as_dict(),
        "data": base64.b64encode(zlib.compress(data)).decode("ascii"),
    }
    return digest


def _pending(request: HttpRequest, viewer: Viewer, check: str) -> tuple[bytes, dict[str, Any]]:
    """The checked file named by ``check``, or FileProblem saying why there is none."""
    pending = request.session.get(SESSION_KEY)
    if (
        not isinstance(pending, dict)
        or pending.get("person") != viewer.person.pk
        or pending.get("organisation") != viewer.organisation.pk
        or not check
        or pending.get("sha256") != check
    ):
        raise FileProblem(
            "There is no checked file waiting to be imported: you may have checked another "
            "file since, or signed out. Choose the file and check it again."
        )
    data = zlib.decompress(base64.b64decode(pending["data"]))
    if hashlib.sha256(data).hexdigest() != check:
        raise FileProblem("The checked file could not be found again. Check the file again.")
    return data, pending


def _page(request: HttpRequest, form: ImportForm, **context: Any) -> HttpResponse:
    return render(
        request,
        "people/import.html",
        {
            "form": form,
            "columns": COLUMNS,
            "max_rows": settings.IMPORT_MAX_ROWS,
            "max_megabytes": MAX_FILE_BYTES // 1_048_576,
            **context,
        },
    )


@viewer_required
def import_upload(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    authority = _authority(viewer)
    # Bound on any POST, so that a POST with no file is told to choose one.
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method != "POST" or not form.is_valid():
        return _page(request, form)
    request.session.pop(SESSION_KEY, None)
    upload = form.cleaned_data["file"]
    filename = upload.name or "file"
    try:
        check_size(upload.size or 0)
    except FileProblem as exc:
        report = ImportReport(filename, True, [Problem(0, "", str(exc))])
    else:
        data = upload.read()
        report = import_people(authority=authority, data=data, filename=filename, dry_run=True)
        if report.ok and report.summary is not None:
            check = _keep(request, viewer, data, filename, report.summary)
            return _page(request, ImportForm(), report=report, check=check)
    return _page(request, ImportForm(), report=report)


@require_POST
@viewer_required
def import_confirm(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    authority = _authority(viewer)
    check = request.POST.get("check", "")
    try:
        data, pending = _pending(request, viewer, check)
    except FileProblem as exc:
        messages.error(request, str(exc))
        return redirect("people:import")
    report = import_people(
        authority=authority,
        data=data,
        filename=pending["filename"],
        dry_run=False,
        expect=Summary(**pending["summary"]),
    )
    if report.imported and report.summary is not None:
        request.session.pop(SESSION_KEY, None)
        s = report.summary
        messages.success(
            request,
            f"Imported {s.people} {'person' if s.people == 1 else 'people'} from "
            f"{report.filename}: {s.created} added, {s.updated} updated, {s.unchanged} unchanged.",
        )
        return redirect("people:list")
    if report.stale and report.summary is not None:
        # Same file, new facts: show the new check and let the person confirm that instead.
        check = _keep(request, viewer, data, report.filename, report.summary)
        return _page(request, ImportForm(), report=report, check=check)
    request.session.pop(SESSION_KEY, None)
    return _page(request, ImportForm(), report=report)


@viewer_required
def import_template(request: HttpRequest, viewer: Viewer, fmt: str) -> HttpResponse:
    _authority(viewer)
    if fmt not in _TEMPLATE_TYPES:
        raise Http404("No such template.")
    scheme = schemes_managed_by(viewer).order_by("name").first()
    slug = scheme.slug if scheme is not None else ""
    body = template_csv(scheme_slug=slug) if fmt == "csv" else template_xlsx(scheme_slug=slug)
    response = HttpResponse(body, content_type=_TEMPLATE_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="peercircle-people.{fmt}"'
    return response
