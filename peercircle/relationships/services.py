"""Writes to relationships: creation, status changes, planned ends, endings and exclusions.

Every write is atomic, records an event in the relationship's history, and names the version it
saw: if someone else changed the relationship in the meantime, ``ConcurrentChange`` tells the
second writer what changed instead of silently overwriting it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from itertools import combinations
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from peercircle.audit.services import audit_record
from peercircle.people.eligibility import months_before
from peercircle.people.models import Membership, Person
from peercircle.relationships.choices import (
    EXCLUDING_REASONS,
    OCCUPYING,
    TRANSITIONS,
    WORKING,
    EndReason,
    Kind,
    Purpose,
    Side,
    Status,
)
from peercircle.relationships.hooks import stopped_working
from peercircle.relationships.models import (
    PairExclusion,
    Participant,
    Relationship,
    RelationshipEvent,
)
from peercircle.schemes.choices import PARTICIPATING, Role
from peercircle.schemes.models import Scheme

if TYPE_CHECKING:
    from peercircle.accounts.models import User

# The scheme role each side of a relationship must hold.
SIDE_ROLES: dict[str, tuple[str, ...]] = {
    Side.MENTOR: (Role.MENTOR,),
    Side.MENTEE: (Role.MENTEE,),
    Side.PEER: (Role.PEER,),
    Side.SUPPORTER: (Role.MENTOR, Role.PEER),
    Side.SUPPORTED: (Role.MENTEE, Role.PEER),
}
KIND_SIDES: dict[str, tuple[str, ...]] = {
    Kind.MENTORING: (Side.MENTOR, Side.MENTEE),
    Kind.PEER_PAIR: (Side.PEER, Side.PEER),
    Kind.SUPPORT: (Side.SUPPORTER, Side.SUPPORTED),
}
# Sides whose holder gives support and so uses up a place of their capacity.
GIVING = (Side.MENTOR, Side.SUPPORTER)


class ConcurrentChange(ValidationError):
    """Someone else changed the relationship since the caller read it."""


def months_after(day: date, months: int) -> date:
    return months_before(day, -months)


def default_planned_end(scheme: Scheme, purpose: str, start: date) -> date | None:
    """The scheme's planned length for ``purpose`` (handbook §9: 12 months, 6 for a purpose)."""
    months = {
        Purpose.NEW_CARER: scheme.planned_duration_months,
        Purpose.SPECIFIC: scheme.specific_purpose_months,
        Purpose.PEER: scheme.rotation_months,
        Purpose.PROBATION: scheme.rotation_months,
    }.get(Purpose(purpose))
    return None if months is None else months_after(start, months)


def _label(actor: User | None) -> str:
    return actor.email if actor is not None else "PeerCircle"


def _event(
    relationship: Relationship,
    *,
    actor: User | None,
    action: str,
    summary: str,
    from_status: str = "",
    to_status: str = "",
) -> None:
    RelationshipEvent.objects.create(
        organisation_id=relationship.organisation_id,
        relationship=relationship,
        actor=actor,
        actor_label=_label(actor),
        action=action,
        summary=summary[:300],
        from_status=from_status,
        to_status=to_status,
    )


def _names(people: Sequence[Person]) -> str:
    return " and ".join(p.full_name for p in people)


def _check_members(
    scheme: Scheme, members: Sequence[tuple[Person, str]], purpose: str
) -> dict[int, Membership]:
    """Each person must take part in the scheme in a role that fits their side."""
    found: dict[int, Membership] = {}
    for person, side in members:
        if person.organisation_id != scheme.organisation_id:
            raise ValidationError(f"{person.full_name} belongs to another organisation.")
        if purpose == Purpose.INVESTIGATION and side == Side.SUPPORTED:
            continue  # a carer under investigation need not be in the scheme (§12)
        membership = (
            Membership.objects.filter(
                person=person,
                scheme=scheme,
                role__in=SIDE_ROLES[side],
                status__in=PARTICIPATING,
            )
            .order_by("id")
            .first()
        )
        if membership is None:
            roles = " or ".join(Role(r).label.lower() for r in SIDE_ROLES[side])
            raise ValidationError(
                f"{person.full_name} is not an approved or active {roles} in {scheme.name}: "
                "add them to the scheme or change their status first."
            )
        found[person.pk] = membership
    return found


