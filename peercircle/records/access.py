"""The access gate for meeting records: the only way any page, API, export or command reaches one.

``access_record`` works out how the viewer stands to the record's relationship, asks the written
policy (``records.policy``) whether that standing allows the action, and logs every read (who,
when, from which page) so the parties can see it. A refusal is "not found", never "forbidden", so
nobody learns that a record exists. Each condition sits on its own line so the matrix test
(``tests/test_matrix.py``) reaches every branch.
"""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from peercircle.people.models import Membership, Person
from peercircle.people.viewer import Viewer
from peercircle.records.choices import Via
from peercircle.records.models import BreakGlass, Record, RecordRead
from peercircle.records.policy import Action, Standing, allows
from peercircle.relationships.choices import Status
from peercircle.relationships.models import Participant, Relationship
from peercircle.relationships.selectors import person_under_allegation
from peercircle.schemes.choices import Status as MemberStatus

# Which log entry each reading action leaves.
READING: dict[Action, Via] = {
    Action.READ: Via.PAGE,
    Action.EDIT: Via.EDIT,
    Action.EXPORT: Via.EXPORT,
}


def is_barred(person: Person, relationship: Relationship) -> bool:
    """A party who may not open the records of their paused relationship (handbook §12)."""
    if relationship.status != Status.SUSPENDED:
        return False
    if person_under_allegation(person):
        return True
    return Membership.objects.filter(
        person=person, scheme_id=relationship.scheme_id, status=MemberStatus.SUSPENDED
    ).exists()


def standing_of(viewer: Viewer, relationship: Relationship) -> Standing:
    """How ``viewer`` stands to ``relationship`` for the records policy."""
    if relationship.organisation_id != viewer.person.organisation_id:
        return Standing.NONE
    if Participant.objects.filter(relationship=relationship, person=viewer.person).exists():
        if is_barred(viewer.person, relationship):
            return Standing.BARRED_PARTY
        return Standing.PARTY
    if viewer.is_admin:
        return Standing.COORDINATOR
    if relationship.scheme_id in viewer.manages:
        return Standing.COORDINATOR
    if relationship.scheme_id not in viewer.supervises_in:
        return Standing.NONE
    if Participant.objects.filter(
        relationship=relationship, person__supervisor=viewer.person
    ).exists():
        return Standing.SUPERVISOR
    return Standing.NONE


def has_break_glass(viewer: Viewer, record: Record) -> bool:
    return BreakGlass.objects.filter(
        record=record, person=viewer.person, expires_at__gt=timezone.now()
    ).exists()


def can(viewer: Viewer, record: Record, action: Action, standing: Standing | None = None) -> bool:
    """Whether ``viewer`` may take ``action`` on ``record`` now (no logging)."""
    relationship = record.relationship
    standing = standing or standing_of(viewer, relationship)
    if allows(action, standing, scheme=relationship.scheme, status=relationship.status):
        return True
    if action != Action.READ:
        return False
    if standing != Standing.COORDINATOR:
        return False
    return has_break_glass(viewer, record)


def access_record(
    viewer: Viewer, record_id: int, *, purpose: Action, via: Via | None = None, path: str = ""
) -> Record:
    """The record if ``viewer`` may take ``purpose`` on it; otherwise 404.

    Reading purposes (read, edit, export) are logged, with ``via`` naming the page or API.
    """
    record = (
        Record.objects.select_related("relationship__scheme__organisation", "meeting", "author")
        .filter(pk=record_id)
        .first()
    )
    if record is None:
        raise Http404("No such record.")
    standing = standing_of(viewer, record.relationship)
    if not can(viewer, record, purpose, standing):
        raise Http404("No such record.")
    if purpose in READING:
        broke_glass = purpose == Action.READ and not allows(
            Action.READ,
            standing,
            scheme=record.relationship.scheme,
            status=record.relationship.status,
        )
        record_read_log(
            record=record,
            reader=viewer.person,
            via=Via.BREAK_GLASS if broke_glass else (via or READING[purpose]),
            path=path,
        )
    return record


def access_relationship_records(
    viewer: Viewer, relationship_id: int, *, purpose: Action
) -> tuple[Relationship, Standing]:
    """The relationship, for listing its records or writing a new one; otherwise 404."""
    relationship = (
        Relationship.objects.select_related("scheme__organisation")
        .filter(pk=relationship_id)
        .first()
    )
    if relationship is None:
        raise Http404("No such relationship.")
    standing = standing_of(viewer, relationship)
    if not allows(purpose, standing, scheme=relationship.scheme, status=relationship.status):
        raise Http404("No such relationship.")
    return relationship, standing


def record_read_log(*, record: Record, reader: Person, via: str, path: str = "") -> RecordRead:
    return RecordRead.objects.create(
        organisation_id=record.organisation_id,
        record=record,
        reader=reader,
        reader_label=reader.full_name,
        via=via,
        path=path[:300],
    )


def may_see_read_log(viewer: Viewer, record: Record) -> bool:
    """The parties see who read their record; admins oversee safeguarding access."""
    standing = standing_of(viewer, record.relationship)
    if standing == Standing.PARTY:
        return True
    return viewer.is_admin
