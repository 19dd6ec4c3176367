"""Encryption of confidential text at rest (records, agreements, concern notes).

Keys come from ``PEERCIRCLE_ENCRYPTION_KEYS`` (or ``PEERCIRCLE_ENCRYPTION_KEYS_FILE``): a comma
separated list of Fernet keys, newest first. New text is always encrypted with the first key;
older keys still decrypt, so a key can be replaced without downtime:

1. put a new key first in the list and restart;
2. run ``peercircle rotate-keys`` to re-encrypt every stored value with it;
3. remove the old key.

In the embedded mode a key is generated once into the data directory. Production refuses to start
without keys (settings), so confidential text is never written unencrypted.
"""

from __future__ import annotations

import functools
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Stored values start with this marker, so a raw database row is recognisably ciphertext.
PREFIX = "enc1:"


def new_key() -> str:
    return Fernet.generate_key().decode()


@functools.cache
def _fernet() -> MultiFernet:
    keys = [k.strip() for k in settings.ENCRYPTION_KEYS if k.strip()]
    if not keys:
        raise ImproperlyConfigured(
            "No encryption keys: set PEERCIRCLE_ENCRYPTION_KEYS (see docs/operations.md)."
        )
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "PEERCIRCLE_ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe "
            "base64-encoded bytes). Create one with: peercircle new-encryption-key"
        ) from exc


def reset_keys() -> None:
    """Forget the loaded keys (after settings change, in tests and key rotation)."""
    _fernet.cache_clear()


def encrypt(text: str) -> str:
    return PREFIX + _fernet().encrypt(text.encode("utf-8")).decode("ascii")


class DecryptionError(RuntimeError):
    """Stored text that none of the configured keys opens: a key was removed too early."""


def decrypt(stored: str) -> str:
    if not stored.startswith(PREFIX):
        raise DecryptionError("Stored value is not PeerCircle ciphertext.")
    try:
        return _fernet().decrypt(stored[len(PREFIX) :].encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise DecryptionError(
            "None of the configured encryption keys opens this value. Was a key removed before "
            "`peercircle rotate-keys` finished?"
        ) from None


def rotate(stored: str) -> str:
    """The same plaintext, re-encrypted with the newest key."""
    if not stored.startswith(PREFIX):
        raise DecryptionError("Stored value is not PeerCircle ciphertext.")
    token = _fernet().rotate(stored[len(PREFIX) :].encode("ascii"))
    return PREFIX + token.decode("ascii")


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text stored encrypted; Python code sees plain ``str``.

    Encrypted values cannot be searched or filtered in the database, by design: record text
    never appears in search results.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))


def encrypted_fields(model: type[models.Model]) -> list[str]:
    return [f.attname for f in model._meta.get_fields() if isinstance(f, EncryptedTextField)]
