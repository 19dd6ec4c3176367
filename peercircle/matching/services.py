"""Matching runs and their proposals: start, run, edit, consult and confirm.

Every write is atomic and audited, and every change to a proposal adds a ``RunEdit`` line, so the
record of matches says who changed what. Confirming goes through ``relationship_create``, which
locks the mentor's membership rows before counting their places: two coordinators confirming at
once can never give a mentor more mentees than the scheme allows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from matchengine import ProblemError, solve_mentoring
from peercircle.audit.services import audit_record
from peercircle.lib.bulk import bulk_insert
from peercircle.matching import adapter
from peercircle.matching.models import MatchRun, ProposedPair, RunEdit, UnmatchedEntry
from peercircle.notifications.services import notify
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.people.models import Membership, Person
from peercircle.relationships import services as relationship_services
from peercircle.relationships.choices import Purpose, Side
from peercircle.schemes.choices import PARTICIPATING, Role
from peercircle.schemes.models import Scheme

if TYPE_CHECKING:
    from peercircle.accounts.models import User

Phase = MatchRun.Phase
RunStatus = MatchRun.Status
State = ProposedPair.State

# How the engine's stages share the progress bar; the rest is the app writing the proposal.
_STAGES = {"candidates": (0.05, 0.45), "solving": (0.45, 0.85), "explaining": (0.85, 0.93)}
_STAGE_WORDS = {
    "candidates": "Finding who could be paired",
    "solving": "Finding the best set of matches",
    "explaining": "Explaining who is left unmatched",
}
# At most one progress write this often: a 50,000-person run reports thousands of times.
_PROGRESS_EVERY = 0.5


def _label(actor: User | None) -> str:
    return actor.email if actor is not None else "PeerCircle"


def _edit(run: MatchRun, actor: User | None, action: str, summary: str) -> None:
    RunEdit.objects.create(
        organisation_id=run.organisation_id,
        run=run,
        actor=actor,
        actor_label=_label(actor),
        action=action,
        summary=summary[:300],
    )
    audit_record(
        organisation=run.scheme.organisation,
        actor=actor,
        action=f"matching.{action}",
        target=run,
        summary=summary,
    )


def _require_one_to_one(scheme: Scheme) -> None:
    if not scheme.is_one_to_one:
        raise ValidationError(
            f"{scheme.name} is not a one-to-one mentoring scheme, so it has no matching runs."
        )


@transaction.atomic
def run_start(
    *,
    scheme: Scheme,
    actor: User | None,
    based_on: MatchRun | None = None,
    source: str = "page",
    enqueue: bool = True,
) -> MatchRun:
    """Queue a matching run for ``scheme``; a re-run keeps the locked pairs of ``based_on``."""
    _require_one_to_one(scheme)
    locked: list[list[int]] = []
    if based_on is not None:
        based_on = MatchRun.objects.select_for_update().get(pk=based_on.pk)
        if not based_on.editable:
            raise ValidationError("Only a proposal that has not been sent on can be run again.")
        locked = [
            [a, b]
            for a, b in based_on.pairs.filter(state=State.PROPOSED, locked=True).values_list(
                "mentee_id", "mentor_id"
            )
        ]
        based_on.phase = Phase.REPLACED
        based_on.save(update_fields=["phase"])
    run = MatchRun.objects.create(
        organisation_id=scheme.organisation_id,
        scheme=scheme,
        based_on=based_on,
        started_by=actor,
        started_by_label=_label(actor),
        source=source,
        locked_pairs=locked,
    )
    what = f"run again keeping {len(locked)} locked pairs" if based_on else "started"
    _edit(run, actor, "run", f"Matching run {what}")
    if based_on is not None:
        _edit(
            based_on, actor, "replaced", f"Replaced by a new run keeping {len(locked)} locked pairs"
        )
    if enqueue:
        from peercircle.matching.tasks import run_matching

        # The database backend stores the task in this transaction, so a rolled-back start
        # leaves no task behind; the immediate backend (tests) runs it here and now.
        run_matching.enqueue(run.pk)
        run.refresh_from_db()
    return run


ProgressHook = Callable[[str, float], None]


def run_execute(run_id: int, *, on_progress: ProgressHook | None = None) -> MatchRun:
    """Run the engine for a queued run and store the proposal. Never raises for bad input:
    a run that cannot produce pairs ends ``done`` with a plain-words message."""
    with scopes_disabled():
        run = MatchRun.objects.select_related("organisation", "scheme").get(pk=run_id)
    with organisation_scope(run.organisation):
        return _execute(run, on_progress)


def _execute(run: MatchRun, on_progress: ProgressHook | None) -> MatchRun:
    began = time.monotonic()
    claimed = MatchRun.objects.filter(pk=run.pk, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, started_at=timezone.now(), stage="Reading the scheme"
    )
    if not claimed:
        return run  # another worker has it, or it already ran
    run.refresh_from_db()
    scheme = run.scheme
    try:
        built = adapter.build_problem(
            scheme,
            today=timezone.localdate(),
            unit=run.organisation.distance_unit,
            locked=[(a, b) for a, b in run.locked_pairs],
        )
    except adapter.NothingToMatch as exc:
        return _finish_empty(run, str(exc), time.monotonic() - began)
    last = [0.0]

    def progress(stage: str, fraction: float) -> None:
        low, high = _STAGES.get(stage, (0.0, 0.95))
        value = low + (high - low) * max(0.0, min(1.0, fraction))
        now = time.monotonic()
        if now - last[0] >= _PROGRESS_EVERY or fraction >= 1.0:
            last[0] = now
            MatchRun.objects.filter(pk=run.pk).update(
                progress=value, stage=_STAGE_WORDS.get(stage, stage), progress_at=timezone.now()
            )
        if on_progress is not None:
            on_progress(stage, value)

    engine_began = time.monotonic()
    try:
        result = solve_mentoring(built.problem, progress=progress)
    except ProblemError as exc:
        return _finish_failed(run, built, exc, time.monotonic() - began)
    engine_seconds = time.monotonic() - engine_began
    MatchRun.objects.filter(pk=run.pk).update(progress=0.95, stage="Saving the proposal")
    if on_progress is not None:
        on_progress("saving", 0.95)
    with transaction.atomic():
        pairs = adapter.explain_pairs(result, built.names)
        unmatched = adapter.explain_unmatched(result, built)
        bulk_insert(
            ProposedPair,
            (
                {
                    "organisation_id": run.organisation_id,
                    "run_id": run.pk,
                    "mentee_id": p["mentee"],
                    "mentor_id": p["mentor"],
                    "score": p["score"],
                    "distance": p["distance"],
                    "explanation": p["criteria"],
                    "locked": p["locked"],
                }
                for p in pairs
            ),
        )
        bulk_insert(
            UnmatchedEntry,
            (
                {
                    "organisation_id": run.organisation_id,
                    "run_id": run.pk,
                    "person_id": u["person"],
                    "reasons": u["reasons"],
                    "changes": u["changes"],
                }
                for u in unmatched
            ),
        )
        summary = result.summary()
        summary["dropped_locks"] = built.dropped_locks
        run.settings_snapshot = built.snapshot
        run.summary = summary
        run.certificate = result.certificate.to_json()
        run.status = RunStatus.DONE
        run.progress = 1.0
        run.stage = "Done"
        run.finished_at = timezone.now()
        run.engine_seconds = engine_seconds
        run.app_seconds = max(0.0, time.monotonic() - began - engine_seconds)
        run.save()
    if on_progress is not None:
        on_progress("done", 1.0)
    return run


def _finish_empty(run: MatchRun, message: str, seconds: float) -> MatchRun:
    run.status = RunStatus.DONE
    run.progress = 1.0
    run.stage = "Done"
    run.message = message
    run.finished_at = timezone.now()
    run.engine_seconds = 0.0
    run.app_seconds = seconds
    run.summary = {"mentees": 0, "mentors": 0, "matched": 0, "unmatched": 0}
    run.save()
    return run


def _finish_failed(run: MatchRun, built: adapter.Built, exc: ProblemError, s: float) -> MatchRun:
    run.status = RunStatus.FAILED
    run.progress = 1.0
    run.stage = "Could not run"
    run.message = (
        "The matching could not use these settings: "
        f"{adapter.named(str(exc.problem), built.names)} ({adapter.named(exc.item, built.names)}). "
        "Check the matching settings, or unlock the pair named and run again."
    )
    run.settings_snapshot = built.snapshot
    run.finished_at = timezone.now()
    run.app_seconds = s
    run.save()
    return run


def run_fail(run_id: int, error: str) -> None:
    """Record that a run's task crashed, so the page stops waiting and says so."""
    with scopes_disabled():
        MatchRun.objects.filter(pk=run_id, status__in=[RunStatus.QUEUED, RunStatus.RUNNING]).update(
            status=RunStatus.FAILED,
            stage="Could not run",
            finished_at=timezone.now(),
            message="Something went wrong while matching. Run it again; if it happens again, "
            f"tell your PeerCircle operator ({error[:200]}).",
        )


