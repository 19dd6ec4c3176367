"""Access gates for disagreements, exit feedback and asking for a different supporter.
Refusals are "not found".

- **disagreement record**: a party, or a coordinator or admin of the scheme, until the
  relationship ends.
- **disagreement read** (its description and outcome): the parties and the scheme's
  coordinators and admins.
- **disagreement manage** (arrange the three-way meeting, record the outcome): the scheme's
  coordinators and admins.
- **feedback give**: a party, once the relationship is ending or has ended.
- **change** (ask for a different supporter): a party, at any time until the relationship ends:
  taking part is voluntary.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404

from peercircle.people.viewer import Viewer
from peercircle.relationships.access import is_participant
from peercircle.relationships.agreements.access import manages_relationship
from peercircle.relationships.choices import Status
from peercircle.relationships.endings.models import Disagreement
from peercircle.relationships.models import Relationship

EndingPurpose = Literal["disagreement", "feedback", "change"]
DisagreementPurpose = Literal["read", "manage"]


def can_access_ending(viewer: Viewer, relationship: Relationship, purpose: EndingPurpose) -> bool:
    if purpose == "feedback":
        if relationship.status not in (Status.ENDING, Status.ENDED):
            return False
        return is_participant(viewer, relationship)
    if relationship.status == Status.ENDED:
        return False
    if purpose == "disagreement" and manages_relationship(viewer, relationship):
        return True
    return is_participant(viewer, relationship)


def access_ending(viewer: Viewer, relationship_id: int, *, purpose: EndingPurpose) -> Relationship:
    """The relationship if ``viewer`` may use it for ``purpose``; otherwise 404."""
    relationship = Relationship.objects.select_related("scheme").filter(pk=relationship_id).first()
    if relationship is None or not can_access_ending(viewer, relationship, purpose):
        raise Http404("No such relationship.")
    return relationship


def access_disagreement(
    viewer: Viewer, disagreement_id: int, *, purpose: DisagreementPurpose
) -> Disagreement:
    disagreement = (
        Disagreement.objects.select_related("relationship__scheme", "raised_by")
        .filter(pk=disagreement_id)
        .first()
    )
    if disagreement is None:
        raise Http404("No such disagreement.")
    relationship = disagreement.relationship
    if manages_relationship(viewer, relationship):
        return disagreement
    if purpose == "read" and is_participant(viewer, relationship):
        return disagreement
    raise Http404("No such disagreement.")
