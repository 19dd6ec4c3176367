"""Noticing silence: the inactivity ladder of each scheme, run by a periodic job.

For every pair that works together (active or ending), silence is counted in days from its last
held meeting, or from its start when it has not met yet. Each scheme sets three rungs
(``Scheme.nudge_after_days``, ``prompt_coordinator_after_days``, ``concern_after_days``):

1. a friendly nudge to both parties;
2. a prompt to the scheme's coordinators;
3. a concern, which follows the concern rules (owner, due date, escalation).

Each rung is sent once per silence: its dedupe key holds the relationship and the date the
silence began, so a job run every hour, a retried job, or two workers at once on PostgreSQL send
it once, and a new silence after the next meeting starts a fresh ladder. A job that first runs
late (a worker was down) sends every rung already reached, because what is due is worked out
from the data, not from the schedule.

The same pass refreshes ``PairSilence``, from which the coordinators' lists read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TypeVar

import structlog
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from peercircle.concerns.choices import Severity, Source
from peercircle.concerns.models import Concern, PairSilence
from peercircle.concerns.services import concern_raise, responsible_for
from peercircle.meetings.selectors import last_held_meeting_dates
from peercircle.notifications.models import Notification
from peercircle.notifications.services import notify
from peercircle.people.models import Person
from peercircle.relationships.choices import WORKING
from peercircle.relationships.models import Participant, Relationship
from peercircle.schemes.models import Scheme

log = structlog.get_logger("peercircle.reminders")

# Keeps each IN (...) list well under every database's limit on query parameters.
CHUNK = 500
# Sends per transaction: one commit per batch instead of per message (SQLite syncs each commit).
BATCH = 50
NUDGE, PROMPT, CONCERN = "nudge", "prompt", "concern"
T = TypeVar("T")


@dataclass(frozen=True)
class Silence:
    relationship_id: int
    scheme: Scheme
    since: date  # the last held meeting, or the start
    met: bool
    days: int

    @property
    def key(self) -> str:
        return f"silence:{self.relationship_id}:{self.since.isoformat()}"

    def rungs(self) -> list[str]:
        reached = []
        if self.days >= self.scheme.nudge_after_days:
            reached.append(NUDGE)
        if self.days >= self.scheme.prompt_coordinator_after_days:
            reached.append(PROMPT)
        if self.days >= self.scheme.concern_after_days:
            reached.append(CONCERN)
        return reached


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the organisation's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def working_pairs(*, today: date) -> list[Silence]:
    """How long every working pair of an active scheme has been quiet (three queries)."""
    schemes = {s.pk: s for s in Scheme.objects.filter(is_active=True)}
    working = Relationship.objects.filter(status__in=WORKING, scheme_id__in=list(schemes))
    last = last_held_meeting_dates(working.values("pk"))
    found = []
    for pk, scheme_id, started_on, created_at in working.values_list(
        "pk", "scheme_id", "started_on", "created_at"
    ).order_by("pk"):
        held = last.get(pk)
        since = held or started_on or timezone.localdate(created_at)
        found.append(Silence(pk, schemes[scheme_id], since, held is not None, (today - since).days))
    return found


def silences(*, today: date) -> list[Silence]:
    """The working pairs that have reached at least their scheme's nudge."""
    return [s for s in working_pairs(today=today) if s.rungs()]


def pair_silence_refresh(pairs: Sequence[Silence]) -> int:
    """Bring ``PairSilence`` in line with ``pairs`` (every working pair); returns rows written.

    Only differences are written, so an hourly run touches a handful of rows. Safe to run twice
    at once: inserts ignore a row the other run wrote, and both would write the same values.
    """
    now = timezone.now()
    stored = {
        pk: (since, met)
        for pk, since, met in PairSilence.objects.values_list("relationship_id", "since", "met")
    }
    wanted = {p.relationship_id: p for p in pairs}
    gone = [pk for pk in stored if pk not in wanted]
    for chunk in _chunks(gone):
        PairSilence.objects.filter(relationship_id__in=chunk).delete()
    new = [p for pk, p in wanted.items() if pk not in stored]
    changed = [p for pk, p in wanted.items() if pk in stored and stored[pk] != (p.since, p.met)]

    def row(p: Silence) -> PairSilence:
        return PairSilence(
            organisation_id=p.scheme.organisation_id,
            relationship_id=p.relationship_id,
            scheme_id=p.scheme.pk,
            since=p.since,
            met=p.met,
            breaks_at=day_start(p.since + timedelta(days=1)),
            refreshed_at=now,
        )

    PairSilence.objects.bulk_create([row(p) for p in new], batch_size=CHUNK, ignore_conflicts=True)
    PairSilence.objects.bulk_update(
        [row(p) for p in changed],
        ["scheme", "since", "met", "breaks_at", "refreshed_at"],
        batch_size=CHUNK,
    )
    return len(gone) + len(new) + len(changed)


def _existing(keys: Iterable[str], *, concerns: bool = False) -> set[str]:
    """Which of ``keys`` were already used (as notification dedupe keys or concern keys).

    The ``exclude(...="")`` lets SQLite use the partial unique indexes (which leave out empty
    keys); without it each chunk scanned every notification of the organisation.
    """
    keys = list(keys)
    found: set[str] = set()
    for chunk in _chunks(keys):
        if concerns:
            found.update(
                Concern.objects.filter(source_key__in=chunk)
                .exclude(source_key="")
                .order_by()
                .values_list("source_key", flat=True)
            )
        else:
            found.update(
                Notification.objects.filter(dedupe_key__in=chunk)
                .exclude(dedupe_key="")
                .order_by()
                .values_list("dedupe_key", flat=True)
            )
    return found