# --- Editing a proposal ------------------------------------------------------------------------


def _names(*people: Person) -> str:
    return " and ".join(p.full_name for p in people)


def _editable(run: MatchRun, *, consulting_too: bool = False) -> MatchRun:
    run = MatchRun.objects.select_for_update().select_related("scheme").get(pk=run.pk)
    allowed = {Phase.DRAFT, Phase.CONSULTING} if consulting_too else {Phase.DRAFT}
    if run.status != RunStatus.DONE or run.phase not in allowed:
        if run.phase == Phase.CONSULTING:
            raise ValidationError(
                "This proposal is with the supervising social workers: you can remove a pair, "
                "but other changes need a new run."
            )
        raise ValidationError(
            f"This proposal is {run.get_phase_display().lower()} and can no longer be changed."
        )
    return run


def _pair(run: MatchRun, pair_id: int) -> ProposedPair:
    pair = (
        ProposedPair.objects.select_related("mentee", "mentor")
        .filter(run=run, pk=pair_id, state=State.PROPOSED)
        .first()
    )
    if pair is None:
        raise ValidationError("That pair is no longer in the proposal.")
    return pair


def _back_to_unmatched(run: MatchRun, person_id: int, why: str) -> None:
    entry = UnmatchedEntry.objects.filter(run=run, person_id=person_id).first()
    if entry is None:
        UnmatchedEntry.objects.create(
            organisation_id=run.organisation_id, run=run, person_id=person_id, reasons=[why]
        )
    else:
        entry.placed = False
        entry.reasons = [why, *entry.reasons][:5]
        entry.save(update_fields=["placed", "reasons"])


