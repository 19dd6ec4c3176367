"""Writes of peer rotations: preview a round, work it out, approve, cancel and publish it.

Keyword-only, atomic and audited. Publishing goes through the relationships services, so a
rotation's relationships get the same checks, events and audit trail as hand-made ones.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING

import structlog
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from matchengine.errors import ProblemError
from matchengine.rotation import Link, solve_rotation
from peercircle.audit.services import audit_record
from peercircle.notifications.services import Message, notify, notify_many
from peercircle.organisations.tenancy import organisation_scope, scopes_disabled
from peercircle.people.models import Person
from peercircle.relationships import services as relationships
from peercircle.relationships.choices import EndReason, Kind, Purpose, Side, Status
from peercircle.relationships.models import Participant, Relationship
from peercircle.relationships.selectors import coordinators_of
from peercircle.rotations.adapter import (
    EXCLUSION_ROUND,
    Built,
    RotationRefused,
    active_peers,
    build_problem,
    check_enough_members,
    check_rotation_scheme,
    count_active_peers,
    name_of,
    pair_key,
    round_label,
)
from peercircle.rotations.models import (
    EngineState,
    PairKind,
    RotationRound,
    RoundPair,
    RoundStatus,
)
from peercircle.rotations.selectors import next_rotation_date
from peercircle.schemes.models import Scheme

if TYPE_CHECKING:
    from peercircle.accounts.models import User

log = structlog.get_logger("peercircle.rotations")

# Up to this many active peers the engine runs while the coordinator waits (well under a
# second); above it, as a background task with progress on the page.
SYNC_MEMBERS = 400
# Up to this many pairs "publish now" writes the relationships in the request.
SYNC_PAIRS = 200
# Relationships a new round replaces: everything current except those paused (an allegation
# pauses them; the coordinator decides about those).
REPLACED = (Status.PROPOSED, Status.ACTIVE, Status.ENDING)


def _open_round(scheme: Scheme) -> RotationRound | None:
    return RotationRound.objects.filter(
        scheme=scheme, status__in=(RoundStatus.PREVIEW, RoundStatus.APPROVED)
    ).first()


def _next_number(scheme: Scheme) -> int:
    latest = RotationRound.objects.filter(scheme=scheme, status=RoundStatus.PUBLISHED).aggregate(
        n=Max("number")
    )["n"]
    return (latest or 0) + 1


def round_preview(*, scheme: Scheme, actor: User | None, odd_member: str = "trio") -> RotationRound:
    """Start working out the next round; a preview not yet approved is replaced.

    Small schemes are worked out at once; large ones as a background task (``compute_round``),
    which the page follows.
    """
    check_rotation_scheme(scheme)
    count = count_active_peers(scheme)
    check_enough_members(scheme, count)
    try:
        with transaction.atomic():
            current = _open_round(scheme)
            if current is not None and current.status == RoundStatus.APPROVED:
                raise RotationRefused(
                    f"Round {current.number} is approved for "
                    f"{current.rotation_date:%d %B %Y}. Cancel it first to preview a new one."
                )
            if current is not None:
                current.status = RoundStatus.CANCELLED
                current.save(update_fields=["status"])
            rotation_round = RotationRound.objects.create(
                organisation_id=scheme.organisation_id,
                scheme=scheme,
                number=_next_number(scheme),
                status=RoundStatus.PREVIEW,
                members=count,
                summary={"odd_member_rule": odd_member},
                created_by=actor,
            )
            audit_record(
                organisation=scheme.organisation,
                actor=actor,
                action="rotation.preview",
                target=rotation_round,
                summary=f"Previewed round {rotation_round.number} of {scheme.name}",
            )
            if count > SYNC_MEMBERS:
                from peercircle.rotations.tasks import compute_round

                pk, org = rotation_round.pk, scheme.organisation_id
                transaction.on_commit(lambda: compute_round.enqueue(pk, org))
    except IntegrityError as exc:
        raise RotationRefused(
            "Someone else started a preview of this scheme at the same moment. Reload the page "
            "to see it."
        ) from exc
    if count <= SYNC_MEMBERS:
        # A fault is logged and stored on the round, whose page then says so.
        with contextlib.suppress(Exception):
            round_compute(rotation_round=rotation_round)
        rotation_round.refresh_from_db()
    return rotation_round


class _Progress:
    """Writes the engine's progress to the round at most once a second (its own commit, so the
    page polling it sees the stage while the engine is still running)."""

    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.last = 0.0

    def __call__(self, stage: str, fraction: float) -> None:
        now = time.monotonic()
        if now - self.last < 1.0 and fraction not in (0.0, 1.0):
            return
        self.last = now
        RotationRound.objects.filter(pk=self.pk).update(
            engine_stage=stage[:100], engine_progress=max(0.0, min(1.0, fraction))
        )


def round_compute(*, rotation_round: RotationRound) -> None:
    """Run the engine for a previewed round and store its pairs; a refusal is stored in words."""
    scheme = rotation_round.scheme
    claimed = RotationRound.objects.filter(
        pk=rotation_round.pk,
        status=RoundStatus.PREVIEW,
        engine_state__in=(EngineState.QUEUED, EngineState.FAILED),
    ).update(engine_state=EngineState.RUNNING, engine_stage="reading the members")
    if not claimed:
        return  # cancelled meanwhile, or another worker runs it
    odd = str(rotation_round.summary.get("odd_member_rule", "trio"))
    started = time.monotonic()
    try:
        # Probation is judged on the day the round will start: the next rotation date.
        on = rotation_round.rotation_date or next_rotation_date(scheme, timezone.localdate())
        built = build_problem(scheme, odd_member=odd, on=on)
        result = solve_rotation(built.problem, progress=_Progress(rotation_round.pk))
    except (RotationRefused, ProblemError) as exc:
        message = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        RotationRound.objects.filter(pk=rotation_round.pk).update(
            engine_state=EngineState.FAILED, engine_message=message
        )
        return
    except Exception:
        # A fault of ours, not of the data: the page must stop waiting and say so.
        log.exception("rotations.compute_failed", round=rotation_round.pk)
        RotationRound.objects.filter(pk=rotation_round.pk).update(
            engine_state=EngineState.FAILED,
            engine_message="Something went wrong while working out the pairs; it has been "
            "logged. Preview the round again, and tell your administrator if it happens again.",
        )
        raise
    seconds = time.monotonic() - started
    pairs = [_pair(rotation_round, built, link, result_links=result.links) for link in result.links]
    report = result.to_json()
    summary = {
        "odd_member_rule": odd,
        "summary": report["summary"],
        "score": report["score"],
        "notes": [*built.notes, *report["notes"]],
        "criteria": built.criteria_words,
        "weights": built.weights,
        "odd_member": int(result.odd_member) if result.odd_member is not None else None,
        "unpaired": [{"person": int(u.id), "reason": u.reason} for u in result.unpaired]
        + [{"person": pk, "reason": why} for pk, why in sorted(built.left_out.items())],
        "seconds": round(seconds, 2),
    }
    with transaction.atomic():
        still = (
            RotationRound.objects.select_for_update()
            .filter(pk=rotation_round.pk, status=RoundStatus.PREVIEW)
            .first()
        )
        if still is None:
            return  # replaced by a newer preview while the engine ran
        RoundPair.objects.filter(round=still).delete()
        RoundPair.objects.bulk_create(pairs, batch_size=2000)
        RotationRound.objects.filter(pk=still.pk).update(
            engine_state=EngineState.DONE,
            engine_stage="",
            engine_progress=1.0,
            engine_message="",
            members=len(built.members) + len(built.left_out),
            summary=summary,
        )
    log.info("rotations.computed", round=rotation_round.pk, links=len(pairs), seconds=seconds)


def _pair(
    rotation_round: RotationRound, built: Built, link: Link, *, result_links: tuple[Link, ...]
) -> RoundPair:
    a, b = int(link.members[0]), int(link.members[1])
    members = built.members
    parts = "; ".join(
        f"{str(p.to_json()['label']).capitalize()}: {p.detail} (+{p.weight * p.similarity:.3f})"
        for p in link.parts
    )
    text = f"Fit {link.fit:.3f}. " + (parts + "." if parts else "No weighted criterion in common.")
    if link.kind == "trio":
        pair = next(
            (other for other in result_links if other.kind == "mutual" and str(b) in other.members),
            None,
        )
        joined = (
            " and ".join(name_of(members, x) for x in pair.members)
            if pair is not None
            else name_of(members, b)
        )
        text += f" {name_of(members, a)} is the odd member out and joins {joined} as a trio."
    elif link.kind == "support":
        why = "on probation" if members[b].probation else "the odd member out"
        text += (
            f" {name_of(members, b)} is {why}, so receives support one way; "
            f"{name_of(members, a)} keeps their own mutual peer."
        )
    breaks = pair_key(a, b) in built.exclusions
    reason = ""
    if breaks:
        reason = (
            f"{name_of(members, a)} and {name_of(members, b)} are marked never to be paired "
            f"again ({built.exclusions[pair_key(a, b)]}), but no arrangement without them "
            "together exists. Remove that exclusion or change who takes part, then preview again."
        )
    elif link.repeat_of is not None and link.repeat_of != EXCLUSION_ROUND:
        reason = (
            f"{name_of(members, a)} and {name_of(members, b)} were already paired in "
            f"{round_label(link.repeat_of)}. They have already been paired with nearly everyone "
            "else, so no arrangement without a repeat exists; this is the least recent earlier "
            "pair that could be used."
        )
    return RoundPair(
        organisation_id=rotation_round.organisation_id,
        round=rotation_round,
        kind=PairKind(link.kind),
        person_a_id=a,
        person_b_id=b,
        fit=link.fit,
        explanation=text,
        is_repeat=link.repeat_of is not None,
        repeat_reason=reason,
        breaks_exclusion=breaks,
    )


@transaction.atomic
def round_approve(
    *,
    rotation_round: RotationRound,
    actor: User | None,
    rotation_date: date,
    today: date | None = None,
) -> RotationRound:
    """Approve a worked-out preview to be published on ``rotation_date``."""
    today = today or timezone.localdate()
    if rotation_round.status != RoundStatus.PREVIEW:
        raise ValidationError("Only a preview can be approved; this round is not one any more.")
    if rotation_round.engine_state != EngineState.DONE:
        raise ValidationError("The pairs are not worked out yet: wait until the preview is ready.")
    if rotation_date < today:
        raise ValidationError(
            {"rotation_date": "The rotation date cannot be in the past: choose today or later."}
        )
    if not rotation_round.pairs.exists():
        raise ValidationError(
            "This round pairs nobody (see who is without a peer, and why), so publishing it "
            "would only end the current pairs. Change who takes part, then preview again."
        )
    if rotation_round.pairs.filter(breaks_exclusion=True).exists():
        raise ValidationError(
            "This preview pairs people who are marked never to be paired again. Resolve that "
            "(see the pairs marked below), then preview again."
        )
    updated = RotationRound.objects.filter(pk=rotation_round.pk, status=RoundStatus.PREVIEW).update(
        status=RoundStatus.APPROVED,
        rotation_date=rotation_date,
        approved_by=actor,
        approved_at=timezone.now(),
        publish_error="",
    )
    if not updated:
        raise ValidationError("Someone else changed this round meanwhile: reload the page.")
    rotation_round.refresh_from_db()
    audit_record(
        organisation=rotation_round.scheme.organisation,
        actor=actor,
        action="rotation.approve",
        target=rotation_round,
        summary=f"Approved round {rotation_round.number} for {rotation_date:%d %B %Y}",
    )
    return rotation_round


@transaction.atomic
def round_cancel(*, rotation_round: RotationRound, actor: User | None) -> RotationRound:
    updated = RotationRound.objects.filter(
        pk=rotation_round.pk, status__in=(RoundStatus.PREVIEW, RoundStatus.APPROVED)
    ).update(status=RoundStatus.CANCELLED)
    if not updated:
        raise ValidationError("Only a preview or an approved round can be cancelled.")
    rotation_round.refresh_from_db()
    audit_record(
        organisation=rotation_round.scheme.organisation,
        actor=actor,
        action="rotation.cancel",
        target=rotation_round,
        summary=f"Cancelled round {rotation_round.number}",
    )
    return rotation_round


@transaction.atomic
def round_publish(
    *,
    rotation_round: RotationRound,
    actor: User | None,
    today: date | None = None,
    now: bool = False,
    source: str = "page",
) -> bool:
    """Publish an approved round: end the current peer relationships, create the new ones and
    tell the people. False if the round was not (or no longer) due: another worker published
    it, or it was cancelled.

    The claim is one conditional UPDATE; on PostgreSQL a second worker's UPDATE waits for the
    first to commit and then finds the round published, so a round is published exactly once.
    Any refusal rolls everything back, the claim included.
    """
    today = today or timezone.localdate()
    # A round another worker is publishing right now (a large one takes minutes) is skipped,
    # not waited for; the conditional UPDATE below is what makes the claim exactly once.
    free = (
        RotationRound.objects.select_for_update(skip_locked=True)
        .filter(pk=rotation_round.pk, status=RoundStatus.APPROVED)
        .values_list("pk", flat=True)
    )
    if not list(free):
        return False
    due = RotationRound.objects.filter(pk=rotation_round.pk, status=RoundStatus.APPROVED)
    if now:
        fields: dict[str, object] = {"rotation_date": today, "publish_error": ""}
    else:
        due = due.filter(rotation_date__lte=today, publish_error="")
        fields = {}
    if not due.update(status=RoundStatus.PUBLISHED, published_at=timezone.now(), **fields):
        return False
    rotation_round.refresh_from_db()
    scheme = rotation_round.scheme
    start = rotation_round.rotation_date or today
    pairs = list(rotation_round.pairs.select_related("person_a", "person_b").order_by("id"))
    _check_still_members(scheme, pairs)

    # In bulk: a fixed number of queries per thousand relationships, so 20,000 members take
    # seconds, not the quarter of an hour one relationship at a time took.
    ended_people: dict[int, Person] = {}
    current = list(
        Relationship.objects.filter(
            scheme=scheme, kind__in=(Kind.PEER_PAIR, Kind.SUPPORT), status__in=REPLACED
        ).order_by("id")
    )
    relationships.relationships_end_many(
        relationships=current, reason=EndReason.ROTATION, actor=actor, ended_on=start
    )
    # Joined, not prefetched: on SQLite, prefetching the people of 500 relationships fails
    # ("Expression tree is too large"), as the earlier one-at-a-time publish did.
    ended_ids = [r.pk for r in current]
    for at in range(0, len(ended_ids), relationships.CHUNK):
        for participant in (
            Participant.objects.filter(relationship_id__in=ended_ids[at : at + relationships.CHUNK])
            .select_related("person")
            .order_by("relationship_id", "id")
        ):
            ended_people[participant.person_id] = participant.person

    planned_end = relationships.months_after(start, scheme.rotation_months)
    peers_of: dict[int, list[str]] = defaultdict(list)
    supports: dict[int, list[str]] = defaultdict(list)
    supporters: dict[int, list[str]] = defaultdict(list)
    people: dict[int, Person] = {}
    items: list[relationships.NewRelationship] = []
    for pair in pairs:
        a, b = pair.person_a, pair.person_b
        people[a.pk], people[b.pk] = a, b
        if pair.kind == PairKind.SUPPORT:
            members = [(a, Side.SUPPORTER), (b, Side.SUPPORTED)]
            purpose = Purpose.PROBATION if b.on_probation else Purpose.PEER
            supports[a.pk].append(b.full_name)
            supporters[b.pk].append(a.full_name)
        else:
            members = [(a, Side.PEER), (b, Side.PEER)]
            purpose = Purpose.PEER
            peers_of[a.pk].append(b.full_name)
            peers_of[b.pk].append(a.full_name)
        items.append(
            relationships.NewRelationship(
                members=members, purpose=purpose, started_on=start, planned_end_on=planned_end
            )
        )
    created = relationships.relationships_create_many(
        scheme=scheme, items=items, actor=actor, source="rotation"
    )
    for pair, relationship in zip(pairs, created, strict=True):
        pair.relationship = relationship
    RoundPair.objects.bulk_update(pairs, ["relationship"], batch_size=2000)

    when = f"{start.day} {start:%B %Y}"
    messages: list[Message] = []
    for pk in people:
        ended = (
            " Your earlier pairing in this scheme ends as the rotation moves on."
            if pk in ended_people
            else ""
        )
        messages.append(
            Message(
                person=people[pk],
                kind="rotation.published",
                title=f"Your peers in {scheme.name} from {when}",
                body=f"From {when}, {_news(peers_of[pk], supports[pk], supporters[pk])}. Arrange "
                f"your first meeting soon.{ended}",
                link=reverse("rotations:history", args=[scheme.slug, pk]),
                dedupe_key=f"rotation:{rotation_round.pk}:{pk}",
            )
        )
    for pk, person in ended_people.items():
        if pk in people:
            continue
        messages.append(
            Message(
                person=person,
                kind="rotation.published",
                title=f"Your peer pairing in {scheme.name} ended on {when}",
                body="The peer rotation moved on. Thank you for supporting each other.",
                link=reverse("rotations:history", args=[scheme.slug, pk]),
                dedupe_key=f"rotation:{rotation_round.pk}:{pk}",
            )
        )
    notify_many(messages)
    audit_record(
        organisation=scheme.organisation,
        actor=actor,
        action="rotation.publish",
        target=rotation_round,
        summary=f"Published round {rotation_round.number} of {scheme.name} on {start}: "
        f"{len(pairs)} links, {len(ended_people)} people's earlier pairs ended",
        source=source,
    )
    log.info("rotations.published", round=rotation_round.pk, links=len(pairs))
    return True


def _names(names: list[str]) -> str:
    return " and ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " and " + names[-1]


def _news(peers: list[str], supports: list[str], supporters: list[str]) -> str:
    """What changes for one person, e.g. "your peer is Ana Lee; you also support Ben Ode"."""
    parts = []
    if len(peers) == 1:
        parts.append(f"your peer is {peers[0]}")
    elif peers:
        parts.append(f"you are in a trio with {_names(peers)}")
    if supports:
        also = "you also support" if peers else "you support"
        parts.append(f"{also} {_names(supports)} one way")
    if supporters:
        parts.append(f"{_names(supporters)} supports you")
    return "; ".join(parts)


def _check_still_members(scheme: Scheme, pairs: list[RoundPair]) -> None:
    people = {p.person_a_id: p.person_a for p in pairs} | {p.person_b_id: p.person_b for p in pairs}
    active = set(Person.objects.filter(pk__in=active_peers(scheme)).values_list("pk", flat=True))
    gone = sorted(
        (person for pk, person in people.items() if pk not in active), key=lambda p: p.full_name
    )
    if gone:
        names = ", ".join(p.full_name for p in gone[:5])
        more = f" and {len(gone) - 5} more" if len(gone) > 5 else ""
        raise ValidationError(
            f"{names}{more} {'is' if len(gone) == 1 else 'are'} no longer an active peer of "
            f"{scheme.name}, so this round cannot be published as it stands. Cancel it and "
            "preview the round again."
        )


def round_publish_now(*, rotation_round: RotationRound, actor: User | None) -> bool:
    """Publish today; a large round is handed to the worker. True if published already."""
    if rotation_round.status != RoundStatus.APPROVED:
        raise ValidationError("Only an approved round can be published: approve it first.")
    if rotation_round.pairs.count() <= SYNC_PAIRS:
        if not round_publish(rotation_round=rotation_round, actor=actor, now=True):
            raise ValidationError("This round was published or cancelled meanwhile.")
        return True
    from peercircle.rotations.tasks import publish_round_now

    RotationRound.objects.filter(pk=rotation_round.pk).update(
        rotation_date=timezone.localdate(), publish_error=""
    )
    user_id = actor.pk if actor is not None else None
    pk, org = rotation_round.pk, rotation_round.organisation_id
    transaction.on_commit(lambda: publish_round_now.enqueue(pk, org, user_id))
    return False


def record_publish_failure(rotation_round: RotationRound, exc: ValidationError) -> None:
    """Keep why publishing was refused, and tell the coordinators once."""
    message = " ".join(exc.messages)
    RotationRound.objects.filter(pk=rotation_round.pk, status=RoundStatus.APPROVED).update(
        publish_error=message
    )
    scheme = rotation_round.scheme
    for coordinator in coordinators_of(scheme):
        notify(
            person=coordinator,
            kind="rotation.publish_failed",
            title=f"Round {rotation_round.number} of {scheme.name} could not be published",
            body=message,
            link=reverse("rotations:round", args=[scheme.slug, rotation_round.pk]),
            dedupe_key=f"rotation-failed:{rotation_round.pk}:{coordinator.pk}",
        )
    log.warning("rotations.publish_failed", round=rotation_round.pk, reason=message)


def publish_due_rounds(*, today: date) -> int:
    """Publish every approved round whose rotation date has come; returns how many this call
    published (a round another worker got first is not counted)."""
    with scopes_disabled():
        due = list(
            RotationRound.objects.filter(
                status=RoundStatus.APPROVED, rotation_date__lte=today, publish_error=""
            )
            .select_related("scheme__organisation")
            .order_by("rotation_date", "pk")
        )
    published = 0
    for rotation_round in due:
        with organisation_scope(rotation_round.scheme.organisation):
            try:
                if round_publish(
                    rotation_round=rotation_round, actor=None, today=today, source="schedule"
                ):
                    published += 1
            except ValidationError as exc:
                record_publish_failure(rotation_round, exc)
    log.info("rotations.due_published", published=published, today=today.isoformat())
    return published
