"""Reads for relationship pages, jobs and other apps: scoped by the gates, fixed query counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Prefetch, Q, QuerySet

from peercircle.people.models import Membership, Person
from peercircle.people.viewer import Viewer
from peercircle.relationships.access import relationships_visible_to
from peercircle.relationships.allegations.models import Allegation, AllegationStatus
from peercircle.relationships.choices import Status
from peercircle.relationships.models import Participant, Relationship
from peercircle.schemes.choices import Role
from peercircle.schemes.choices import Status as MemberStatus
from peercircle.schemes.models import Scheme

# Statuses a planned ending is prompted in: a paused relationship still reaches its planned end.
PROMPTED = (Status.ACTIVE, Status.SUSPENDED, Status.ENDING)


def person_under_allegation(person: Person) -> bool:
    """Whether ``person`` is the subject of an allegation still being investigated.

    For gates of other apps (records): the subject must not read the records of relationships
    paused because of it. Never show the reason to anyone but coordinators and admins.
    """
    return Allegation.objects.filter(subject=person, status=AllegationStatus.OPEN).exists()


def people_under_allegation(person_ids: list[int]) -> set[int]:
    """The batched form of ``person_under_allegation``."""
    return set(
        Allegation.objects.filter(
            subject_id__in=person_ids, status=AllegationStatus.OPEN
        ).values_list("subject_id", flat=True)
    )


def participants_prefetch() -> Prefetch[str]:
    # "-side" puts the giver first: mentor before mentee, supporter before supported.
    return Prefetch(
        "participants",
        queryset=Participant.objects.select_related("person").order_by("-side", "person_id"),
    )


@dataclass(frozen=True)
class RelationshipFilter:
    scheme: Scheme | None = None
    status: str = ""
    q: str = ""


def relationship_list(viewer: Viewer, filters: RelationshipFilter) -> QuerySet[Relationship]:
    """The relationships ``viewer`` may see that match ``filters``, newest first, each with its
    scheme and participants loaded (three queries for a page, whatever its length)."""
    relationships = relationships_visible_to(viewer)
    if filters.scheme is not None:
        relationships = relationships.filter(scheme=filters.scheme)
    if filters.status:
        relationships = relationships.filter(status=filters.status)
    for word in filters.q.lower().split()[:5]:
        # "id IN (participants of matching people)": the people are found once, from the
        # search index, instead of testing both people of every relationship.
        matching = Person.objects.filter(search_text__contains=word).values("pk")
        relationships = relationships.filter(
            pk__in=Participant.objects.filter(person__in=matching).values("relationship_id")
        )
    return (
        relationships.select_related("scheme")
        .prefetch_related(participants_prefetch())
        .order_by("-started_on", "-id")
    )


def relationships_ending_soon(today: date) -> QuerySet[Relationship]:
    """Relationships whose planned end is within their scheme's notice (four weeks by default),
    or already past without an ending: the coordinator and the parties should plan the end.

    Works in the organisation in scope, or across all of them with scopes disabled (the job).
    """
    notice = Q()
    for scheme_id, days in Scheme.objects.values_list("pk", "ending_notice_days"):
        notice |= Q(scheme_id=scheme_id, planned_end_on__lte=today + timedelta(days=days))
    if not notice:
        return Relationship.objects.none()
    return (
        Relationship.objects.filter(notice, status__in=PROMPTED, planned_end_on__isnull=False)
        .select_related("scheme")
        .prefetch_related(participants_prefetch())
        .order_by("planned_end_on", "id")
    )


def coordinators_of(scheme: Scheme) -> list[Person]:
    """The people who coordinate ``scheme`` now (not those suspended or gone)."""
    ids = Membership.objects.filter(
        scheme=scheme,
        role=Role.COORDINATOR,
        status__in=(MemberStatus.ACTIVE, MemberStatus.APPROVED),
    ).values("person_id")
    return list(Person.objects.filter(pk__in=ids).order_by("family_name", "given_name", "id"))
