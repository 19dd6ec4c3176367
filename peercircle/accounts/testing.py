"""Helpers for tests that sign in for real: the code an authenticator app would show."""

from __future__ import annotations

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value

# A code computed in the last seconds of its period may expire before the server checks it.
_SAFETY_SECONDS = 3.0


def totp_code(secret: str) -> str:
    """The six digits an authenticator app holding ``secret`` shows now (RFC 6238)."""
    period = app_settings.TOTP_PERIOD
    left = period - time.time() % period
    if left < _SAFETY_SECONDS:
        time.sleep(left + 0.1)
    return str(format_hotp_value(hotp_value(secret, int(time.time()) // period)))
