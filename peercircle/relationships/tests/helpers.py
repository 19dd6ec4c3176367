"""Shared set-up for the relationship tests: relationships between the named cast."""

from __future__ import annotations

import html

from django.http.response import HttpResponseBase

from peercircle.conftest import Cast, join, make_person
from peercircle.people.models import Person
from peercircle.relationships import services
from peercircle.relationships.choices import EndReason, Purpose, Side, Status
from peercircle.relationships.models import Relationship
from peercircle.schemes.choices import Role


def mentoring(
    cast: Cast, mentor: Person | None = None, mentee: Person | None = None
) -> Relationship:
    """Mo mentors Mia (or the given pair) in the cast's scheme."""
    return services.relationship_create(
        scheme=cast.scheme,
        members=[(mentor or cast.mo, Side.MENTOR), (mentee or cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=cast.cora.user,
    )


def in_state(cast: Cast, status: str) -> Relationship:
    """Mo and Mia's relationship, moved to ``status``."""
    relationship = services.relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=cast.cora.user,
        status=Status.PROPOSED if status == Status.PROPOSED else Status.ACTIVE,
    )
    if status in (Status.SUSPENDED, Status.ENDING):
        services.relationship_transition(
            relationship=relationship,
            to_status=status,
            actor=None,
            expected_version=relationship.version,
        )
    elif status == Status.ENDED:
        services.relationship_end(
            relationship=relationship,
            reason=EndReason.GOALS_MET,
            actor=None,
            expected_version=relationship.version,
        )
    relationship.refresh_from_db()
    return relationship


def new_mentee(cast: Cast, name: str) -> Person:
    person = make_person(cast.org, name)
    join(person, cast.scheme, Role.MENTEE)
    return person


def new_mentor(cast: Cast, name: str, **fields: object) -> Person:
    person = make_person(cast.org, name, **fields)  # type: ignore[arg-type]
    join(person, cast.scheme, Role.MENTOR)
    return person


def text_of(response: HttpResponseBase) -> str:
    """A response's HTML with entities decoded, so messages read as written."""
    return html.unescape(getattr(response, "content", b"").decode())
