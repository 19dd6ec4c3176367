"""Access gates for rotations. Refusals are "not found", never "forbidden".

- **manage** (the rounds of a scheme, a round's preview, approving, publishing, cancelling):
  coordinators of the scheme and organisation admins.
- **history** (one person's peers round by round): that person, if they are in the scheme;
  coordinators of the scheme; admins.
"""

from __future__ import annotations

from django.http import Http404

from peercircle.people.models import Membership, Person
from peercircle.people.viewer import Viewer
from peercircle.rotations.models import RotationRound
from peercircle.schemes.access import access_scheme
from peercircle.schemes.models import Scheme


def access_rotation_scheme(viewer: Viewer, slug: str) -> Scheme:
    """A scheme the viewer may run rotations of (any type: the page says if it has none)."""
    return access_scheme(viewer, slug, purpose="manage")


def access_round(viewer: Viewer, slug: str, round_id: int) -> RotationRound:
    scheme = access_rotation_scheme(viewer, slug)
    rotation_round = (
        RotationRound.objects.select_related("scheme__organisation", "approved_by")
        .filter(pk=round_id, scheme=scheme)
        .first()
    )
    if rotation_round is None:
        raise Http404("No such round.")
    return rotation_round


def access_history(viewer: Viewer, slug: str, person_id: int) -> tuple[Scheme, Person]:
    """The scheme and person whose rotation history the viewer may read; otherwise 404."""
    scheme = Scheme.objects.select_related("organisation").filter(slug=slug).first()
    if scheme is None:
        raise Http404("No such history.")
    person = Person.objects.filter(pk=person_id).first()
    if person is None:
        raise Http404("No such history.")
    in_scheme = Membership.objects.filter(person=person, scheme=scheme).exists()
    if viewer.is_admin:
        return scheme, person
    if scheme.pk in viewer.manages and in_scheme:
        return scheme, person
    if person.pk == viewer.person.pk and scheme.pk in viewer.member_of:
        return scheme, person
    raise Http404("No such history.")