@transaction.atomic
def pair_remove(*, run: MatchRun, pair_id: int, actor: User | None) -> ProposedPair:
    run = _editable(run, consulting_too=True)
    pair = _pair(run, pair_id)
    pair.state = State.REMOVED
    pair.save(update_fields=["state"])
    _back_to_unmatched(run, pair.mentee_id, "the coordinator removed the proposed pair")
    _edit(run, actor, "remove", f"Removed the pair {_names(pair.mentee, pair.mentor)}")
    return pair


@transaction.atomic
def pair_lock(*, run: MatchRun, pair_id: int, locked: bool, actor: User | None) -> ProposedPair:
    run = _editable(run)
    pair = _pair(run, pair_id)
    pair.locked = locked
    pair.save(update_fields=["locked"])
    word = "Locked" if locked else "Unlocked"
    _edit(run, actor, "lock" if locked else "unlock", f"{word} {_names(pair.mentee, pair.mentor)}")
    return pair


def _places_left(run: MatchRun, mentor: Person, *, ignoring: ProposedPair | None = None) -> int:
    scheme = run.scheme
    in_run = ProposedPair.objects.filter(run=run, mentor=mentor, state=State.PROPOSED)
    if ignoring is not None:
        in_run = in_run.exclude(pk=ignoring.pk)
    used = relationship_services.giving_load(scheme, mentor) + in_run.count()
    return scheme.mentor_capacity - used