def _relationship_link(relationship_id: int) -> str:
    return reverse("relationships:detail", args=[relationship_id])


def _nudge(silence: Silence, person: Person, others: list[Person]) -> bool:
    names = " and ".join(p.given_name for p in others) or "your match"
    scheme = silence.scheme
    return (
        notify(
            person=person,
            kind="silence_nudge",
            title="Time to meet again?",
            body=(
                f"It is {silence.days} days since you and {names} last met in {scheme.name} "
                f"(the scheme asks for a meeting at least every {scheme.meeting_every_days} "
                "days). Book your next meeting in PeerCircle, or log one you have already had."
            ),
            link=_relationship_link(silence.relationship_id),
            dedupe_key=f"{silence.key}:{NUDGE}:{person.pk}",
        )
        is not None
    )


def _prompt(silence: Silence, coordinator: Person) -> bool:
    scheme = silence.scheme
    return (
        notify(
            person=coordinator,
            kind="silence_prompt",
            title=f"A pair in {scheme.name} has not met for {silence.days} days",
            body=(
                f"A pair has logged no meeting since {date_format(silence.since, 'j F Y')}. "
                f"They were nudged after {scheme.nudge_after_days} days. Open PeerCircle to see "
                "which pair and get in touch."
            ),
            link=_relationship_link(silence.relationship_id),
            dedupe_key=f"{silence.key}:{PROMPT}:{coordinator.pk}",
        )
        is not None
    )


def _raise_concern(silence: Silence, relationship: Relationship) -> bool:
    concern = concern_raise(
        scheme=silence.scheme,
        source=Source.INACTIVITY,
        severity=Severity.MEDIUM,
        actor=None,
        relationship=relationship,
        source_key=silence.key,
        audit_source="task",
    )
    return concern is not None


@dataclass
class _Plan:
    """What one run still has to send, worked out before anything is sent."""

    nudges: dict[int, list[int]]  # relationship id -> person ids still to nudge
    prompts: dict[int, list[Person]]  # relationship id -> coordinators still to prompt
    concerns: set[int]  # relationship ids whose concern is still to raise


def _plan(due: list[Silence], parties: dict[int, list[int]]) -> _Plan:
    coordinators: dict[int, list[Person]] = {}
    keys: list[str] = []
    for silence in due:
        keys += [f"{silence.key}:{NUDGE}:{pk}" for pk in parties[silence.relationship_id]]
        if PROMPT in silence.rungs():
            scheme = silence.scheme
            if scheme.pk not in coordinators:
                coordinators[scheme.pk] = responsible_for(scheme)
            keys += [f"{silence.key}:{PROMPT}:{c.pk}" for c in coordinators[scheme.pk]]
    # After the first run almost everything was sent: one read spares inserts that would fail.
    sent = _existing(keys)
    raised = _existing((s.key for s in due if CONCERN in s.rungs()), concerns=True)
    plan = _Plan({}, {}, set())
    for silence in due:
        rid = silence.relationship_id
        nudge = [pk for pk in parties[rid] if f"{silence.key}:{NUDGE}:{pk}" not in sent]
        if nudge:
            plan.nudges[rid] = nudge
        if PROMPT in silence.rungs():
            prompt = [
                c
                for c in coordinators[silence.scheme.pk]
                if f"{silence.key}:{PROMPT}:{c.pk}" not in sent
            ]
            if prompt:
                plan.prompts[rid] = prompt
        if CONCERN in silence.rungs() and silence.key not in raised:
            plan.concerns.add(rid)
    return plan


def silence_ladder_run(*, today: date | None = None) -> dict[str, int]:
    """Send every rung due in the organisation in scope; returns how many of each were sent."""
    today = today or timezone.localdate()
    pairs = working_pairs(today=today)
    refreshed = pair_silence_refresh(pairs)
    due = [s for s in pairs if s.rungs()]
    sent: Counter[str] = Counter({NUDGE: 0, PROMPT: 0, CONCERN: 0})
    parties: dict[int, list[int]] = {s.relationship_id: [] for s in due}
    for chunk in _chunks(list(parties)):
        for rid, person_id in (
            Participant.objects.filter(relationship_id__in=chunk)
            .order_by("id")
            .values_list("relationship_id", "person_id")
        ):
            parties[rid].append(person_id)
    plan = _plan(due, parties)
    todo = [
        s
        for s in due
        if s.relationship_id in plan.nudges
        or s.relationship_id in plan.prompts
        or s.relationship_id in plan.concerns
    ]
    for batch in _chunks(todo, BATCH):
        ids = [s.relationship_id for s in batch]
        people = Person.objects.in_bulk([pk for rid in ids for pk in parties[rid]])
        relationships = Relationship.objects.in_bulk([rid for rid in ids if rid in plan.concerns])
        with transaction.atomic():
            for silence in batch:
                rid = silence.relationship_id
                for person_id in plan.nudges.get(rid, []):
                    others = [people[pk] for pk in parties[rid] if pk != person_id and pk in people]
                    if _nudge(silence, people[person_id], others):
                        sent[NUDGE] += 1
                for coordinator in plan.prompts.get(rid, []):
                    if _prompt(silence, coordinator):
                        sent[PROMPT] += 1
                if rid in plan.concerns and _raise_concern(silence, relationships[rid]):
                    sent[CONCERN] += 1
    log.info(
        "reminders.silence",
        today=today.isoformat(),
        pairs=len(pairs),
        silent=len(due),
        refreshed=refreshed,
        **sent,
    )
    return dict(sent)
