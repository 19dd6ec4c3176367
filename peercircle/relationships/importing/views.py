"""The page that imports existing matches: upload and check, then confirm.

As for the people import, the checked file stays in the session with its SHA-256 and the
confirmation names that hash, so exactly the checked file is imported, never a second upload.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from peercircle.people.import_format import MAX_FILE_BYTES, FileProblem, check_size
from peercircle.people.import_views import ImportForm as PeopleImportForm
from peercircle.people.importer import ImportAuthority, Problem
from peercircle.people.viewer import Viewer
from peercircle.relationships.importing.importer import (
    COLUMNS,
    ImportReport,
    Summary,
    import_relationships,
    template_csv,
)
from peercircle.schemes.access import schemes_managed_by
from peercircle.web.decorators import viewer_required

SESSION_KEY = "relationships_import"


class ImportForm(PeopleImportForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = (
            "A CSV file (.csv) or an Excel workbook (.xlsx), with a heading row and one line "
            "per relationship."
        )


def _authority(viewer: Viewer) -> ImportAuthority:
    if not viewer.is_coordinator:
        raise Http404("No such page.")
    return ImportAuthority.of_viewer(viewer)


def _keep(request: HttpRequest, viewer: Viewer, data: bytes, report: ImportReport) -> str:
    digest = hashlib.sha256(data).hexdigest()
    assert report.summary is not None  # noqa: S101 (only called for a clean check)
    request.session[SESSION_KEY] = {
        "person": viewer.person.pk,
        "sha256": digest,
        "filename": report.filename,
        "summary": report.summary.as_dict(),
        "data": base64.b64encode(zlib.compress(data)).decode("ascii"),
    }
    return digest


def _page(request: HttpRequest, form: ImportForm, **context: Any) -> HttpResponse:
    return render(
        request,
        "relationships/import.html",
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
    form = ImportForm(request.POST, request.FILES) if request.method == "POST" else ImportForm()
    if request.method != "POST" or not form.is_valid():
        return _page(request, form)
    request.session.pop(SESSION_KEY, None)
    upload = form.cleaned_data["file"]
    filename = upload.name or "file"
    try:
        check_size(upload.size or 0)
    except FileProblem as exc:
        return _page(
            request, ImportForm(), report=ImportReport(filename, True, [Problem(0, "", str(exc))])
        )
    data = upload.read()
    report = import_relationships(authority=authority, data=data, filename=filename, dry_run=True)
    if report.ok:
        return _page(
            request, ImportForm(), report=report, check=_keep(request, viewer, data, report)
        )
    return _page(request, ImportForm(), report=report)


@require_POST
@viewer_required
def import_confirm(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    authority = _authority(viewer)
    pending = request.session.get(SESSION_KEY)
    check = request.POST.get("check", "")
    if (
        not isinstance(pending, dict)
        or pending.get("person") != viewer.person.pk
        or not check
        or pending.get("sha256") != check
    ):
        messages.error(
            request,
            "There is no checked file waiting to be imported: you may have checked another file "
            "since, or signed out. Choose the file and check it again.",
        )
        return redirect("relationships:import")
    data = zlib.decompress(base64.b64decode(pending["data"]))
    report = import_relationships(
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
            f"Imported {report.filename}: {s.created} relationships added, {s.unchanged} already "
            "in PeerCircle.",
        )
        return redirect("relationships:list")
    if report.stale:
        return _page(
            request, ImportForm(), report=report, check=_keep(request, viewer, data, report)
        )
    request.session.pop(SESSION_KEY, None)
    return _page(request, ImportForm(), report=report)


@viewer_required
def import_template(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    _authority(viewer)
    scheme = schemes_managed_by(viewer).order_by("name").first()
    body = template_csv(scheme_slug=scheme.slug if scheme is not None else "")
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="peercircle-relationships.csv"'
    return response