def _check_pair(run: MatchRun, mentee: Person, mentor: Person) -> None:
    problems = adapter.pair_problems(run.scheme, run.settings_snapshot, mentee.pk, mentor.pk)
    if problems:
        raise ValidationError(
            f"{_names(mentee, mentor)} cannot be paired: " + "; ".join(problems) + ". "
            "Change the matching settings if this rule should not apply, then run again."
        )


@transaction.atomic
def pair_set(*, run: MatchRun, mentee: Person, mentor: Person, actor: User | None) -> ProposedPair:
    """Pair ``mentee`` with ``mentor`` by hand (locked), replacing the mentee's proposed pair."""
    run = _editable(run)
    scheme = run.scheme
    in_run = (
        UnmatchedEntry.objects.filter(run=run, person=mentee).exists()
        or ProposedPair.objects.filter(run=run, mentee=mentee, state=State.PROPOSED).exists()
    )
    if not in_run:
        raise ValidationError(
            f"{mentee.full_name} was not waiting when this run was made. Run the match again to "
            "include them."
        )
    if not Membership.objects.filter(
        person=mentor, scheme=scheme, role=Role.MENTOR, status__in=PARTICIPATING
    ).exists():
        raise ValidationError(
            f"{mentor.full_name} is not an approved or active mentor in {scheme.name}."
        )
    current = (
        ProposedPair.objects.select_for_update()
        .filter(run=run, mentee=mentee, state=State.PROPOSED)
        .first()
    )
    if current is not None and current.mentor_id == mentor.pk:
        raise ValidationError(f"{_names(mentee, mentor)} are already paired in this proposal.")
    # Lock the mentor's membership rows, as confirming does, so two edits cannot both take
    # the last place.
    list(
        Membership.objects.select_for_update()
        .filter(person=mentor, scheme=scheme)
        .values_list("pk", flat=True)
    )
    if _places_left(run, mentor) <= 0:
        raise ValidationError(
            f"{mentor.full_name} has no free place left: with this proposal they would support "
            f"more than {scheme.mentor_capacity} people, the scheme's limit. Remove one of their "
            "pairs first, or raise “mentees per mentor” in the scheme settings."
        )
    _check_pair(run, mentee, mentor)
    if current is not None:
        current.state = State.REMOVED
        current.save(update_fields=["state"])
    UnmatchedEntry.objects.filter(run=run, person=mentee).update(placed=True)
    pair = ProposedPair.objects.create(
        organisation_id=run.organisation_id,
        run=run,
        mentee=mentee,
        mentor=mentor,
        locked=True,
        origin=ProposedPair.Origin.HAND,
        explanation=[],
    )
    _edit(run, actor, "set", f"Paired {_names(mentee, mentor)} by hand")
    return pair


@transaction.atomic
def pair_exclude(*, run: MatchRun, pair_id: int, actor: User | None) -> ProposedPair:
    """Never propose this pair again in the scheme, and take it out of the proposal."""
    run = _editable(run, consulting_too=True)
    pair = _pair(run, pair_id)
    relationship_services.pair_exclude(
        scheme=run.scheme,
        a=pair.mentee,
        b=pair.mentor,
        reason="Excluded by the coordinator during matching",
        actor=actor,
    )
    pair.state = State.REMOVED
    pair.save(update_fields=["state"])
    _back_to_unmatched(run, pair.mentee_id, "the coordinator excluded the proposed pair for good")
    _edit(run, actor, "exclude", f"Never to be matched again: {_names(pair.mentee, pair.mentor)}")
    return pair


