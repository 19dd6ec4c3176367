"""A small mentoring scheme around the cast: people in London with the attributes matching reads.

Mo mentors near Mia; Nia (mentee) speaks only Tigrinya, which no mentor speaks, so she is left
unmatched with a reason; Tom is a second mentor.
"""

from __future__ import annotations

from typing import Any

from peercircle.conftest import Cast, join, make_person
from peercircle.people import services as people_services
from peercircle.people.models import Person
from peercircle.schemes.choices import Role

LONDON: dict[str, Any] = {"latitude": 51.5072, "longitude": -0.1276}
NEAR: dict[str, Any] = {"latitude": 51.52, "longitude": -0.10}  # about 1.4 miles from LONDON
FAR: dict[str, Any] = {"latitude": 52.2053, "longitude": 0.1218}  # Cambridge, about 50 miles away


def place(person: Person, **fields: Any) -> Person:
    for key, value in fields.items():
        setattr(person, key, value)
    person.save()
    return person


def mentoring_world(cast: Cast) -> dict[str, Person]:
    """Mia and Nia wait; Mo and Tom mentor. Mia fits Mo best (teenagers, close by)."""
    place(cast.mia, languages=["English"], work_types=["teenagers"], **LONDON)
    place(
        cast.mo,
        languages=["English", "Polish"],
        work_types=["teenagers", "respite"],
        **NEAR,
    )
    nia = make_person(cast.org, "Nia", supervisor=cast.sam, languages=["Tigrinya"], **LONDON)
    join(nia, cast.scheme, Role.MENTEE)
    tom = make_person(
        cast.org,
        "Tom",
        category="mainstream",
        approved_on=cast.mo.approved_on,
        active_experience_months=60,
        languages=["English"],
        **NEAR,
    )
    join(tom, cast.scheme, Role.MENTOR)
    return {"mia": cast.mia, "nia": nia, "mo": cast.mo, "tom": tom}


def set_sensitive(person: Person, **changes: Any) -> None:
    people_services.sensitive_update(person=person, actor=None, changes=changes)
