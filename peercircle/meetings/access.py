"""Access gate for meetings: a meeting is reached through its relationship's gate.

- **view** (see the meeting, its time and place): whoever may view the relationship.
- **work** (book, change, cancel, mark held or missed): a participant while the relationship is
  active or ending; a paused relationship refuses from the very next request.
"""

from __future__ import annotations

from typing import Literal

from django.http import Http404

from peercircle.meetings.models import Meeting
from peercircle.people.viewer import Viewer
from peercircle.relationships.access import can_access_relationship

MeetingPurpose = Literal["view", "work"]


def access_meeting(viewer: Viewer, meeting_id: int, *, purpose: MeetingPurpose) -> Meeting:
    """The meeting if ``viewer`` may use it for ``purpose``; otherwise 404."""
    meeting = (
        Meeting.objects.select_related("relationship__scheme__organisation")
        .filter(pk=meeting_id)
        .first()
    )
    if meeting is None or not can_access_relationship(viewer, meeting.relationship, purpose):
        raise Http404("No such meeting.")
    return meeting
