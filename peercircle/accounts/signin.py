"""Signing someone in outside allauth's own login form (an accepted invitation)."""

from __future__ import annotations

from allauth.account.internal.flows.login import record_authentication
from django.contrib.auth import login
from django.http import HttpRequest

from peercircle.accounts.models import User


def sign_in_with_new_password(request: HttpRequest, user: User) -> None:
    """Sign in ``user``, who has just chosen their password, as if they had typed it to log in.

    The sign-in is also written to allauth's record of how this session authenticated, so the
    pages that ask for a recent password (setting up two-factor) accept it, as after a normal
    sign-in, instead of asking for the password a second time.
    """
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    record_authentication(request, user, method="password", email=user.email)
