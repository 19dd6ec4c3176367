"""The organisation's own settings page (admins only)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from peercircle.organisations import services
from peercircle.organisations.access import access_organisation_settings
from peercircle.organisations.forms import OrganisationSettingsForm
from peercircle.people.viewer import Viewer
from peercircle.web.decorators import viewer_required


@viewer_required
def organisation_settings(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    organisation = access_organisation_settings(viewer)
    initial = {f: getattr(organisation, f) for f in services.SETTING_FIELDS}
    form = OrganisationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.organisation_update_settings(
                organisation=organisation, actor=viewer.user, changes=dict(form.cleaned_data)
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, "Organisation settings saved.")
            return redirect("organisations:settings")
    return render(
        request, "organisations/settings.html", {"form": form, "organisation": organisation}
    )