def _check_exclusions(scheme: Scheme, people: Sequence[Person]) -> None:
    for a, b in combinations(people, 2):
        low, high = sorted((a.pk, b.pk))
        exclusion = PairExclusion.objects.filter(
            scheme=scheme, person_low_id=low, person_high_id=high
        ).first()
        if exclusion is not None:
            raise ValidationError(
                f"{_names([a, b])} are not to be matched again in {scheme.name} "
                f"({exclusion.reason}). Remove that exclusion first if this is intended."
            )


def _check_not_paired(scheme: Scheme, people: Sequence[Person]) -> None:
    """Two people have at most one current relationship in a scheme."""
    a, b = people[0], people[1]
    together = (
        Relationship.objects.filter(scheme=scheme, status__in=OCCUPYING, participants__person=a)
        .filter(participants__person=b)
        .first()
    )
    if together is not None:
        raise ValidationError(
            f"{_names([a, b])} already have a relationship in {scheme.name} "
            f"({together.get_status_display().lower()}). Open it instead of creating another."
        )


def _check_allegations(members: Sequence[tuple[Person, str]], purpose: str) -> None:
    """Nobody under an open allegation starts or resumes working with others (§12); only the
    support of a carer under investigation goes on."""
    from peercircle.relationships.selectors import people_under_allegation

    under = people_under_allegation([p.pk for p, _ in members])
    for person, side in members:
        if person.pk not in under:
            continue
        if purpose == Purpose.INVESTIGATION and side == Side.SUPPORTED:
            continue
        raise ValidationError(
            f"{person.full_name} is the subject of an open allegation: their relationships stay "
            "paused until its outcome is recorded on the allegation's page."
        )


def giving_load(scheme: Scheme, person: Person) -> int:
    """How many places of ``person``'s capacity their current relationships use."""
    return (
        Participant.objects.filter(
            person=person,
            side__in=GIVING,
            relationship__scheme=scheme,
            relationship__status__in=OCCUPYING,
        )
        .values("relationship")
        .distinct()
        .count()
    )


def _check_capacity(scheme: Scheme, members: Sequence[tuple[Person, str]]) -> None:
    if scheme.scheme_type != "mentoring":
        return
    for person, side in members:
        if side not in GIVING:
            continue
        # Lock the giver's membership rows so two coordinators cannot both take the last place.
        list(
            Membership.objects.select_for_update()
            .filter(person=person, scheme=scheme)
            .values_list("pk", flat=True)
        )
        used = giving_load(scheme, person)
        if used >= scheme.mentor_capacity:
            raise ValidationError(
                f"{person.full_name} already supports {used} "
                f"{'person' if used == 1 else 'people'} in {scheme.name}, the scheme's limit of "
                f"{scheme.mentor_capacity}. End a relationship or raise the limit first."
            )


