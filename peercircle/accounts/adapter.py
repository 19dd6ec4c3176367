"""PeerCircle's allauth rules: no self sign-up, errors in plain words, two-factor stays on."""

from __future__ import annotations

import time
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.internal.flows.login import get_authentication_records
from allauth.core import context
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.http import HttpRequest

from peercircle.accounts.twofactor import two_factor_required
from peercircle.people.viewer import viewer_for_user


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]
    """Nobody signs themselves up: accounts come from a coordinator's invitation."""

    error_messages = {
        **DefaultAccountAdapter.error_messages,
        "email_password_mismatch": (
            "The e-mail address or the password is not right. Check both and try again, or "
            "reset your password if you have forgotten it."
        ),
        "too_many_login_attempts": (
            "Signing in to this account is paused because of too many wrong passwords. Wait a "
            "few minutes and try again, or reset your password."
        ),
        "incorrect_password": "That password is not right. Type the password you sign in with.",
        "enter_current_password": (
            "That is not your current password. Type the password you signed in with."
        ),
        "invalid_password_reset": (
            "This password reset link does not work: it has been used already, or a newer "
            "link replaced it. Ask for a new link below."
        ),
        "rate_limited": "Too many tries in a short time. Wait a minute, then try again.",
        "account_inactive": "This account is switched off. Ask your organisation's admin.",
    }

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Count the sign-in itself as a fresh confirmation of the password.

        allauth asks for the password again before two-factor can be set up, even seconds after
        signing in; a coordinator who is sent straight to that page would type it twice in a
        row. A password typed in this session within the reauthentication window is as fresh
        as a reauthentication, so we accept it.
        """
        if not super().is_reauthentication_required(app=app, **kwargs):
            return False
        request = context.request
        if request is None or not request.user.is_authenticated:
            return True
        window = account_settings.REAUTHENTICATION_TIMEOUT
        records = get_authentication_records(request, request.user)
        return not any(time.time() - record.get("at", 0) < window for record in records)


class MFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "incorrect_code": (
            "That code is not right. Type the code your authenticator app shows now (it changes "
            "every 30 seconds), or one of your unused recovery codes."
        ),
        "cannot_delete_authenticator": (
            "Your organisation requires two-factor sign-in for your role, so it cannot be "
            "turned off. If you lose your phone, sign in with one of your recovery codes."
        ),
    }

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        # The middleware would send them straight back to set it up again; refuse plainly here.
        viewer = viewer_for_user(authenticator.user)
        return viewer is None or not two_factor_required(viewer)
