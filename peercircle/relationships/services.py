"""Writes to relationships: creation, status changes, planned ends, endings and exclusions.

Every write is atomic, records an event in the relationship's history, and names the version it
saw: if someone else changed the relationship in the meantime, ``ConcurrentChange`` tells the
second writer what changed instead of silently overwriting it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import combinations
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone

from peercircle.audit.services import audit_event, audit_record, audit_record_many
from peercircle.organisations.models import Organisation
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
from peercircle.relationships.hooks import stopped_working, stopped_working_many
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


# Bulk forms ------------------------------------------------------------------------------------
#
# A rotation ends and creates thousands of relationships in one transaction. These do what the
# single services above do (the same checks, events, audit and hooks) in a fixed number of
# queries per batch, however many relationships it holds, instead of ten or so for each.

# Rows one query reads or writes (well under every database's parameter limit).
CHUNK = 1000


def _chunks(items: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True)
class NewRelationship:
    """One relationship for ``relationships_create_many``; as ``relationship_create``'s."""

    members: Sequence[tuple[Person, str]]
    purpose: str
    started_on: date | None = None
    planned_end_on: date | None = None


def _kind_of(item: NewRelationship) -> str:
    sides = sorted(side for _, side in item.members)
    for kind, expected in KIND_SIDES.items():
        if sides == sorted(expected):
            return kind
    raise ValidationError(
        "A relationship is a mentor and a mentee, two peers, or a supporter and the person "
        "they support."
    )


def _memberships_many(
    scheme: Scheme, items: Sequence[NewRelationship], people: Sequence[int]
) -> dict[tuple[int, str], Membership]:
    """``_check_members`` for every member of ``items``: the membership each (person, side)
    uses, the lowest id of those that fit, as there."""
    found: dict[int, list[Membership]] = defaultdict(list)
    for chunk in _chunks(people):
        for membership in Membership.objects.filter(
            person_id__in=chunk, scheme=scheme, status__in=PARTICIPATING
        ).order_by("id"):
            found[membership.person_id].append(membership)
    chosen: dict[tuple[int, str], Membership] = {}
    for item in items:
        for person, side in item.members:
            if person.organisation_id != scheme.organisation_id:
                raise ValidationError(f"{person.full_name} belongs to another organisation.")
            if item.purpose == Purpose.INVESTIGATION and side == Side.SUPPORTED:
                continue
            fits = next((m for m in found[person.pk] if m.role in SIDE_ROLES[side]), None)
            if fits is None:
                roles = " or ".join(Role(r).label.lower() for r in SIDE_ROLES[side])
                raise ValidationError(
                    f"{person.full_name} is not an approved or active {roles} in "
                    f"{scheme.name}: add them to the scheme or change their status first."
                )
            chosen[person.pk, side] = fits
    return chosen


