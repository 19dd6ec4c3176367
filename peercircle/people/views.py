"""People pages. Thin: each view passes a gate, then calls a selector or a service."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from peercircle.accounts.signin import sign_in_with_new_password
from peercircle.audit.services import audit_for
from peercircle.people import services
from peercircle.people.access import (
    access_membership,
    access_person,
    access_sensitive_profile,
    can_access_person,
    people_visible_to,
)
from peercircle.people.eligibility import evaluate
from peercircle.people.forms import (
    ApplicationForm,
    InvitationAcceptForm,
    MembershipForm,
    NewPersonForm,
    PeopleFilterForm,
    PersonForm,
    RecruitmentStepForm,
    SensitiveForm,
    StatusForm,
    TrainingForm,
)
from peercircle.people.models import Application, Membership, TrainingRecord
from peercircle.people.selectors import PeopleFilter, people_list, training_cutoffs
from peercircle.people.viewer import Viewer
from peercircle.schemes.access import schemes_managed_by, schemes_visible_to
from peercircle.schemes.choices import RecruitmentStep
from peercircle.schemes.models import EligibilityRule
from peercircle.schemes.templates import template_for
from peercircle.web.decorators import paginate, viewer_required
from peercircle.web.forms import mark_invalid_fields


def _form_error(form: Any, exc: ValidationError) -> None:
    """Show a service's refusal on the form, by field where the service named one."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@viewer_required
