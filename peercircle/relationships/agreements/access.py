"""Access gates for agreements and confidentiality statements. Refusals are "not found".

- **read** (the agreement, its versions, the printable copy, the statements): the parties,
  former ones included, the scheme's coordinators and organisation admins. Supervisors do not
  read agreements: the parties wrote them for each other.
- **edit** (write a new version): a party while the relationship works (active or ending); a
  coordinator or admin, filling it in with the parties, until the relationship ends.
- **accept** (accept a version, sign the confidentiality statement): a party, only while the
  relationship works. Nobody accepts for someone else.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404

from peercircle.people.viewer import Viewer
from peercircle.relationships.access import can_access_relationship, is_participant
from peercircle.relationships.choices import Status
from peercircle.relationships.models import Relationship

AgreementPurpose = Literal["read", "edit", "accept"]


def manages_relationship(viewer: Viewer, relationship: Relationship) -> bool:
    return viewer.is_admin or relationship.scheme_id in viewer.manages


def can_access_agreement(
    viewer: Viewer, relationship: Relationship, purpose: AgreementPurpose
) -> bool:
    if purpose == "accept":
        return can_access_relationship(viewer, relationship, "work")
    if purpose == "edit":
        if relationship.status == Status.ENDED:
            return False
        if manages_relationship(viewer, relationship):
            return True
        return can_access_relationship(viewer, relationship, "work")
    if manages_relationship(viewer, relationship):
        return True
    return is_participant(viewer, relationship)


def access_agreement(
    viewer: Viewer, relationship_id: int, *, purpose: AgreementPurpose
) -> Relationship:
    """The relationship whose agreement ``viewer`` may use for ``purpose``; otherwise 404."""
    relationship = Relationship.objects.select_related("scheme").filter(pk=relationship_id).first()
    if relationship is None or not can_access_agreement(viewer, relationship, purpose):
        raise Http404("No such agreement.")
    return relationship
