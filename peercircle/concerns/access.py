"""Access gates for concerns. Refusals are "not found", never "forbidden".

Who sees a concern, and how much:

- **manage** (everything: message, notes, history; take it, assign it, change its status, add
  notes): coordinators of its scheme and organisation admins.
- **supervise** (read the concern, its message, notes and history; change nothing): the
  supervising social worker of the person it is about, or of a party to its relationship, and
  only where the records policy lets supervisors read the scheme's records (its type allows it
  and ``Scheme.records_readable_by_supervisor`` is on: ``records.policy``). Otherwise a
  supervisor does not see the concern at all: a staff scheme's "supervisor" is a line manager.
- **raiser** (how it stands: status, owner, their own message; never the coordinators' notes):
  the person who raised it.
- Nobody else, not even the person it is about (a silence or a flag is raised about a pair,
  and what a coordinator writes about a carer is for the people who support them).
"""

from __future__ import annotations

from typing import Literal

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from peercircle.concerns.models import Concern
from peercircle.people.viewer import Viewer
from peercircle.records.policy import POLICIES, Standing, may_read
from peercircle.relationships.models import Participant

ConcernLevel = Literal["manage", "supervise", "raiser"]
ConcernPurpose = Literal["view", "manage"]


def _supervises(viewer: Viewer, concern: Concern) -> bool:
    if not may_read(Standing.SUPERVISOR, concern.scheme):
        return False
    me = viewer.person.pk
    if concern.about is not None and concern.about.supervisor_id == me:
        return True
    return (
        concern.relationship_id is not None
        and Participant.objects.filter(
            relationship_id=concern.relationship_id, person__supervisor_id=me
        ).exists()
    )


def concern_level(viewer: Viewer, concern: Concern) -> ConcernLevel | None:
    """How much of ``concern`` the viewer may see, or None for nothing."""
    if viewer.is_admin:
        return "manage"
    if concern.scheme_id in viewer.manages:
        return "manage"
    if _supervises(viewer, concern):
        return "supervise"
    if concern.raised_by_id == viewer.person.pk:
        return "raiser"
    return None


def access_concern(
    viewer: Viewer, concern_id: int, *, purpose: ConcernPurpose
) -> tuple[Concern, ConcernLevel]:
    """The concern and the viewer's level if they may use it for ``purpose``; otherwise 404."""
    concern = (
        Concern.objects.select_related("scheme", "about", "owner", "raised_by")
        .filter(pk=concern_id)
        .first()
    )
    if concern is None:
        raise Http404("No such concern.")
    level = concern_level(viewer, concern)
    if level is None:
        raise Http404("No such concern.")
    if purpose == "manage" and level != "manage":
        raise Http404("No such concern.")
    return concern, level


def concerns_visible_to(viewer: Viewer) -> QuerySet[Concern]:
    """Every concern the viewer may open (at any level), for lists."""
    if viewer.is_admin:
        return Concern.objects.all()
    me = viewer.person.pk
    visible = Q(raised_by_id=me)
    if viewer.manages:
        visible |= Q(scheme_id__in=viewer.manages)
    supervised_party = Participant.objects.filter(
        relationship_id=OuterRef("relationship_id"), person__supervisor_id=me
    )
    readable = [t for t, policy in POLICIES.items() if policy.supervisor_may_read]
    visible |= Q(scheme__records_readable_by_supervisor=True, scheme__scheme_type__in=readable) & (
        Q(about__supervisor_id=me) | Q(Exists(supervised_party))
    )
    return Concern.objects.filter(visible)
