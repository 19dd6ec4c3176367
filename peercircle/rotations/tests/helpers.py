"""A mutual peer scheme for the test cast: Cora coordinates it; peers are added as needed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import combinations

from peercircle.conftest import Cast, join
from peercircle.people import services as people_services
from peercircle.people.models import Person
from peercircle.relationships import services as relationships
from peercircle.relationships.choices import Purpose, Side
from peercircle.relationships.models import Relationship
from peercircle.rotations.models import RotationRound
from peercircle.schemes.choices import Role, SchemeType
from peercircle.schemes.models import Scheme
from peercircle.schemes.services import scheme_create

# Working hours that make some pairs clearly fit better than others.
HOURS = [
    [[d, 9, 17] for d in range(5)],
    [[d, 9, 13] for d in range(5)],
    [[d, 13, 17] for d in range(5)],
    [[d, 8, 16] for d in range(3)],
    [[d, 10, 18] for d in range(2, 5)],
    [[5, 9, 17], [6, 9, 17]],
]


def rotation_scheme(cast: Cast, slug: str = "peers") -> Scheme:
    scheme = scheme_create(
        organisation=cast.org,
        name="Staff peers",
        scheme_type=SchemeType.ROTATION,
        actor=None,
        slug=slug,
    )
    join(cast.cora, scheme, Role.COORDINATOR)
    return scheme


def add_peers(
    cast: Cast, scheme: Scheme, count: int, *, probation: int = 0, prefix: str = "Peer"
) -> list[Person]:
    people = []
    for k in range(count):
        person = people_services.person_create(
            organisation=cast.org,
            actor=None,
            data={
                "given_name": f"{prefix}{k:02d}",
                "family_name": "Example",
                "email": f"{prefix.lower()}{k}@staff.example",
                "working_hours": HOURS[k % len(HOURS)],
                "on_probation": k >= count - probation,
            },
        )
        join(person, scheme, Role.PEER)
        people.append(person)
    return people


def pair(
    scheme: Scheme, a: Person, b: Person, started_on: date, *, support: bool = False
) -> Relationship:
    """A pair made by hand (or imported) before any rotation in PeerCircle."""
    members = (
        [(a, Side.SUPPORTER), (b, Side.SUPPORTED)] if support else [(a, Side.PEER), (b, Side.PEER)]
    )
    return relationships.relationship_create(
        scheme=scheme,
        members=members,
        purpose=Purpose.PROBATION if support else Purpose.PEER,
        actor=None,
        started_on=started_on,
    )


def links(
    rotation_round: RotationRound, kinds: Sequence[str] = ("mutual", "trio")
) -> set[frozenset[int]]:
    return {
        frozenset((p.person_a_id, p.person_b_id))
        for p in rotation_round.pairs.filter(kind__in=kinds)
    }


def all_pairs(people: Sequence[Person]) -> set[frozenset[int]]:
    return {frozenset((a.pk, b.pk)) for a, b in combinations(people, 2)}
