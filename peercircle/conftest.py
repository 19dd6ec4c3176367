"""The named test cast (healthchecks' Alice/Bob/Charlie, here for a fostering service).

In the Tri-Borough organisation, in the mentoring scheme "Carer mentoring":
- Cora, coordinator;  Sam, supervising social worker (supervises Mia);
- Mo, mentor;  Mia, mentee;
- Oz, in the same organisation but in no scheme: Oz sees nothing but themselves;
- Ada is the organisation's admin;
- Olga coordinates a scheme with the same slug in another organisation, Northshire: she must
  never see anything of Tri-Borough.
Coordinators and supervisors have two-factor set up, as the organisation requires.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.cache import cache
from django.test import Client

from peercircle.accounts.models import User
from peercircle.organisations.models import Organisation
from peercircle.organisations.tenancy import scopes_disabled
from peercircle.people import services as people_services
from peercircle.people.models import Membership, Person
from peercircle.schemes.choices import Role, SchemeType, Status
from peercircle.schemes.models import Scheme
from peercircle.schemes.services import scheme_create


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Login throttles and TOTP replay guards live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _no_scope_in_test_bodies(request: pytest.FixtureRequest) -> Iterator[None]:
    """Test bodies may read any organisation's rows to make assertions.

    Requests made through the test client still run inside the real per-request scope, and
    tests marked ``tenant_scoping`` run with no scope at all, to prove unscoped queries fail.
    """
    if request.node.get_closest_marker("tenant_scoping"):
        yield
        return
    with scopes_disabled():
        yield


def make_person(
    org: Organisation,
    given: str,
    *,
    email: str | None = None,
    two_factor: bool = False,
    **fields: Any,
) -> Person:
    email = email or f"{given.lower()}@{org.slug}.example"
    person = people_services.person_create(
        organisation=org,
        actor=None,
        data={"given_name": given, "family_name": "Example", "email": email, **fields},
    )
    user = User.objects.create_user(email, "correct horse battery staple")
    person.user = user
    person.save(update_fields=["user"])
    if two_factor:
        TOTP.activate(user, generate_totp_secret())
    return person


def join(person: Person, scheme: Scheme, role: str, status: str = Status.ACTIVE) -> Membership:
    return people_services.membership_add(
        person=person, scheme=scheme, role=role, status=status, actor=None
    )


@dataclass
class Cast:
    org: Organisation
    other_org: Organisation
    scheme: Scheme
    other_scheme: Scheme
    cora: Person
    sam: Person
    mo: Person
    mia: Person
    oz: Person
    olga: Person
    ada: Person

    def everyone(self) -> dict[str, Person]:
        return {n: getattr(self, n) for n in CAST_NAMES}


CAST_NAMES = ("ada", "cora", "sam", "mo", "mia", "oz", "olga")


@pytest.fixture
def cast(db: None) -> Cast:
    with scopes_disabled():
        org = Organisation.objects.create(name="Tri-Borough Fostering", slug="tri-borough")
        other = Organisation.objects.create(name="Northshire Fostering", slug="northshire")
        scheme = scheme_create(
            organisation=org,
            name="Carer mentoring",
            scheme_type=SchemeType.MENTORING,
            actor=None,
            slug="mentoring",
        )
        other_scheme = scheme_create(
            organisation=other,
            name="Northshire mentoring",
            scheme_type=SchemeType.MENTORING,
            actor=None,
            slug="mentoring",
        )
        cora = make_person(org, "Cora", two_factor=True)
        sam = make_person(org, "Sam", two_factor=True)
        mo = make_person(
            org,
            "Mo",
            category="mainstream",
            approved_on=date(2015, 3, 1),
            active_experience_months=96,
            languages=["English", "Polish"],
        )
        mia = make_person(
            org, "Mia", category="mainstream", supervisor=sam, approved_on=date(2025, 9, 1)
        )
        oz = make_person(org, "Oz")
        olga = make_person(other, "Olga", two_factor=True)
        ada = make_person(org, "Ada", two_factor=True, is_org_admin=True)
        join(cora, scheme, Role.COORDINATOR)
        join(sam, scheme, Role.SUPERVISOR)
        join(mo, scheme, Role.MENTOR)
        join(mia, scheme, Role.MENTEE)
        join(olga, other_scheme, Role.COORDINATOR)
    return Cast(org, other, scheme, other_scheme, cora, sam, mo, mia, oz, olga, ada)


@pytest.fixture
def client_for(db: None) -> Callable[[Person], Client]:
    def make(person: Person) -> Client:
        client = Client()
        assert person.user is not None
        client.force_login(person.user)
        return client

    return make
