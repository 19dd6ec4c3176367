"""``peercircle demo``: build a demo organisation (60 people), or a large one for scale work."""

from __future__ import annotations

from argparse import ArgumentParser, BooleanOptionalAction
from typing import Any

import structlog
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from peercircle.ops.demo import DEMO_PASSWORD, DemoError, DemoResult, build_demo
from peercircle.ops.demo.plan import DEFAULT_PEOPLE, DEFAULT_SEED, MAX_PEOPLE, MIN_PEOPLE

log = structlog.get_logger("peercircle.demo")


def login_lines(result: DemoResult, site_url: str) -> list[str]:
    """What to tell a person about signing in to the demo (shared with ``peercircle start``)."""
    org = result.organisation
    width = max(len(label) for label, _ in result.logins)
    lines = [f"Sign in at {site_url}/ as any of these, all with the password {DEMO_PASSWORD}:"]
    lines += [f"  {label.ljust(width)}  {email}" for label, email in result.logins]
    if org.two_factor_roles:
        roles = [f"{r}s" for r in org.two_factor_roles]
        named = ", ".join(roles[:-1]) + " and " + roles[-1] if len(roles) > 1 else roles[0]
        lines += [
            f"Like a real organisation, the demo requires two-factor sign-in for {named}:",
            "they are asked to set up an authenticator app when they first sign in. Other logins",
            "go straight in. To try it without: peercircle demo --no-two-factor --slug demo2",
        ]
    return lines


class Command(BaseCommand):
    help = (
        f"Build a demo organisation with all four scheme templates filled in ({DEFAULT_PEOPLE} "
        "people by default; the same seed always gives the same people). Running it again "
        "changes nothing unless --replace is given."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--people",
            type=int,
            default=DEFAULT_PEOPLE,
            help=f"How many people ({MIN_PEOPLE} to {MAX_PEOPLE:,}; default {DEFAULT_PEOPLE}). "
            "More than 1,000 are written in bulk, for scale work.",
        )
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="Random seed.")
        parser.add_argument(
            "--slug",
            default="",
            help="The organisation's short name (default tri-borough, or scale-N for N people).",
        )
        parser.add_argument(
            "--two-factor",
            action=BooleanOptionalAction,
            default=True,
            help="Require two-factor sign-in for admins, coordinators and supervisors "
            "(the default, as in a real organisation).",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the demo organisation with this slug, and its sign-in accounts, first.",
        )

    def handle(
        self,
        *args: Any,
        people: int,
        seed: int,
        slug: str,
        two_factor: bool,
        replace: bool,
        **options: Any,
    ) -> None:
        if not MIN_PEOPLE <= people <= MAX_PEOPLE:
            raise CommandError(
                f"--people {people} is out of range: choose {MIN_PEOPLE} to {MAX_PEOPLE:,} "
                "(a smaller demo could not fill all four schemes).",
                returncode=2,
            )
        if seed < 0:
            raise CommandError(f"--seed {seed}: use a whole number of 0 or more.", returncode=2)
        if slug and not slug.replace("-", "").isalnum():
            raise CommandError(
                f"--slug {slug!r}: use lower-case letters, digits and hyphens only.", returncode=2
            )
        if people > 1000:
            self.stdout.write(f"Building {people:,} people in bulk; this takes a minute or two...")
        try:
            result = build_demo(
                people=people, seed=seed, two_factor=two_factor, slug=slug.lower(), replace=replace
            )
        except DemoError as exc:
            raise CommandError(str(exc), returncode=2) from None
        org = result.organisation
        if result.created:
            log.info(
                "demo.built",
                organisation=org.slug,
                seconds=round(result.seconds, 1),
                **{k.replace(" ", "_"): v for k, v in result.plan.counts().items()},
            )
            counts = ", ".join(f"{v:,} {k}" for k, v in result.plan.counts().items())
            self.stdout.write(
                f'Built "{org.name}" (slug {org.slug}): {counts}, in '
                f"{len(result.plan.schemes)} schemes, in {result.seconds:.1f} s."
            )
        else:
            self.stdout.write(
                f'"{org.name}" (slug {org.slug}) exists already; nothing changed. '
                "Use --replace to build it again."
            )
        for line in login_lines(result, settings.SITE_URL):
            self.stdout.write(line)
