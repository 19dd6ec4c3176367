"""``peercircle create-organisation``: a new organisation and its first admin."""

from __future__ import annotations

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from peercircle.ops.services import organisation_create_with_admin


class Command(BaseCommand):
    help = (
        "Create an organisation and its first admin. The admin gets a one-time invitation link "
        "to set their password, or, with --set-password, you type it here."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--name", required=True, help="e.g. 'Northshire Fostering'")
        parser.add_argument("--slug", required=True, help="Short name for addresses: northshire")
        parser.add_argument("--admin-email", required=True, help="The first admin's e-mail.")
        parser.add_argument("--admin-name", default="", help="The admin's first and last name.")
        parser.add_argument(
            "--set-password",
            action="store_true",
            help="Ask for the admin's password now instead of printing an invitation link.",
        )

    def _ask_password(self) -> str:
        if not sys.stdin.isatty():
            raise CommandError(
                "--set-password needs a terminal to type the password in. Leave it out to get "
                "an invitation link instead.",
                returncode=2,
            )
        first = getpass.getpass("Password for the admin: ")
        if getpass.getpass("The same password again: ") != first:
            raise CommandError("The two passwords differ; nothing was created.", returncode=2)
        return first

    def handle(
        self,
        *args: Any,
        name: str,
        slug: str,
        admin_email: str,
        admin_name: str,
        set_password: bool,
        **options: Any,
    ) -> None:
        password = self._ask_password() if set_password else None
        try:
            created = organisation_create_with_admin(
                name=name,
                slug=slug,
                admin_email=admin_email,
                admin_name=admin_name,
                password=password,
            )
        except ValidationError as exc:
            problems = [f"  {m}" for messages in exc.message_dict.values() for m in messages]
            raise CommandError(
                "Nothing was created:\n" + "\n".join(problems), returncode=2
            ) from None
        org, admin = created.organisation, created.admin
        self.stdout.write(f'Created "{org.name}" (slug {org.slug}) with {admin.email} as admin.')
        if created.invitation_token:
            self.stdout.write(
                f"The invitation e-mailed to {admin.email} holds this one-time link, which "
                f"works for {settings.INVITATION_DAYS} days; you may pass it on yourself:\n"
                f"  {settings.SITE_URL}/invite/{created.invitation_token}/"
            )
        else:
            self.stdout.write(f"{admin.email} can sign in at {settings.SITE_URL}/ now.")