@transaction.atomic
def pair_swap(
    *, run: MatchRun, first_id: int, second_id: int, actor: User | None
) -> tuple[ProposedPair, ProposedPair]:
    """Swap the mentors of two proposed pairs; both new pairs are checked and locked."""
    run = _editable(run)
    if first_id == second_id:
        raise ValidationError("Choose two different pairs to swap.")
    a, b = _pair(run, first_id), _pair(run, second_id)
    if a.mentor_id == b.mentor_id:
        raise ValidationError("Both pairs have the same mentor: swapping would change nothing.")
    _check_pair(run, a.mentee, b.mentor)
    _check_pair(run, b.mentee, a.mentor)
    made = []
    for old, mentor in ((a, b.mentor), (b, a.mentor)):
        old.state = State.REMOVED
        old.save(update_fields=["state"])
        made.append(
            ProposedPair.objects.create(
                organisation_id=run.organisation_id,
                run=run,
                mentee=old.mentee,
                mentor=mentor,
                locked=True,
                origin=ProposedPair.Origin.HAND,
            )
        )
    _edit(
        run,
        actor,
        "swap",
        f"Swapped mentors: {_names(a.mentee, b.mentor)}; {_names(b.mentee, a.mentor)}",
    )
    return made[0], made[1]


# --- Consultation and confirmation -------------------------------------------------------------


@transaction.atomic
def run_send_for_consultation(*, run: MatchRun, actor: User | None) -> int:
    """Ask each mentee's supervising social worker about the pairs; returns how many were asked."""
    run = _editable(run)
    pairs = list(
        ProposedPair.objects.filter(run=run, state=State.PROPOSED).select_related(
            "mentee__supervisor"
        )
    )
    if not pairs:
        raise ValidationError("There are no pairs to send: set or keep at least one pair first.")
    run.phase = Phase.CONSULTING
    run.sent_at = timezone.now()
    run.save(update_fields=["phase", "sent_at"])
    supervisors = {
        p.mentee.supervisor.pk: p.mentee.supervisor for p in pairs if p.mentee.supervisor
    }
    link = reverse("matching:consult", args=[run.pk])
    for supervisor in supervisors.values():
        # Names of the scheme only: the pairs themselves are behind the link and its checks.
        notify(
            person=supervisor,
            kind="matching.consultation",
            title=f"Proposed matches to review in {run.scheme.name}",
            body="The coordinator would like your view on proposed mentors for carers you "
            "supervise. Agree or raise a concern on the page.",
            link=link,
            dedupe_key=f"matching.consult.{run.pk}.{supervisor.pk}",
        )
    _edit(
        run,
        actor,
        "consult",
        f"Sent {len(pairs)} pairs to {len(supervisors)} supervising social workers",
    )
    return len(supervisors)


@transaction.atomic
def pair_answer(
    *, run: MatchRun, pair_id: int, supervisor: Person, agree: bool, comment: str
) -> ProposedPair:
    """A supervising social worker agrees with a proposed pair or raises a concern."""
    run = MatchRun.objects.select_for_update().select_related("scheme").get(pk=run.pk)
    if run.phase != Phase.CONSULTING:
        raise ValidationError("This proposal is no longer open for answers.")
    pair = (
        ProposedPair.objects.select_related("mentee", "mentor")
        .filter(run=run, pk=pair_id, state=State.PROPOSED, mentee__supervisor=supervisor)
        .first()
    )
    if pair is None:
        raise ValidationError("That pair is no longer in the proposal.")
    comment = comment.strip()
    if not agree and not comment:
        raise ValidationError("Say what the concern is, so the coordinator can act on it.")
    pair.answer = ProposedPair.Answer.AGREED if agree else ProposedPair.Answer.CONCERN
    pair.answer_comment = comment[:2000]
    pair.answered_by = supervisor
    pair.answered_at = timezone.now()
    pair.save(update_fields=["answer", "answer_comment", "answered_by", "answered_at"])
    word = "agreed with" if agree else "raised a concern about"
    RunEdit.objects.create(
        organisation_id=run.organisation_id,
        run=run,
        actor=supervisor.user,
        actor_label=supervisor.full_name,
        action="answer",
        summary=f"{supervisor.full_name} {word} {_names(pair.mentee, pair.mentor)}",
    )
    audit_record(
        organisation=run.scheme.organisation,
        actor=supervisor.user,
        action="matching.answer",
        target=pair,
        summary=f"{word.capitalize()} a proposed pair",
    )
    return pair


