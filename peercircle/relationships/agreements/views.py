"""Agreement pages: the scheme's template, a relationship's agreement, writing a new version,
accepting it, the printable copy and the confidentiality statement."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from peercircle.audit.services import audit_record
from peercircle.people.viewer import Viewer
from peercircle.relationships.agreements import services
from peercircle.relationships.agreements.access import access_agreement
from peercircle.relationships.agreements.forms import AcceptForm, SectionsForm
from peercircle.relationships.agreements.models import AgreementAcceptance, AgreementVersion
from peercircle.relationships.agreements.texts import CONFIDENTIALITY_STATEMENT, SECTIONS
from peercircle.relationships.page import relationship_page
from peercircle.relationships.views import form_error
from peercircle.schemes.access import access_scheme
from peercircle.web.decorators import viewer_required


@viewer_required
def template_edit(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_scheme(viewer, slug, purpose="manage")
    sections, version = services.template_sections(scheme)
    form = SectionsForm(request.POST or None, initial={**sections, "version": version})
    if request.method == "POST" and form.is_valid():
        try:
            services.agreement_template_save(
                scheme=scheme,
                sections=form.sections(),
                actor=viewer.user,
                expected_version=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Agreement template saved. New agreements start from it.")
            return redirect(scheme)
    return render(
        request,
        "relationships/agreement_edit.html",
        {
            "form": form,
            "title": f"Agreement template of {scheme.name}",
            "intro": "Every new agreement in this scheme starts from this text; the parties "
            "then make it their own. Agreements already written do not change.",
            "back": scheme.get_absolute_url(),
            "back_label": scheme.name,
        },
    )


@viewer_required
def agreement_page(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_agreement(viewer, pk, purpose="read")
    page = relationship_page(viewer, relationship)
    versions = list(
        AgreementVersion.objects.filter(relationship=relationship).order_by("-number")[:20]
    )
    return render(
        request,
        "relationships/agreement.html",
        {
            "page": page,
            "relationship": relationship,
            "sections": _titled(page.agreement),
            "versions": versions,
            "statement": CONFIDENTIALITY_STATEMENT,
        },
    )


def _titled(version: AgreementVersion | None) -> list[tuple[str, str]]:
    if version is None:
        return []
    texts = version.sections
    return [(s.title, texts.get(s.key, "")) for s in SECTIONS]


@viewer_required
def agreement_edit(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_agreement(viewer, pk, purpose="edit")
    sections, based_on = services.agreement_draft(relationship)
    form = SectionsForm(request.POST or None, initial={**sections, "version": based_on})
    if request.method == "POST" and form.is_valid():
        try:
            version = services.agreement_revise(
                relationship=relationship,
                sections=form.sections(),
                actor=viewer.user,
                based_on=form.cleaned_data["version"],
            )
        except ValidationError as exc:
            form_error(form, exc)
            # The writer keeps their text; saving again now builds on the newest version.
            _, latest = services.agreement_draft(relationship)
            data = request.POST.copy()
            data["version"] = str(latest)
            form.data = data
        else:
            messages.success(
                request, f"Version {version.number} saved. Each of you now reads and accepts it."
            )
            return redirect("relationships:agreement", relationship.pk)
    return render(
        request,
        "relationships/agreement_edit.html",
        {
            "form": form,
            "title": "Write the agreement" if based_on == 0 else "Change the agreement",
            "intro": "Fill this in together. Any change makes a new version, which each of you "
            "accepts again.",
            "back": reverse("relationships:agreement", args=[relationship.pk]),
            "back_label": "The agreement",
        },
    )


@require_POST
@viewer_required
def agreement_accept(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    relationship = access_agreement(viewer, pk, purpose="accept")
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Nothing was accepted: reload the agreement and try again.")
        return redirect("relationships:agreement", relationship.pk)
    try:
        acceptance = services.agreement_accept(
            relationship=relationship,
            person=viewer.person,
            number=form.cleaned_data["version"],
            actor=viewer.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        when = timezone.localtime(acceptance.accepted_at)
        messages.success(
            request, f"You accepted version {form.cleaned_data['version']} on {when:%d %B %Y}."
        )
    return redirect("relationships:agreement", relationship.pk)


@viewer_required
def agreement_download(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """A printable copy (standalone HTML with print styles) of the current or a given version."""
    relationship = access_agreement(viewer, pk, purpose="read")
    versions = AgreementVersion.objects.filter(relationship=relationship)
    number = request.GET.get("version", "")
    version = (
        versions.filter(number=int(number)).first()
        if number.isdigit()
        else versions.order_by("-number").first()
    )
    if version is None:
        raise Http404("No such agreement version.")
    page = relationship_page(viewer, relationship)
    accepted = dict(
        AgreementAcceptance.objects.filter(version=version).values_list("person_id", "accepted_at")
    )
    signers = [
        (row.participant.person, accepted.get(row.participant.person_id), row.statement_at)
        for row in page.parties
    ]
    audit_record(
        organisation=viewer.organisation,
        actor=viewer.user,
        action="agreement.download",
        target=relationship,
        summary=f"Agreement version {version.number} downloaded",
    )
    body = render_to_string(
        "relationships/agreement_document.html",
        {
            "page": page,
            "relationship": relationship,
            "version": version,
            "sections": _titled(version),
            "signers": signers,
            "statement": CONFIDENTIALITY_STATEMENT,
            "printed_at": timezone.localtime(),
        },
    )
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    filename = f"agreement-{relationship.pk}-version-{version.number}.html"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@viewer_required
def confidentiality(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    signing = request.method == "POST"
    relationship = access_agreement(viewer, pk, purpose="accept" if signing else "read")
    if signing:
        try:
            services.statement_sign(
                relationship=relationship, person=viewer.person, actor=viewer.user
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "You signed the confidentiality statement.")
        return redirect("relationships:agreement", relationship.pk)
    page = relationship_page(viewer, relationship)
    return render(
        request,
        "relationships/confidentiality.html",
        {"page": page, "relationship": relationship, "statement": CONFIDENTIALITY_STATEMENT},
    )
