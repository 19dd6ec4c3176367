"""``peercircle new-encryption-key``: print a fresh key for PEERCIRCLE_ENCRYPTION_KEYS."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from peercircle.lib.crypto import new_key


class Command(BaseCommand):
    help = (
        "Print a new random encryption key. Put it first in PEERCIRCLE_ENCRYPTION_KEYS "
        "(comma separated, newest first), restart, then run rotate-keys."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(new_key())