def run_confirm(*, run: MatchRun, actor: User | None) -> dict[str, int]:
    """Create the relationships of every pair still proposed; each pair on its own.

    A pair that can no longer be made (the mentor's last place went elsewhere, someone left the
    scheme) is marked with the reason and the others still go ahead. Returns counts.
    """
    with transaction.atomic():
        locked = MatchRun.objects.select_for_update().select_related("scheme").get(pk=run.pk)
        if locked.status != RunStatus.DONE or locked.phase not in (Phase.DRAFT, Phase.CONSULTING):
            raise ValidationError(
                f"This proposal is {locked.get_phase_display().lower()}: it cannot be confirmed."
            )
        pairs = list(
            ProposedPair.objects.filter(run=locked, state=State.PROPOSED)
            .select_related("mentee", "mentor")
            .order_by("id")
        )
        if not pairs:
            raise ValidationError("There are no pairs to confirm.")
        made = failed = 0
        scheme = locked.scheme
        for pair in pairs:
            try:
                with transaction.atomic():
                    relationship = relationship_services.relationship_create(
                        scheme=scheme,
                        members=[(pair.mentor, Side.MENTOR), (pair.mentee, Side.MENTEE)],
                        purpose=Purpose.NEW_CARER,
                        actor=actor,
                        source="matching",
                    )
            except ValidationError as exc:
                pair.state = State.NOT_CREATED
                pair.outcome = " ".join(exc.messages)[:300]
                pair.save(update_fields=["state", "outcome"])
                failed += 1
                continue
            pair.state = State.CONFIRMED
            pair.relationship = relationship
            pair.outcome = ""
            pair.save(update_fields=["state", "relationship", "outcome"])
            made += 1
            _notify_confirmed(pair, scheme, relationship.get_absolute_url())
        locked.phase = Phase.CONFIRMED
        locked.confirmed_at = timezone.now()
        locked.confirmed_by = actor
        locked.save(update_fields=["phase", "confirmed_at", "confirmed_by"])
        summary = f"Confirmed {made} pairs" + (f"; {failed} could not be made" if failed else "")
        _edit(locked, actor, "confirm", summary)
    return {"made": made, "failed": failed}


def _notify_confirmed(pair: ProposedPair, scheme: Scheme, link: str) -> None:
    # Names and the scheme only: never why they were matched (that draws on sensitive details).
    notify(
        person=pair.mentee,
        kind="matching.matched",
        title=f"You have a mentor in {scheme.name}",
        body=f"{pair.mentor.full_name} will be your mentor. The coordinator will be in touch "
        "about your first meeting.",
        link=link,
        dedupe_key=f"matching.matched.{pair.pk}.mentee",
    )
    notify(
        person=pair.mentor,
        kind="matching.matched",
        title=f"A new mentee in {scheme.name}",
        body=f"You will be mentoring {pair.mentee.full_name}. The coordinator will be in touch "
        "about your first meeting.",
        link=link,
        dedupe_key=f"matching.matched.{pair.pk}.mentor",
    )
