from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from peercircle.accounts.twofactor import has_totp, two_factor_required
from peercircle.organisations.tenancy import organisation_scope
from peercircle.people.viewer import viewer_for_user

# Paths a person who still has to set up two-factor may use.
_OPEN_PREFIXES = ("/accounts/", "/static/", "/healthz", "/invite/")


class ViewerMiddleware:
    """Load the signed-in person once and scope every query of the request to their organisation."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        viewer = viewer_for_user(request.user) if request.user.is_authenticated else None
        request.viewer = viewer  # type: ignore[attr-defined]
        with organisation_scope(viewer.organisation if viewer else None):
            return self.get_response(request)


class RequireTwoFactorMiddleware:
    """Send people whose role requires two-factor sign-in to set it up before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        viewer = getattr(request, "viewer", None)
        if (
            viewer is not None
            and not request.path.startswith(_OPEN_PREFIXES)
            and two_factor_required(viewer)
            and not has_totp(request.user)  # type: ignore[arg-type]
        ):
            target = reverse("mfa_activate_totp")
            if getattr(request, "htmx", False):
                # htmx would swap the set-up page into a fragment; send the whole page there.
                return HttpResponseClientRedirect(target)
            return HttpResponseRedirect(target)
        return self.get_response(request)
