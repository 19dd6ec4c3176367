"""allauth's forms in PeerCircle's words, with errors linked to their inputs for screen readers.

allauth's fields carry placeholders that repeat the label (and vanish as you type) and HTML
lists as hints; our pages put a visible label and a one-line hint on every control instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from allauth.account import forms as account_forms
from allauth.mfa.base import forms as mfa_base_forms
from allauth.mfa.totp import forms as totp_forms
from django import forms

from peercircle.web.forms import mark_invalid_fields

# Advice shown under the field, not a password.
PASSWORD_HINT = (
    "At least 12 characters. Not a common password, not only numbers, and not like your "  # noqa: S105
    "e-mail address. A few unrelated words make a good one."
)
CODE_HINT = "The six-digit code your authenticator app shows now."


class PlainWordsMixin:
    """Relabel allauth's fields, drop placeholders and mark invalid fields (for aria)."""

    labels: ClassVar[dict[str, str]] = {}
    hints: ClassVar[dict[str, str]] = {}
    fields: dict[str, forms.Field]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs.pop("placeholder", None)
            if name in self.labels:
                field.label = self.labels[name]
            if name in self.hints:
                field.help_text = self.hints[name]

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        mark_invalid_fields(self)  # type: ignore[arg-type]


class LoginForm(PlainWordsMixin, account_forms.LoginForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {"login": "E-mail address", "password": "Password"}
    # The "forgotten your password?" link sits under the form, not inside the label's hint.
    hints: ClassVar[dict[str, str]] = {"password": ""}


class ResetPasswordForm(PlainWordsMixin, account_forms.ResetPasswordForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {"email": "E-mail address"}
    hints: ClassVar[dict[str, str]] = {"email": "The address you sign in to PeerCircle with."}


class ResetPasswordKeyForm(PlainWordsMixin, account_forms.ResetPasswordKeyForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {
        "password1": "New password",
        "password2": "Type the new password again",
    }
    hints: ClassVar[dict[str, str]] = {"password1": PASSWORD_HINT}


class ChangePasswordForm(PlainWordsMixin, account_forms.ChangePasswordForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {
        "oldpassword": "Current password",
        "password1": "New password",
        "password2": "Type the new password again",
    }
    hints: ClassVar[dict[str, str]] = {"oldpassword": "", "password1": PASSWORD_HINT}


class ReauthenticateForm(PlainWordsMixin, account_forms.ReauthenticateForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {"password": "Password"}
    hints: ClassVar[dict[str, str]] = {"password": ""}


class AuthenticateForm(PlainWordsMixin, mfa_base_forms.AuthenticateForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {"code": "Code"}
    hints: ClassVar[dict[str, str]] = {
        "code": "The six-digit code your authenticator app shows now, or one of your unused "
        "recovery codes."
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code"}
        )


class MFAReauthenticateForm(PlainWordsMixin, mfa_base_forms.ReauthenticateForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {"code": "Code"}
    hints: ClassVar[dict[str, str]] = {"code": CODE_HINT}


class ActivateTOTPForm(PlainWordsMixin, totp_forms.ActivateTOTPForm):  # type: ignore[misc]
    labels: ClassVar[dict[str, str]] = {"code": "Code from your app"}
    hints: ClassVar[dict[str, str]] = {"code": CODE_HINT}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs.update(
            {"inputmode": "numeric", "autocomplete": "one-time-code"}
        )
