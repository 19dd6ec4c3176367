"""Access gates for groups. Refusals are "not found", never "forbidden".

- A scheme's groups page, its formations and every edit or confirmation: the scheme's
  coordinators and scheme admins (``Viewer.manages``) and organisation admins.
- A group's page: those, and the group's current members. A member sees only the groups they
  are in, never another group of the scheme nor how the groups were balanced.
"""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from peercircle.groups.models import GroupFormation, GroupMembership, PeerGroup
from peercircle.people.viewer import Viewer
from peercircle.schemes.access import access_scheme
from peercircle.schemes.models import Scheme


def manages(viewer: Viewer, scheme_id: int) -> bool:
    return viewer.is_admin or scheme_id in viewer.manages


def access_group_scheme(viewer: Viewer, slug: str) -> Scheme:
    scheme = access_scheme(viewer, slug, purpose="manage")
    if not scheme.uses_groups:
        raise Http404("No such scheme.")
    return scheme


def access_formation(viewer: Viewer, formation_id: int) -> GroupFormation:
    formation = (
        GroupFormation.objects.select_related("scheme", "created_by", "confirmed_by")
        .filter(pk=formation_id)
        .first()
    )
    if formation is None or not manages(viewer, formation.scheme_id):
        raise Http404("No such formation.")
    return formation


def access_group(viewer: Viewer, group_id: int) -> tuple[PeerGroup, bool]:
    """The group and whether the viewer manages it; 404 unless they manage it or are in it."""
    group = PeerGroup.objects.select_related("scheme").filter(pk=group_id).first()
    if group is None:
        raise Http404("No such group.")
    if manages(viewer, group.scheme_id):
        return group, True
    if GroupMembership.objects.filter(group=group, person=viewer.person, left_at=None).exists():
        return group, False
    raise Http404("No such group.")


def access_managed_group(viewer: Viewer, group_id: int) -> PeerGroup:
    """The group, for its scheme's coordinators and admins; 404 for everyone else, members too."""
    group, can_manage = access_group(viewer, group_id)
    if not can_manage:
        raise Http404("No such group.")
    return group


def groups_of(viewer: Viewer) -> QuerySet[PeerGroup]:
    """The groups the viewer is in now, with their member counts."""
    mine = GroupMembership.objects.filter(person=viewer.person, left_at=None).values("group_id")
    return (
        PeerGroup.objects.filter(pk__in=mine)
        .select_related("scheme")
        .annotate(size=Count("memberships", filter=Q(memberships__left_at=None)))
        .order_by("scheme__name", "name", "pk")
    )