def person_list(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    visible_schemes = list(schemes_visible_to(viewer))
    form = PeopleFilterForm(request.GET or None, schemes=visible_schemes)
    filters = PeopleFilter()
    rules: list[EligibilityRule] = []
    today = timezone.localdate()
    if form.is_valid():
        data = form.cleaned_data
        scheme = next((s for s in visible_schemes if s.slug == data["scheme"]), None)
        filters = PeopleFilter(
            q=data["q"].strip(),
            scheme=scheme,
            role=data["role"],
            status=data["status"],
            eligible={"yes": True, "no": False}.get(data["eligible"]),
            training=data["training"],
            waiting=data["waiting"] == "yes",
        )
        if scheme is not None:
            rules = list(EligibilityRule.objects.filter(scheme=scheme))
    visible_ids = [s.pk for s in visible_schemes]
    people = people_list(viewer, filters, rules=rules, today=today).prefetch_related(
        Prefetch(
            "memberships",
            queryset=Membership.objects.filter(scheme_id__in=visible_ids).select_related("scheme"),
        )
    )
    context = paginate(request, people, settings.PAGE_SIZE)
    rows = []
    for person in context["page"].object_list:
        eligibility = None
        if filters.scheme is not None and filters.role:
            eligibility = evaluate(person, filters.scheme, filters.role, rules, today)
        rows.append((person, eligibility))
    context.update(
        form=form,
        rows=rows,
        filters=filters,
        can_add=bool(viewer.is_coordinator),
        cutoffs=training_cutoffs(filters.scheme, today),
    )
    template = "people/_list_results.html" if request.htmx else "people/list.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@viewer_required
def person_detail(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    person = access_person(viewer, pk, purpose="view")
    can_manage = can_access_person(viewer, person, "manage")
    sensitive = access_sensitive_profile(viewer, person)
    show_all = viewer.is_admin or person.pk == viewer.person.pk
    memberships = (
        Membership.objects.filter(person=person)
        .select_related("scheme")
        .prefetch_related("recruitment_steps")
        .order_by("scheme__name", "role")
    )
    if not show_all:
        memberships = memberships.filter(scheme_id__in=viewer.manages | viewer.supervises_in)
    memberships_list = list(memberships)
    scheme_ids = {m.scheme_id for m in memberships_list}
    rules_by_scheme: dict[int, list[EligibilityRule]] = {}
    for rule in EligibilityRule.objects.filter(scheme_id__in=scheme_ids):
        rules_by_scheme.setdefault(rule.scheme_id, []).append(rule)
    today = timezone.localdate()
    rows = []
    for m in memberships_list:
        steps = {r.step: r for r in m.recruitment_steps.all()}
        recruited = m.role in template_for(m.scheme.scheme_type).recruited_roles
        rows.append(
            {
                "membership": m,
                "eligibility": evaluate(
                    person, m.scheme, m.role, rules_by_scheme.get(m.scheme_id, []), today
                ),
                "steps": [
                    (value, label, steps.get(value)) for value, label in RecruitmentStep.choices
                ]
                if recruited
                else None,
                "can_manage": viewer.is_admin or m.scheme_id in viewer.manages,
            }
        )
    context = {
        "person": person,
        "sensitive": sensitive,
        "can_see_sensitive": sensitive is not None
        or can_access_person(viewer, person, "sensitive"),
        "can_manage": can_manage,
        "rows": rows,
        "training": TrainingRecord.objects.filter(person=person)[:20],
        "history": audit_for(person) if can_manage else [],
        "is_self": person.pk == viewer.person.pk,
        "viewer_is_admin": viewer.is_admin,
        "status_form": StatusForm(),
        "step_form": RecruitmentStepForm(initial={"completed_on": today}),
    }
    return render(request, "people/detail.html", context)


@viewer_required
def person_create(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    schemes = schemes_managed_by(viewer)
    if not viewer.is_coordinator:
        raise Http404
    form = NewPersonForm(request.POST or None, schemes=schemes, people=people_visible_to(viewer))
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k not in {"scheme", "role", "status"}}
        try:
            person = services.person_create_in_scheme(
                scheme=form.cleaned_data["scheme"],
                role=form.cleaned_data["role"],
                status=form.cleaned_data["status"],
                actor=viewer.user,
                data=data,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Added {person.full_name}.")
            return redirect(person)
    return render(request, "people/form.html", {"form": form, "title": "Add a person"})


@viewer_required
def person_edit(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    person = access_person(viewer, pk, purpose="manage")
    form = PersonForm(request.POST or None, instance=person, people=people_visible_to(viewer))
    if request.method == "POST" and form.is_valid():
        # The form filled ``person`` in place; hand the changes to the service to validate.
        changes = {f: form.cleaned_data[f] for f in form.changed_data}
        person.refresh_from_db()
        try:
            services.person_update(person=person, actor=viewer.user, changes=changes)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Saved.")
            return redirect(person)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": f"Edit {person.full_name}", "person": person},
    )


@viewer_required
def person_sensitive(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    person = access_person(viewer, pk, purpose="sensitive")
    profile = access_sensitive_profile(viewer, person)
    initial = {}
    if profile is not None:
        initial = {f: getattr(profile, f) for f in services.SENSITIVE_FIELDS}
    form = SensitiveForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.sensitive_update(person=person, actor=viewer.user, changes=form.cleaned_data)
        messages.success(request, "Saved.")
        return redirect(person)
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "title": f"Personal details of {person.full_name}",
            "person": person,
            "intro": "These details are optional and only shown to the person, their scheme "
            "coordinators and organisation admins. They are used for matching when the person "
            "asks for it.",
        },
    )


@viewer_required
def membership_add(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    person = access_person(viewer, pk, purpose="manage")
    form = MembershipForm(request.POST or None, schemes=schemes_managed_by(viewer))
    if request.method == "POST" and form.is_valid():
        try:
            services.membership_add(
                person=person,
                scheme=form.cleaned_data["scheme"],
                role=form.cleaned_data["role"],
                status=form.cleaned_data["status"],
                actor=viewer.user,
            )
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, f"Added {person.full_name} to {form.cleaned_data['scheme']}.")
            return redirect(person)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": f"Add {person.full_name} to a scheme", "person": person},
    )


@require_POST
@viewer_required
def membership_status(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    membership = access_membership(viewer, pk, purpose="manage")
    form = StatusForm(request.POST)
    if form.is_valid():
        services.membership_set_status(
            membership=membership, status=form.cleaned_data["status"], actor=viewer.user
        )
        messages.success(request, "Status changed.")
    else:
        messages.error(request, "Choose one of the listed statuses.")
    return redirect(membership.person)


@require_POST
@viewer_required
def recruitment_step(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    membership = access_membership(viewer, pk, purpose="manage")
    form = RecruitmentStepForm(request.POST)
    if form.is_valid():
        try:
            services.recruitment_step_record(
                membership=membership,
                step=form.cleaned_data["step"],
                completed_on=form.cleaned_data["completed_on"],
                actor=viewer.user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Recruitment step recorded.")
    else:
        messages.error(
            request,
            "The step was not recorded: "
            + " ".join(
                f"{form.fields[f].label}: {' '.join(str(m) for m in e)}"
                if f in form.fields
                else " ".join(str(m) for m in e)
                for f, e in form.errors.items()
            ),
        )
    return redirect(membership.person)


@viewer_required
def application(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    membership = access_membership(viewer, pk, purpose="view")
    existing = Application.objects.filter(membership=membership).first()
    form = ApplicationForm(request.POST or None, instance=existing)
    if request.method == "POST" and form.is_valid():
        answers = {f: form.cleaned_data[f] for f in form.Meta.fields}
        services.application_submit(membership=membership, actor=viewer.user, answers=answers)
        messages.success(request, "Application saved.")
        return redirect(membership.person)
    return render(
        request,
        "people/form.html",
        {
            "form": form,
            "person": membership.person,
            "title": f"Application to mentor in {membership.scheme.name}",
            "intro": "Tell us about yourself. Your coordinator reads this before the "
            "awareness session and interview.",
        },
    )


@viewer_required
def training_add(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    person = access_person(viewer, pk, purpose="manage")
    form = TrainingForm(request.POST or None, initial={"completed_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.training_record_add(person=person, actor=viewer.user, **form.cleaned_data)
        except ValidationError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, "Training recorded.")
            return redirect(person)
    return render(
        request,
        "people/form.html",
        {"form": form, "title": f"Record training for {person.full_name}", "person": person},
    )


@require_POST
@viewer_required
def training_delete(request: HttpRequest, viewer: Viewer, pk: int, record_id: int) -> HttpResponse:
    person = access_person(viewer, pk, purpose="manage")
    record = TrainingRecord.objects.filter(person=person, pk=record_id).first()
    if record is None:
        raise Http404
    services.training_record_delete(record=record, actor=viewer.user)
    messages.success(request, "Training record removed.")
    return redirect(person)


@require_POST
@viewer_required
def two_factor_reset(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """Organisation admins only: a coordinator must not be able to weaken someone's sign-in."""
    if not viewer.is_admin:
        raise Http404
    person = access_person(viewer, pk, purpose="manage")
    try:
        services.person_two_factor_reset(person=person, actor=viewer.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"Two-factor sign-in of {person.full_name} reset; they were told by e-mail."
        )
    return redirect(person)


@require_POST
@viewer_required
def invite(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    person = access_person(viewer, pk, purpose="manage")
    try:
        services.invitation_create(person=person, actor=viewer.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"Invitation sent to {person.email}.")
    return redirect(person)


def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding the link: the token is the credential."""
    invitation = services.invitation_find(token)
    if invitation is None:
        return render(request, "people/invitation_invalid.html", status=404)
    problem = services.invitation_problem(invitation)
    if problem is not None:
        return render(request, "people/invitation_invalid.html", {"problem": problem}, status=410)
    form = InvitationAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.invitation_accept(
                invitation=invitation, password=form.cleaned_data["password1"]
            )
        except ValidationError as exc:
            if getattr(exc, "code", None) == "invitation":
                # Used or replaced while this page was open.
                context = {"problem": exc.messages[0]}
                return render(request, "people/invitation_invalid.html", context, status=410)
            if hasattr(exc, "error_dict"):
                form.add_error("password1", exc.error_dict["password"])
            else:
                form.add_error(None, exc.messages)
            mark_invalid_fields(form)
        else:
            sign_in_with_new_password(request, user)
            messages.success(request, "Welcome to PeerCircle. Your account is ready.")
            return redirect("web:home")
    return render(
        request, "people/invitation_accept.html", {"form": form, "invitation": invitation}
    )
