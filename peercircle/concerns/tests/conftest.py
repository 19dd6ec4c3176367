from __future__ import annotations

from dataclasses import dataclass

import pytest

from peercircle.conftest import Cast
from peercircle.relationships.choices import Purpose, Side
from peercircle.relationships.models import Relationship
from peercircle.relationships.services import relationship_create


@dataclass
class FakeRecord:
    """What the records app hands to ``concern_raise_for_flags``: an id and a relationship."""

    pk: int
    relationship: Relationship


@pytest.fixture
def pair(cast: Cast) -> Relationship:
    """Mo mentors Mia."""
    return relationship_create(
        scheme=cast.scheme,
        members=[(cast.mo, Side.MENTOR), (cast.mia, Side.MENTEE)],
        purpose=Purpose.NEW_CARER,
        actor=None,
    )
