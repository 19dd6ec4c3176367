"""Access gates for people and memberships (zulip's ``access_*`` functions).

Every view, import, export and command reads a Person or Membership through these functions. Each
condition sits on its own line so coverage shows every branch is tested. A refusal is "not
found", never "forbidden", so nobody learns that a person exists.

Who may see a person:
- the person themselves;
- an organisation admin;
- a coordinator of any scheme the person belongs to;
- the person's supervising social worker (profile only, not sensitive attributes).
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from peercircle.people.models import Membership, Person, SensitiveProfile
from peercircle.people.viewer import Viewer

PersonPurpose = Literal["view", "manage", "sensitive"]


def _coordinates_person(viewer: Viewer, person: Person) -> bool:
    if not viewer.manages:
        return False
    return Membership.objects.filter(person=person, scheme_id__in=viewer.manages).exists()


def can_access_person(viewer: Viewer, person: Person, purpose: PersonPurpose) -> bool:
    if viewer.is_admin:
        return True
    if purpose == "manage":
        return _coordinates_person(viewer, person)
    if person.pk == viewer.person.pk:
        return True
    if purpose == "view" and person.supervisor_id == viewer.person.pk:
        return True
    return _coordinates_person(viewer, person)


def access_person(viewer: Viewer, person_id: int, *, purpose: PersonPurpose) -> Person:
    """The person ``person_id`` if ``viewer`` may use them for ``purpose``; otherwise 404."""
    person = Person.objects.select_related("supervisor").filter(pk=person_id).first()
    if person is None or not can_access_person(viewer, person, purpose):
        raise Http404("No such person.")
    return person


def access_sensitive_profile(viewer: Viewer, person: Person) -> SensitiveProfile | None:
    """The person's sensitive attributes, or None when the viewer may not see them."""
    if not can_access_person(viewer, person, "sensitive"):
        return None
    return SensitiveProfile.objects.filter(person=person).first()


def access_membership(viewer: Viewer, membership_id: int, *, purpose: PersonPurpose) -> Membership:
    """A membership the viewer may use: managing needs the scheme's coordinator or an admin."""
    membership = (
        Membership.objects.select_related("person", "scheme").filter(pk=membership_id).first()
    )
    if membership is None:
        raise Http404("No such membership.")
    if viewer.is_admin:
        return membership
    if membership.scheme_id in viewer.manages:
        return membership
    if purpose == "view" and membership.person_id == viewer.person.pk:
        return membership
    raise Http404("No such membership.")


def people_visible_to(viewer: Viewer) -> QuerySet[Person]:
    """Everyone ``viewer`` may see in lists and searches."""
    if viewer.is_admin:
        return Person.objects.all()
    visible = Q(pk=viewer.person.pk) | Q(supervisor=viewer.person)
    if viewer.manages:
        visible |= Q(
            Exists(Membership.objects.filter(person=OuterRef("pk"), scheme_id__in=viewer.manages))
        )
    return Person.objects.filter(visible)