@transaction.atomic
def relationship_create(
    *,
    scheme: Scheme,
    members: Sequence[tuple[Person, str]],
    purpose: str,
    actor: User | None,
    status: str = Status.ACTIVE,
    started_on: date | None = None,
    planned_end_on: date | None = None,
    source: str = "page",
) -> Relationship:
    """Create a relationship between ``members`` ((person, side) pairs) in ``scheme``."""
    sides = tuple(side for _, side in members)
    kind = next(
        (k for k, expected in KIND_SIDES.items() if sorted(sides) == sorted(expected)), None
    )
    if kind is None:
        raise ValidationError(
            "A relationship is a mentor and a mentee, two peers, or a supporter and the person "
            "they support."
        )
    people = [p for p, _ in members]
    if len({p.pk for p in people}) != len(people):
        raise ValidationError("A person cannot be in a relationship with themselves.")
    if status not in (Status.PROPOSED, Status.ACTIVE):
        raise ValidationError("A new relationship starts as proposed or active.")
    memberships = _check_members(scheme, members, purpose)
    _check_allegations(members, purpose)
    _check_not_paired(scheme, people)
    _check_exclusions(scheme, people)
    _check_capacity(scheme, members)
    today = timezone.localdate()
    start = started_on or today
    relationship = Relationship.objects.create(
        organisation_id=scheme.organisation_id,
        scheme=scheme,
        kind=kind,
        purpose=purpose,
        status=status,
        started_on=start if status == Status.ACTIVE else started_on,
        planned_end_on=planned_end_on or default_planned_end(scheme, purpose, start),
        created_by=actor,
    )
    Participant.objects.bulk_create(
        Participant(
            organisation_id=scheme.organisation_id,
            relationship=relationship,
            person=person,
            side=side,
        )
        for person, side in members
    )
    if status == Status.ACTIVE:
        _stop_waiting(memberships.values())
    summary = f"{Kind(kind).label} between {_names(people)} {Status(status).label.lower()}"
    _event(relationship, actor=actor, action="created", summary=summary, to_status=status)
    audit_record(
        organisation=scheme.organisation,
        actor=actor,
        action="relationship.create",
        target=relationship,
        summary=summary,
        source=source,
    )
    return relationship


def _stop_waiting(memberships: Iterable[Membership]) -> None:
    waiting = [m.pk for m in memberships if m.waiting_since is not None]
    if waiting:
        Membership.objects.filter(pk__in=waiting).update(waiting_since=None)


def _changed_since(relationship: Relationship) -> ConcurrentChange:
    latest = RelationshipEvent.objects.filter(relationship=relationship).last()
    what = (
        f"{latest.actor_label} changed it at {timezone.localtime(latest.at):%H:%M}: "
        f"{latest.summary}."
        if latest is not None
        else "It was changed."
    )
    return ConcurrentChange(
        f"Someone changed this relationship while you were looking at it. {what} "
        "Nothing you entered was saved; check the relationship and try again."
    )


def _fresh(relationship: Relationship, expected_version: int) -> Relationship:
    """The relationship as stored now, if it is still the version the caller saw."""
    relationship.refresh_from_db()
    if relationship.version != expected_version:
        raise _changed_since(relationship)
    return relationship


def _apply(relationship: Relationship, expected_version: int, **fields: object) -> Relationship:
    """Write ``fields`` only if nobody changed the relationship since ``expected_version``."""
    updated = Relationship.objects.filter(pk=relationship.pk, version=expected_version).update(
        version=F("version") + 1, **fields
    )
    if not updated:
        raise _changed_since(relationship)
    relationship.refresh_from_db()
    return relationship


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


@transaction.atomic
def relationship_transition(
    *,
    relationship: Relationship,
    to_status: str,
    actor: User | None,
    expected_version: int,
    summary: str = "",
) -> Relationship:
    """Move to ``to_status`` (not to "ended": use ``relationship_end``)."""
    if to_status == Status.ENDED:
        raise ValidationError("Use the ending step to end a relationship, so it has a reason.")
    current = _fresh(relationship, expected_version).status
    if to_status not in TRANSITIONS[current]:
        raise ValidationError(
            f"{_a(Status(current).label.lower()).capitalize()} relationship cannot become "
            f"{Status(to_status).label.lower()}."
        )
    if to_status == Status.ACTIVE:
        _check_allegations(
            [(p.person, p.side) for p in relationship.participants.select_related("person")],
            relationship.purpose,
        )
    fields: dict[str, object] = {"status": to_status}
    if to_status == Status.ACTIVE and relationship.started_on is None:
        today = timezone.localdate()
        fields["started_on"] = today
        if relationship.planned_end_on is None:
            fields["planned_end_on"] = default_planned_end(
                relationship.scheme, relationship.purpose, today
            )
    _apply(relationship, expected_version, **fields)
    if current in WORKING and to_status not in WORKING:
        stopped_working(relationship, actor)
    if to_status == Status.ACTIVE:
        people = [p.person for p in relationship.participants.select_related("person")]
        _stop_waiting(
            Membership.objects.filter(
                person__in=people, scheme=relationship.scheme, waiting_since__isnull=False
            )
        )
    text = summary or f"{Status(current).label} → {Status(to_status).label}"
    _event(
        relationship,
        actor=actor,
        action="status",
        summary=text,
        from_status=current,
        to_status=to_status,
    )
    audit_record(
        organisation=relationship.scheme.organisation,
        actor=actor,
        action="relationship.status",
        target=relationship,
        summary=text,
        changes={"status": [current, to_status]},
    )
    return relationship


