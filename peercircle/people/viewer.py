"""Who is asking: the signed-in person and the roles they hold, loaded once per request."""

from __future__ import annotations

from dataclasses import dataclass

from peercircle.accounts.models import User
from peercircle.notifications.selectors import unread_count_subquery
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.people.models import Membership, Person
from peercircle.schemes.choices import Role, Status

# Roles that let a person run a scheme: see its people and change its settings.
MANAGING_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# A suspended or departed coordinator keeps no access.
INACTIVE = (Status.LEFT, Status.SUSPENDED)


@dataclass(frozen=True)
class Viewer:
    person: Person
    is_admin: bool
    manages: frozenset[int]  # scheme ids the person coordinates
    supervises_in: frozenset[int]  # scheme ids where the person is a supervisor
    member_of: frozenset[int]  # scheme ids where the person holds any current role
    roles: frozenset[str]

    @property
    def organisation(self) -> Organisation:
        return self.person.organisation

    @property
    def user(self) -> User | None:
        return self.person.user

    @property
    def is_coordinator(self) -> bool:
        return self.is_admin or bool(self.manages)

    def effective_roles(self) -> frozenset[str]:
        """Roles for organisation-wide rules such as "two-factor for coordinators"."""
        return self.roles | ({"admin"} if self.is_admin else frozenset())


def viewer_for_person(person: Person) -> Viewer:
    with organisation_scope(person.organisation):
        rows = list(
            Membership.objects.filter(person=person)
            .exclude(status__in=INACTIVE)
            .values_list("scheme_id", "role")
        )
    return Viewer(
        person=person,
        is_admin=person.is_org_admin,
        manages=frozenset(s for s, r in rows if r in MANAGING_ROLES),
        supervises_in=frozenset(s for s, r in rows if r == Role.SUPERVISOR),
        member_of=frozenset(s for s, _ in rows),
        roles=frozenset(r for _, r in rows),
    )


def viewer_for_user(user: User) -> Viewer | None:
    # The person row tells us the organisation, so it is read before any scope exists.
    with scopes_disabled():
        person = (
            Person.objects.select_related("organisation", "user")
            # The header's unread count rides along, so no page pays a query for it.
            .annotate(unread_notifications=unread_count_subquery())
            .filter(user=user)
            .first()
        )
    if person is None:
        return None
    return viewer_for_person(person)
