"""Pairs that are not meeting, for coordinators: most silent first, in a fixed number of queries.

The same rule as the reminders (``concerns.reminders``): silence counts from the last held
meeting, or from the start, and a pair shows once it has reached its scheme's nudge. The hourly
job keeps each working pair's quiet-since date in ``PairSilence`` (working out every pair's last
meeting on each page view was too slow at 50,000 people); the list applies the schemes' current
thresholds to it and leaves out any pair that has held a meeting since, so it is never behind
on a meeting just logged. A pair that newly crosses its threshold shows after the next hourly
run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q, QuerySet

from peercircle.concerns.models import PairSilence
from peercircle.meetings.choices import MeetingStatus
from peercircle.meetings.models import Meeting
from peercircle.people.models import Person
from peercircle.relationships.choices import WORKING
from peercircle.relationships.models import Participant, Relationship
from peercircle.schemes.models import Scheme


@dataclass(frozen=True)
class SilentPair:
    relationship: Relationship
    since: date
    days: int
    met: bool  # False when the pair has not met at all since it started
    parties: list[Person]

    @property
    def stage(self) -> str:
        scheme = self.relationship.scheme
        if self.days >= scheme.concern_after_days:
            return "Concern raised"
        if self.days >= scheme.prompt_coordinator_after_days:
            return "Coordinator told"
        return "Nudged"


def silent_pairs(schemes: list[Scheme], *, today: date) -> QuerySet[PairSilence]:
    """Working pairs of ``schemes`` silent for at least their scheme's nudge, most silent first."""
    threshold = Q(pk__in=[])
    for scheme in schemes:
        threshold |= Q(
            scheme_id=scheme.pk, since__lte=today - timedelta(days=scheme.nudge_after_days)
        )
    met_since = Meeting.objects.filter(
        relationship_id=OuterRef("relationship_id"),
        status=MeetingStatus.HELD,
        starts_at__gte=OuterRef("breaks_at"),
    )
    return (
        PairSilence.objects.filter(threshold, relationship__status__in=WORKING)
        .filter(~Exists(met_since))
        .select_related("relationship__scheme")
        .order_by("since", "relationship_id")
    )


def silent_pair_rows(silences: list[PairSilence], *, today: date) -> list[SilentPair]:
    """Rows for a page of ``silent_pairs``: each with its parties (one more query)."""
    parties: dict[int, list[Person]] = {s.relationship_id: [] for s in silences}
    for participant in (
        Participant.objects.filter(relationship_id__in=parties)
        .select_related("person")
        .order_by("id")
    ):
        parties[participant.relationship_id].append(participant.person)
    return [
        SilentPair(
            relationship=s.relationship,
            since=s.since,
            days=(today - s.since).days,
            met=s.met,
            parties=parties[s.relationship_id],
        )
        for s in silences
    ]
