"""Access gates for allegations (handbook §12). Refusals are "not found".

Only coordinators and admins ever see an allegation, and never the person it is about:

- **view** and **record**: an organisation admin, or a coordinator of a scheme the subject
  belongs to (in any role and status);
- **manage** (record the outcome, appoint a supporter): an admin, or a coordinator who runs
  every scheme in which a relationship was paused by it, because the outcome resumes or ends
  each of them.
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from peercircle.people.models import Membership, Person
from peercircle.people.viewer import Viewer
from peercircle.relationships.allegations.models import Allegation, AllegationPause

AllegationPurpose = Literal["view", "manage"]


def can_record_allegation_about(viewer: Viewer, person: Person) -> bool:
    if person.pk == viewer.person.pk:
        return False
    if viewer.is_admin:
        return True
    if not viewer.manages:
        return False
    return Membership.objects.filter(person=person, scheme_id__in=viewer.manages).exists()


def can_access_allegation(
    viewer: Viewer, allegation: Allegation, purpose: AllegationPurpose
) -> bool:
    if not can_record_allegation_about(viewer, allegation.subject):
        return False
    if purpose == "view" or viewer.is_admin:
        return True
    schemes = set(
        AllegationPause.objects.filter(allegation=allegation).values_list(
            "relationship__scheme_id", flat=True
        )
    )
    return schemes <= viewer.manages


def access_allegation(
    viewer: Viewer, allegation_id: int, *, purpose: AllegationPurpose
) -> Allegation:
    """The allegation if ``viewer`` may use it for ``purpose``; otherwise 404."""
    allegation = Allegation.objects.select_related("subject").filter(pk=allegation_id).first()
    if allegation is None or not can_access_allegation(viewer, allegation, purpose):
        raise Http404("No such allegation.")
    return allegation


def allegations_visible_to(viewer: Viewer) -> QuerySet[Allegation]:
    allegations = Allegation.objects.exclude(subject=viewer.person)
    if viewer.is_admin:
        return allegations
    if not viewer.manages:
        return Allegation.objects.none()
    return allegations.filter(
        Exists(Membership.objects.filter(person=OuterRef("subject"), scheme_id__in=viewer.manages))
    )
