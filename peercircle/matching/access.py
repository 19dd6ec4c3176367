"""Access gates for matching. Refusals are "not found", never "forbidden".

- **manage** (start runs, read and edit proposals, send and confirm): coordinators and scheme
  admins of the run's scheme, and organisation admins.
- **consult** (agree or raise a concern): a supervising social worker, only for the pairs of the
  carers they supervise, once the proposal has been sent to them.
"""

from __future__ import annotations

from django.http import Http404

from peercircle.matching.models import MatchRun, ProposedPair
from peercircle.people.viewer import Viewer
from peercircle.schemes.access import access_scheme
from peercircle.schemes.models import Scheme

# Pairs a supervisor hears about: those sent to them, and what became of them.
CONSULTED_STATES = (
    ProposedPair.State.PROPOSED,
    ProposedPair.State.CONFIRMED,
    ProposedPair.State.NOT_CREATED,
)


def access_matching_scheme(viewer: Viewer, slug: str) -> Scheme:
    scheme = access_scheme(viewer, slug, purpose="manage")
    if not scheme.is_one_to_one:
        raise Http404("No such scheme.")
    return scheme


def can_manage_run(viewer: Viewer, run: MatchRun) -> bool:
    return viewer.is_admin or run.scheme_id in viewer.manages


def access_run(viewer: Viewer, run_id: int) -> MatchRun:
    """The run if ``viewer`` may manage it; otherwise 404."""
    run = MatchRun.objects.select_related("scheme").filter(pk=run_id).first()
    if run is None or not can_manage_run(viewer, run):
        raise Http404("No such matching run.")
    return run


def access_consultation(viewer: Viewer, run_id: int) -> MatchRun:
    """The run if it was sent for consultation and ``viewer`` supervises one of its mentees."""
    run = MatchRun.objects.select_related("scheme").filter(pk=run_id).first()
    if (
        run is None
        or run.phase not in (MatchRun.Phase.CONSULTING, MatchRun.Phase.CONFIRMED)
        or not ProposedPair.objects.filter(
            run=run, state__in=CONSULTED_STATES, mentee__supervisor=viewer.person
        ).exists()
    ):
        raise Http404("No such matching run.")
    return run