@transaction.atomic
def relationship_set_planned_end(
    *, relationship: Relationship, planned_end_on: date, actor: User | None, expected_version: int
) -> Relationship:
    if _fresh(relationship, expected_version).status == Status.ENDED:
        raise ValidationError("This relationship has ended; its planned end cannot change.")
    if relationship.started_on and planned_end_on <= relationship.started_on:
        raise ValidationError("The planned end must come after the start.")
    before = relationship.planned_end_on
    _apply(relationship, expected_version, planned_end_on=planned_end_on)
    summary = f"Planned end moved from {before or 'none'} to {planned_end_on}"
    _event(relationship, actor=actor, action="planned_end", summary=summary)
    audit_record(
        organisation=relationship.scheme.organisation,
        actor=actor,
        action="relationship.planned_end",
        target=relationship,
        summary=summary,
        changes={"planned_end_on": [str(before or ""), str(planned_end_on)]},
    )
    return relationship


def pair_exclude(
    *,
    scheme: Scheme,
    a: Person,
    b: Person,
    reason: str,
    actor: User | None,
    relationship: Relationship | None = None,
) -> PairExclusion:
    """Never propose ``a`` and ``b`` together again in ``scheme`` (idempotent)."""
    low, high = sorted((a.pk, b.pk))
    exclusion, _ = PairExclusion.objects.get_or_create(
        scheme=scheme,
        person_low_id=low,
        person_high_id=high,
        defaults={
            "organisation_id": scheme.organisation_id,
            "reason": reason[:200],
            "relationship": relationship,
            "created_by": actor,
        },
    )
    return exclusion


@transaction.atomic
def relationship_end(
    *,
    relationship: Relationship,
    reason: str,
    actor: User | None,
    expected_version: int,
    requeue: Sequence[Person] = (),
    ended_on: date | None = None,
) -> Relationship:
    """End the relationship for ``reason``; the people in ``requeue`` wait for a new match.

    Endings for which the pair should not be tried again exclude the pair from matching.
    """
    if reason not in EndReason.values:
        raise ValidationError("Choose one of the listed reasons for the ending.")
    current = _fresh(relationship, expected_version).status
    if Status.ENDED not in TRANSITIONS[current]:
        raise ValidationError("This relationship has already ended.")
    today = timezone.localdate()
    _apply(
        relationship,
        expected_version,
        status=Status.ENDED,
        ended_on=ended_on or today,
        end_reason=reason,
    )
    stopped_working(relationship, actor)
    participants = list(relationship.participants.select_related("person"))
    people = [p.person for p in participants]
    if reason in EXCLUDING_REASONS:
        for a, b in combinations(people, 2):
            pair_exclude(
                scheme=relationship.scheme,
                a=a,
                b=b,
                reason=EndReason(reason).label,
                actor=actor,
                relationship=relationship,
            )
    for person in requeue:
        if person not in people:
            raise ValidationError(f"{person.full_name} is not in this relationship.")
        Membership.objects.filter(
            person=person,
            scheme=relationship.scheme,
            status__in=PARTICIPATING,
            waiting_since__isnull=True,
        ).exclude(role__in=(Role.MENTOR, Role.COORDINATOR)).update(waiting_since=today)
    text = f"Ended: {EndReason(reason).label.lower()}"
    _event(
        relationship,
        actor=actor,
        action="ended",
        summary=text,
        from_status=current,
        to_status=Status.ENDED,
    )
    audit_record(
        organisation=relationship.scheme.organisation,
        actor=actor,
        action="relationship.end",
        target=relationship,
        summary=text,
        changes={"reason": reason},
    )
    return relationship
