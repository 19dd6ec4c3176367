"""``peercircle rotate-keys``: re-encrypt every confidential value with the newest key."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from peercircle.records.keys import FieldReport, rotate_all


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (records, agreements, notes...) with the first key of "
        "PEERCIRCLE_ENCRYPTION_KEYS. Safe to run while PeerCircle is in use, and to run again. "
        "Remove an old key only after this reports nothing left to rotate and nothing "
        "unreadable."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Rows per transaction (default 500)."
        )

    def handle(self, *args: Any, batch_size: int, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.", returncode=2)

        def show(report: FieldReport) -> None:
            self.stdout.write(
                f"{report.model}.{report.field}: {report.rotated} re-encrypted, "
                f"{report.current} already current, {report.unreadable} unreadable"
            )

        reports = rotate_all(batch_size=batch_size, progress=show)
        rotated = sum(r.rotated for r in reports)
        unreadable = sum(r.unreadable for r in reports)
        self.stdout.write(
            f"Done: {rotated} value{'s' if rotated != 1 else ''} re-encrypted with the newest key "
            f"in {len(reports)} column{'s' if len(reports) != 1 else ''}."
        )
        if unreadable:
            raise CommandError(
                f"{unreadable} value{'s' if unreadable != 1 else ''} could not be opened with any "
                "configured key. Put back the key they were written with (after the newest one) "
                "and run rotate-keys again; do not remove any key until this reports none.",
                returncode=1,
            )
