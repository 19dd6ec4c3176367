"""Scheme pages: list, overview, settings (including matching criteria) and eligibility rules."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from peercircle.people.models import Membership
from peercircle.people.viewer import Viewer
from peercircle.schemes import services
from peercircle.schemes.access import access_scheme, schemes_visible_to
from peercircle.schemes.choices import PARTICIPATING
from peercircle.schemes.criteria import CRITERIA, describe
from peercircle.schemes.forms import (
    CriteriaForm,
    EligibilityRuleFormSet,
    SchemeCreateForm,
    SchemeSettingsForm,
)
from peercircle.schemes.models import EligibilityRule
from peercircle.web.decorators import viewer_required


@viewer_required
def scheme_list(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    schemes = schemes_visible_to(viewer).annotate(
        members=Count("memberships", filter=Q(memberships__status__in=PARTICIPATING))
    )
    return render(
        request,
        "schemes/list.html",
        {"schemes": schemes, "can_create": viewer.is_admin, "manages": viewer.manages},
    )


@viewer_required
def scheme_create(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    if not viewer.is_admin:
        raise Http404
    form = SchemeCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        scheme = services.scheme_create(
            organisation=viewer.organisation, actor=viewer.user, **form.cleaned_data
        )
        messages.success(request, f"Created {scheme.name}. Check its settings below.")
        return redirect("schemes:settings", scheme.slug)
    return render(request, "schemes/form.html", {"form": form, "title": "New scheme"})


@viewer_required
def scheme_detail(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_scheme(viewer, slug, purpose="view")
    can_manage = viewer.is_admin or scheme.pk in viewer.manages
    coordinators = Membership.objects.filter(
        scheme=scheme, role__in=["coordinator", "admin"], status__in=PARTICIPATING
    ).select_related("person")
    criteria = scheme.criteria()
    unit = viewer.organisation.distance_unit
    return render(
        request,
        "schemes/detail.html",
        {
            "scheme": scheme,
            "can_manage": can_manage,
            "coordinators": coordinators,
            "criteria": [describe(c.key, criteria[c.key], unit) for c in CRITERIA],
            "rules": EligibilityRule.objects.filter(scheme=scheme) if can_manage else [],
        },
    )


@viewer_required
def scheme_settings(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_scheme(viewer, slug, purpose="manage")
    unit = viewer.organisation.distance_unit
    data = request.POST or None
    form = SchemeSettingsForm(data, instance=scheme, prefix="s")
    criteria_form = CriteriaForm(data, criteria=scheme.criteria(), unit=unit, prefix="c")
    if request.method == "POST" and form.is_valid() and criteria_form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.fields}
        changes["matching_criteria"] = criteria_form.criteria()
        scheme.refresh_from_db()
        try:
            services.scheme_update_settings(scheme=scheme, actor=viewer.user, changes=changes)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, "Settings saved.")
            return redirect(scheme)
    return render(
        request,
        "schemes/settings.html",
        {"scheme": scheme, "form": form, "criteria_form": criteria_form},
    )


@viewer_required
def scheme_eligibility(request: HttpRequest, viewer: Viewer, slug: str) -> HttpResponse:
    scheme = access_scheme(viewer, slug, purpose="manage")
    initial = list(
        EligibilityRule.objects.filter(scheme=scheme).values(
            "role", "criterion", "minimum", "only_category", "except_category"
        )
    )
    formset = EligibilityRuleFormSet(
        request.POST or None, initial=initial, form_kwargs={"roles": scheme.roles}
    )
    service_errors: list[str] = []
    if request.method == "POST" and formset.is_valid():
        rules = [
            {k: v for k, v in f.cleaned_data.items() if k != "DELETE"}
            for f in formset.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]
        try:
            services.eligibility_rules_replace(scheme=scheme, actor=viewer.user, rules=rules)
        except ValidationError as exc:
            service_errors = exc.messages
        else:
            messages.success(request, "Eligibility rules saved.")
            return redirect(scheme)
    return render(
        request,
        "schemes/eligibility.html",
        {"scheme": scheme, "formset": formset, "service_errors": service_errors},
    )
