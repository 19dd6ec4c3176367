"""Operator actions that span apps: setting up a new organisation with its first admin."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction

from peercircle.accounts.models import User
from peercircle.audit.services import audit_record
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.people import services as people_services
from peercircle.people.models import Person


@dataclass(frozen=True)
class NewOrganisation:
    organisation: Organisation
    admin: Person
    invitation_token: str | None  # None when the admin's password was set directly


def _split_name(full_name: str) -> tuple[str, str]:
    parts = full_name.split()
    if not parts:
        # A placeholder the admin replaces on their own page.
        return "Organisation", "Admin"
    return parts[0], " ".join(parts[1:])


@transaction.atomic(durable=True)
def organisation_create_with_admin(
    *,
    name: str,
    slug: str,
    admin_email: str,
    admin_name: str = "",
    password: str | None = None,
) -> NewOrganisation:
    """A new organisation and its first admin, who either gets ``password`` or an invitation.

    Refuses, changing nothing, when the slug or the admin's e-mail address is taken.
    """
    name, slug, admin_email = name.strip(), slug.strip(), admin_email.strip().lower()
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = "Give the organisation a name, e.g. --name 'Northshire Fostering'."
    try:
        validate_slug(slug)
    except ValidationError:
        problems["slug"] = (
            f"'{slug}' cannot be a slug: use letters, digits and hyphens, e.g. northshire."
        )
    try:
        validate_email(admin_email)
    except ValidationError:
        problems["admin_email"] = f"'{admin_email}' is not an e-mail address."
    with scopes_disabled():
        clash = Organisation.objects.filter(slug=slug).first()
        # A sign-in account belongs to one person in one organisation, so an address already
        # on someone's record could never accept the invitation.
        known = (
            Person.objects.filter(email__iexact=admin_email).select_related("organisation").first()
        )
    if clash is not None:
        problems["slug"] = (
            f"The slug '{slug}' is taken by the organisation '{clash.name}': choose another."
        )
    if User.objects.filter(email__iexact=admin_email).exists():
        problems["admin_email"] = (
            f"A sign-in account for {admin_email} exists already: choose another address."
        )
    elif known is not None:
        problems["admin_email"] = (
            f"{admin_email} belongs to a person in '{known.organisation.name}': choose "
            "another address."
        )
    if password is not None and "admin_email" not in problems:
        try:
            validate_password(password, User(email=admin_email))
        except ValidationError as exc:
            problems["password"] = " ".join(exc.messages)
    if len(admin_name.split()) == 1:
        problems["admin_name"] = (
            f"Give the admin's first and last name, e.g. --admin-name '{admin_name} Shah'."
        )
    if problems:
        raise ValidationError(problems)

    organisation = Organisation.objects.create(name=name, slug=slug)
    given, family = _split_name(admin_name)
    token = None
    with organisation_scope(organisation):
        admin = people_services.person_create(
            organisation=organisation,
            actor=None,
            data={
                "given_name": given,
                "family_name": family,
                "email": admin_email,
                "is_org_admin": True,
            },
            source="command",
        )
        if password is None:
            _, token = people_services.invitation_create(person=admin, actor=None)
        else:
            admin.user = User.objects.create_user(admin_email, password)
            admin.save(update_fields=["user"])
        audit_record(
            organisation=organisation,
            actor=None,
            action="organisation.create",
            target=organisation,
            summary=f"Created the organisation with {admin_email} as its first admin",
            source="command",
        )
    return NewOrganisation(organisation, admin, token)
