"""Who must sign in with two factors: the organisation decides, per role."""

from __future__ import annotations

from allauth.mfa.models import Authenticator

from peercircle.accounts.models import User
from peercircle.people.viewer import Viewer


def two_factor_required(viewer: Viewer) -> bool:
    """Whether any of ``viewer``'s roles is one the organisation requires two factors for."""
    return bool(viewer.effective_roles() & set(viewer.organisation.two_factor_roles))


def has_totp(user: User) -> bool:
    return bool(Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists())
