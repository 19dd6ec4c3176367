"""``peercircle import FILE --organisation SLUG [--dry-run]``: the operator's spreadsheet import.

The same check and the same all-or-nothing import as the import page, with an organisation
admin's reach (every scheme of the organisation). Exit code 2 means the file has problems and
nothing was imported.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from peercircle.organisations.models import Organisation
from peercircle.people.import_format import FileProblem, check_size
from peercircle.people.importer import ImportAuthority, ImportReport, Problem, import_people

BAD_FILE = 2


class Command(BaseCommand):
    help = (
        "Import people and their scheme roles from a CSV or Excel (.xlsx) file. Every line is "
        "checked first; if any has a problem, nothing is imported. See docs/import.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The .csv or .xlsx file to import.")
        parser.add_argument(
            "--organisation", required=True, help="The organisation's short name (slug)."
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and report what would change, but import nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        slug = options["organisation"]
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            known = ", ".join(Organisation.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"There is no organisation '{slug}'. The organisations are: {known or 'none'}."
            )
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"There is no file {path}. Check the path.")
        try:
            check_size(path.stat().st_size)  # before reading a file too big to hold
        except FileProblem as exc:
            report = ImportReport(path.name, options["dry_run"], [Problem(0, "", str(exc))])
        else:
            report = import_people(
                authority=ImportAuthority.of_operator(organisation),
                data=path.read_bytes(),
                filename=path.name,
                dry_run=options["dry_run"],
            )
        for line in report.text_lines():
            self.stdout.write(line)
        if not report.ok:
            raise CommandError("Nothing was imported.", returncode=BAD_FILE)
