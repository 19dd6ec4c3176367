"""Reads for the matching pages: each list is one query however long it is."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from peercircle.matching.access import CONSULTED_STATES
from peercircle.matching.models import MatchRun, ProposedPair, RunEdit, UnmatchedEntry
from peercircle.people.models import Person
from peercircle.schemes.models import Scheme

SHOWN_STATES = (
    ProposedPair.State.PROPOSED,
    ProposedPair.State.CONFIRMED,
    ProposedPair.State.NOT_CREATED,
)


def runs_of(scheme: Scheme) -> QuerySet[MatchRun]:
    return MatchRun.objects.filter(scheme=scheme).order_by("-created_at", "-id")


def proposal_pairs(run: MatchRun) -> QuerySet[ProposedPair]:
    return (
        ProposedPair.objects.filter(run=run, state__in=SHOWN_STATES)
        .select_related("mentee", "mentor", "answered_by")
        .order_by("mentee__family_name", "mentee__given_name", "id")
    )


def still_unmatched(run: MatchRun) -> QuerySet[UnmatchedEntry]:
    return (
        UnmatchedEntry.objects.filter(run=run, placed=False)
        .select_related("person")
        .order_by("person__family_name", "person__given_name", "id")
    )


def removed_pairs(run: MatchRun) -> QuerySet[ProposedPair]:
    return ProposedPair.objects.filter(run=run, state=ProposedPair.State.REMOVED)


def run_edits(run: MatchRun, limit: int = 100) -> list[RunEdit]:
    return list(RunEdit.objects.filter(run=run).order_by("-at", "-id")[:limit])


def pairs_for_supervisor(run: MatchRun, supervisor: Person) -> QuerySet[ProposedPair]:
    return (
        ProposedPair.objects.filter(
            run=run, state__in=CONSULTED_STATES, mentee__supervisor=supervisor
        )
        .select_related("mentee", "mentor")
        .order_by("mentee__family_name", "mentee__given_name", "id")
    )


def consultations_waiting(supervisor: Person) -> QuerySet[MatchRun]:
    """Runs out for consultation in which some of ``supervisor``'s carers await their answer,
    each with ``waiting``, how many (one query)."""
    return (
        MatchRun.objects.filter(
            phase=MatchRun.Phase.CONSULTING,
            pairs__state__in=CONSULTED_STATES,
            pairs__mentee__supervisor=supervisor,
            pairs__answer=ProposedPair.Answer.PENDING,
        )
        .annotate(waiting=Count("pairs"))
        .select_related("scheme")
        .order_by("sent_at", "id")
    )
