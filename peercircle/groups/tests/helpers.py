"""Shared set-up for the group tests: a peer-group scheme in the cast's organisation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from peercircle.conftest import Cast, join
from peercircle.groups import services
from peercircle.groups.choices import Scope
from peercircle.groups.models import GroupFormation, PeerGroup
from peercircle.people.models import Membership, Person
from peercircle.schemes.choices import Role, SchemeType, Status
from peercircle.schemes.models import Scheme
from peercircle.schemes.services import scheme_create

PLACES = ("Leeds", "York", "Hull")


def group_scheme(cast: Cast, *, min_size: int = 4, max_size: int = 6) -> Scheme:
    """A peer-group scheme that Cora coordinates and Mo and Mia take part in as peers."""
    scheme = scheme_create(
        organisation=cast.org,
        name="Reflective practice groups",
        scheme_type=SchemeType.GROUPS,
        actor=None,
        slug="peer-groups",
    )
    Scheme.objects.filter(pk=scheme.pk).update(group_min_size=min_size, group_max_size=max_size)
    scheme.refresh_from_db()
    join(cast.cora, scheme, Role.COORDINATOR)
    join(cast.mo, scheme, Role.PEER)
    join(cast.mia, scheme, Role.PEER)
    return scheme


def add_peers(
    cast: Cast,
    scheme: Scheme,
    count: int,
    *,
    prefix: str = "Peer",
    role: str = Role.PEER,
    status: str = Status.ACTIVE,
    **fields: Any,
) -> list[Person]:
    """``count`` people in ``scheme`` made in bulk, spread over three places."""
    people = Person.objects.bulk_create(
        [
            Person(
                organisation=cast.org,
                given_name=f"{prefix}{k:04d}",
                family_name="Example",
                place=PLACES[k % len(PLACES)],
                active_experience_months=12 * (k % 10),
                **fields,
            )
            for k in range(count)
        ],
        batch_size=1000,
    )
    Membership.objects.bulk_create(
        [
            Membership(organisation=cast.org, person=p, scheme=scheme, role=role, status=status)
            for p in people
        ],
        batch_size=1000,
    )
    return people


def form(
    cast: Cast,
    scheme: Scheme,
    *,
    balance: dict[str, int] | None = None,
    scope: str = Scope.WAITING,
) -> GroupFormation:
    return services.formation_start(
        scheme=scheme,
        actor=cast.cora.user,
        scope=scope,
        balance=balance if balance is not None else {"area": 2, "role": 1},
    )


def confirmed(cast: Cast, scheme: Scheme, **kwargs: Any) -> list[PeerGroup]:
    formation = form(cast, scheme, **kwargs)
    return services.formation_confirm(formation=formation, actor=cast.cora.user)


def partition(formation: GroupFormation) -> list[list[int]]:
    return [[int(m) for m in g.members] for g in formation.groups.order_by("number")]


def ids(people: Sequence[Person]) -> set[int]:
    return {p.pk for p in people}
