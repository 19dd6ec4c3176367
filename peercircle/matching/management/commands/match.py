"""``peercircle match SCHEME [--organisation SLUG]``: run the matching of a one-to-one scheme
from the command line, for runs too large to wait for in a browser.

It is the same run as the page's "Run a match": the proposal is stored as a run for the
coordinators to review, edit, send for consultation and confirm in PeerCircle. A progress bar
goes to stderr; the last line on stdout is the run's address. Exit code 2: bad input (unknown
organisation or scheme); a run that finds nothing to match still succeeds and says why.
"""

from __future__ import annotations

import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from peercircle.matching.models import MatchRun
from peercircle.matching.services import run_execute, run_start
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.schemes.models import Scheme

BAD_INPUT = 2


class _Bar:
    """One bar for the whole run, labelled with the stage, on stderr."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.bar: Any = None

    def __call__(self, stage: str, fraction: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=100, file=sys.stderr, unit="%", delay=0.5)
        self.bar.set_description(stage)
        target = int(round(min(max(fraction, 0.0), 1.0) * 100))
        if target > self.bar.n:
            self.bar.update(target - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


class Command(BaseCommand):
    help = (
        "Run the matching of a one-to-one mentoring scheme and store the proposal for review in "
        "PeerCircle. See docs/matching-in-the-app.md."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("scheme", help="The scheme's short name (slug), e.g. mentoring.")
        parser.add_argument(
            "--organisation",
            help="The organisation's short name (slug); needed when several have the scheme.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Show no progress bar on stderr."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        scheme = self._scheme(options["scheme"], options["organisation"])
        bar = _Bar(enabled=not options["no_progress"])
        with organisation_scope(scheme.organisation):
            if not scheme.is_one_to_one:
                raise CommandError(
                    f"{scheme.name} is not a one-to-one mentoring scheme: it has no matching runs.",
                    returncode=BAD_INPUT,
                )
            run = run_start(scheme=scheme, actor=None, source="command", enqueue=False)
        try:
            run = run_execute(run.pk, on_progress=bar)
        finally:
            bar.close()
        self._report(run)

    def _scheme(self, slug: str, organisation: str | None) -> Scheme:
        with scopes_disabled():
            found = Scheme.objects.select_related("organisation").filter(slug=slug)
            if organisation:
                if not Organisation.objects.filter(slug=organisation).exists():
                    known = ", ".join(
                        Organisation.objects.order_by("slug").values_list("slug", flat=True)
                    )
                    raise CommandError(
                        f"There is no organisation '{organisation}'. The organisations are: "
                        f"{known or 'none'}.",
                        returncode=BAD_INPUT,
                    )
                found = found.filter(organisation__slug=organisation)
            schemes = list(found[:2])
            if not schemes:
                where = f" in '{organisation}'" if organisation else ""
                known = ", ".join(
                    sorted(
                        set(
                            Scheme.objects.filter(scheme_type="mentoring").values_list(
                                "slug", flat=True
                            )
                        )
                    )
                )
                raise CommandError(
                    f"There is no scheme '{slug}'{where}. One-to-one schemes: {known or 'none'}.",
                    returncode=BAD_INPUT,
                )
            if len(schemes) > 1:
                raise CommandError(
                    f"Several organisations have a scheme '{slug}': add --organisation SLUG.",
                    returncode=BAD_INPUT,
                )
            return schemes[0]

    def _report(self, run: MatchRun) -> None:
        url = f"{settings.SITE_URL}{run.get_absolute_url()}"
        if run.status == MatchRun.Status.FAILED:
            self.stdout.write(run.message)
            self.stdout.write(url)
            raise CommandError("The matching could not run.", returncode=1)
        if run.message:
            self.stdout.write(f"No pairs could be proposed: {run.message}")
        else:
            s = run.summary
            self.stdout.write(
                f"Proposed {s.get('matched', 0)} pairs for {s.get('mentees', 0)} people waiting "
                f"({s.get('unmatched', 0)} left unmatched, each with the reason) in "
                f"{run.engine_seconds or 0:.1f} s of matching and {run.app_seconds or 0:.1f} s "
                "of reading and saving."
            )
        self.stdout.write(f"Review, edit and confirm it in PeerCircle: {url}")