def _pair_key(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def _check_many(scheme: Scheme, items: Sequence[NewRelationship], people: Sequence[int]) -> None:
    """``_check_allegations``, ``_check_not_paired`` and ``_check_exclusions`` for every item,
    including pairs made twice within the batch."""
    from peercircle.relationships.selectors import people_under_allegation

    under: set[int] = set()
    for chunk in _chunks(people):
        under |= people_under_allegation(list(chunk))
    together: dict[int, set[int]] = defaultdict(set)
    status_of: dict[int, str] = {}
    for chunk in _chunks(people):
        for rel_id, person_id, status in Participant.objects.filter(
            person_id__in=chunk, relationship__scheme=scheme, relationship__status__in=OCCUPYING
        ).values_list("relationship_id", "person_id", "relationship__status"):
            together[rel_id].add(person_id)
            status_of[rel_id] = status
    paired: dict[tuple[int, int], str] = {}
    for rel_id, members in together.items():
        for low, high in combinations(sorted(members), 2):
            paired[low, high] = status_of[rel_id]
    excluded: dict[tuple[int, int], str] = {}
    for chunk in _chunks(people):
        for low, high, reason in PairExclusion.objects.filter(
            scheme=scheme, person_low_id__in=chunk
        ).values_list("person_low_id", "person_high_id", "reason"):
            excluded[low, high] = reason
    for item in items:
        for person, side in item.members:
            if person.pk in under and not (
                item.purpose == Purpose.INVESTIGATION and side == Side.SUPPORTED
            ):
                raise ValidationError(
                    f"{person.full_name} is the subject of an open allegation: their "
                    "relationships stay paused until its outcome is recorded on the "
                    "allegation's page."
                )
        for (a, _), (b, _) in combinations(item.members, 2):
            key = _pair_key(a.pk, b.pk)
            if key in paired:
                raise ValidationError(
                    f"{_names([a, b])} already have a relationship in {scheme.name} "
                    f"({Status(paired[key]).label.lower()}). Open it instead of creating "
                    "another."
                )
            if key in excluded:
                raise ValidationError(
                    f"{_names([a, b])} are not to be matched again in {scheme.name} "
                    f"({excluded[key]}). Remove that exclusion first if this is intended."
                )
            paired[key] = Status.PROPOSED  # a second item for the same pair is refused
    if scheme.scheme_type != "mentoring":
        return
    givers = sorted({p.pk for item in items for p, side in item.members if side in GIVING})
    if not givers:
        return
    load: dict[int, int] = defaultdict(int)
    for chunk in _chunks(givers):
        # Lock the givers' membership rows, as ``_check_capacity`` does.
        list(
            Membership.objects.select_for_update()
            .filter(person_id__in=chunk, scheme=scheme)
            .values_list("pk", flat=True)
        )
        for person_id, used in (
            Participant.objects.filter(
                person_id__in=chunk,
                side__in=GIVING,
                relationship__scheme=scheme,
                relationship__status__in=OCCUPYING,
            )
            .values("person_id")
            .annotate(used=Count("relationship", distinct=True))
            .values_list("person_id", "used")
        ):
            load[person_id] = used
    for item in items:
        for person, side in item.members:
            if side not in GIVING:
                continue
            used = load[person.pk]
            if used >= scheme.mentor_capacity:
                raise ValidationError(
                    f"{person.full_name} already supports {used} "
                    f"{'person' if used == 1 else 'people'} in {scheme.name}, the scheme's "
                    f"limit of {scheme.mentor_capacity}. End a relationship or raise the limit "
                    "first."
                )
            load[person.pk] = used + 1


@transaction.atomic
def relationships_create_many(
    *,
    scheme: Scheme,
    items: Sequence[NewRelationship],
    actor: User | None,
    status: str = Status.ACTIVE,
    source: str = "page",
) -> list[Relationship]:
    """``relationship_create`` for every item, all or none, in a fixed number of queries (one
    more per ``CHUNK`` relationships). Returns the relationships in the order of ``items``."""
    if status not in (Status.PROPOSED, Status.ACTIVE):
        raise ValidationError("A new relationship starts as proposed or active.")
    kinds = [_kind_of(item) for item in items]
    for item in items:
        if len({p.pk for p, _ in item.members}) != len(item.members):
            raise ValidationError("A person cannot be in a relationship with themselves.")
    if not items:
        return []
    people = sorted({p.pk for item in items for p, _ in item.members})
    memberships = _memberships_many(scheme, items, people)
    _check_many(scheme, items, people)
    today = timezone.localdate()
    created = Relationship.objects.bulk_create(
        [
            Relationship(
                organisation_id=scheme.organisation_id,
                scheme=scheme,
                kind=kind,
                purpose=item.purpose,
                status=status,
                started_on=(item.started_on or today)
                if status == Status.ACTIVE
                else item.started_on,
                planned_end_on=item.planned_end_on
                or default_planned_end(scheme, item.purpose, item.started_on or today),
                created_by=actor,
            )
            for kind, item in zip(kinds, items, strict=True)
        ],
        batch_size=CHUNK,
    )
    Participant.objects.bulk_create(
        [
            Participant(
                organisation_id=scheme.organisation_id,
                relationship=relationship,
                person=person,
                side=side,
            )
            for relationship, item in zip(created, items, strict=True)
            for person, side in item.members
        ],
        batch_size=CHUNK,
    )
    if status == Status.ACTIVE:
        waiting = sorted({m.pk for m in memberships.values() if m.waiting_since is not None})
        for chunk in _chunks(waiting):
            Membership.objects.filter(pk__in=chunk).update(waiting_since=None)
    summaries = [
        f"{Kind(kind).label} between {_names([p for p, _ in item.members])} "
        f"{Status(status).label.lower()}"
        for kind, item in zip(kinds, items, strict=True)
    ]
    RelationshipEvent.objects.bulk_create(
        [
            RelationshipEvent(
                organisation_id=scheme.organisation_id,
                relationship=relationship,
                actor=actor,
                actor_label=_label(actor),
                action="created",
                summary=summary[:300],
                to_status=status,
            )
            for relationship, summary in zip(created, summaries, strict=True)
        ],
        batch_size=CHUNK,
    )
    audit_record_many(
        (
            audit_event(
                organisation=scheme.organisation,
                actor=actor,
                action="relationship.create",
                target=relationship,
                summary=summary,
                source=source,
            )
            for relationship, summary in zip(created, summaries, strict=True)
        ),
        batch_size=CHUNK,
    )
    return created


def _refused(relationships: Sequence[Relationship]) -> ValidationError:
    """Why the guarded UPDATE of ``relationships_end_many`` missed some of them."""
    seen = {r.pk: r for r in relationships}
    for chunk in _chunks(list(seen)):
        for pk, version, status in Relationship.objects.filter(pk__in=chunk).values_list(
            "pk", "version", "status"
        ):
            if version != seen[pk].version:
                return _changed_since(seen[pk])
            if status == Status.ENDED:
                return ValidationError("This relationship has already ended.")
    return ConcurrentChange(
        "A relationship being ended was deleted meanwhile. Nothing was saved; try again."
    )


@transaction.atomic
def relationships_end_many(
    *,
    relationships: Sequence[Relationship],
    reason: str,
    actor: User | None,
    ended_on: date | None = None,
    requeue: Sequence[Person] = (),
) -> list[Relationship]:
    """``relationship_end`` for every relationship, all or none, in a fixed number of queries
    (one more per ``CHUNK`` relationships).

    Each relationship's ``version`` is the version the caller saw: if any of them changed since,
    nothing is ended and ``ConcurrentChange`` says what changed. The stop hooks run for all of
    them, through a hook's ``many`` form where it has one. The relationships are updated in place.
    """
    if reason not in EndReason.values:
        raise ValidationError("Choose one of the listed reasons for the ending.")
    if len({r.pk for r in relationships}) != len(relationships):
        raise ValidationError("A relationship to end is listed twice.")
    for relationship in relationships:
        if Status.ENDED not in TRANSITIONS[relationship.status]:
            raise ValidationError("This relationship has already ended.")
    if not relationships:
        return []
    day = ended_on or timezone.localdate()
    by_version: dict[int, list[int]] = defaultdict(list)
    for relationship in relationships:
        by_version[relationship.version].append(relationship.pk)
    updated = 0
    for version, pks in by_version.items():
        for chunk in _chunks(pks):
            # Guarded by the version each was read at: a concurrent change leaves its row out,
            # the count falls short and the whole transaction is rolled back below.
            updated += (
                Relationship.objects.filter(pk__in=chunk, version=version)
                .exclude(status=Status.ENDED)
                .update(
                    version=F("version") + 1, status=Status.ENDED, ended_on=day, end_reason=reason
                )
            )
    if updated != len(relationships):
        raise _refused(relationships)
    before = {r.pk: r.status for r in relationships}
    for relationship in relationships:
        relationship.version += 1
        relationship.status = Status.ENDED
        relationship.ended_on = day
        relationship.end_reason = reason
    stopped_working_many(relationships, actor)
    members: dict[int, list[Person]] = defaultdict(list)
    for chunk in _chunks([r.pk for r in relationships]):
        for participant in Participant.objects.filter(relationship_id__in=chunk).select_related(
            "person"
        ):
            members[participant.relationship_id].append(participant.person)
    label = EndReason(reason).label
    if reason in EXCLUDING_REASONS:
        exclusions: dict[tuple[int, int], PairExclusion] = {}
        for relationship in relationships:
            for a, b in combinations(members[relationship.pk], 2):
                low, high = _pair_key(a.pk, b.pk)
                exclusions.setdefault(
                    (low, high),
                    PairExclusion(
                        organisation_id=relationship.organisation_id,
                        scheme_id=relationship.scheme_id,
                        person_low_id=low,
                        person_high_id=high,
                        reason=label[:200],
                        relationship=relationship,
                        created_by=actor,
                    ),
                )
        # An exclusion already there stays as it is, as with ``pair_exclude``.
        PairExclusion.objects.bulk_create(
            list(exclusions.values()), batch_size=CHUNK, ignore_conflicts=True
        )
    if requeue:
        everyone = {p.pk for people in members.values() for p in people}
        for person in requeue:
            if person.pk not in everyone:
                raise ValidationError(f"{person.full_name} is not in this relationship.")
        schemes = {r.scheme_id for r in relationships}
        Membership.objects.filter(
            person__in=requeue,
            scheme_id__in=schemes,
            status__in=PARTICIPATING,
            waiting_since__isnull=True,
        ).exclude(role__in=(Role.MENTOR, Role.COORDINATOR)).update(waiting_since=day)
    text = f"Ended: {label.lower()}"
    organisations = Organisation.objects.in_bulk({r.organisation_id for r in relationships})
    RelationshipEvent.objects.bulk_create(
        [
            RelationshipEvent(
                organisation_id=r.organisation_id,
                relationship=r,
                actor=actor,
                actor_label=_label(actor),
                action="ended",
                summary=text,
                from_status=before[r.pk],
                to_status=Status.ENDED,
            )
            for r in relationships
        ],
        batch_size=CHUNK,
    )
    audit_record_many(
        (
            audit_event(
                organisation=organisations[r.organisation_id],
                actor=actor,
                action="relationship.end",
                target=r,
                summary=text,
                changes={"reason": reason},
            )
            for r in relationships
        ),
        batch_size=CHUNK,
    )
    return list(relationships)
