"""Write the demo's relationships (``stories.py``) once its people exist.

The stories always go through the services, each step at its own moment on the demo clock, so
their encryption, audit trail, history, notifications and concerns are the real thing. Plain
relationships go through the services in a small demo and in batches in a large one (a test
holds the two ways together). Last, the periodic jobs run once as the worker would today: the
silence ladder, the escalation of concerns nobody took, and the prompts before planned endings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import TYPE_CHECKING

from django.db.models import F
from django.utils import timezone

from peercircle.concerns.models import Concern
from peercircle.concerns.reminders import silence_ladder_run
from peercircle.concerns.services import (
    concern_assign,
    concern_note_add,
    concern_set_status,
    concerns_escalate_overdue,
    support_request_send,
)
from peercircle.meetings.models import Meeting
from peercircle.meetings.services import meeting_book, meeting_log_held, meeting_set_status
from peercircle.records.models import ActionItem
from peercircle.records.services import NewAction, RecordInput, record_create
from peercircle.relationships.agreements.services import (
    agreement_accept,
    agreement_current,
    agreement_revise,
    statement_sign,
    template_sections,
)
from peercircle.relationships.allegations.models import Allegation
from peercircle.relationships.allegations.services import (
    allegation_appoint_support,
    allegation_record,
)
from peercircle.relationships.choices import EndReason, Status
from peercircle.relationships.endings.services import (
    _prompt as ending_prompt,
)
from peercircle.relationships.endings.services import (
    exit_feedback_submit,
    relationship_close,
)
from peercircle.relationships.models import Participant, Relationship
from peercircle.relationships.selectors import coordinators_of, relationships_ending_soon
from peercircle.relationships.services import (
    KIND_SIDES,
    default_planned_end,
    relationship_create,
    relationship_end,
)
from peercircle.schemes.choices import Role

from .clock import aware, demo_clock
from .stories import (
    BOOKED,
    CANCELLED,
    AllegationPlan,
    EndPlan,
    FeedbackPlan,
    MeetingPlan,
    RecordPlan,
    RelationshipPlan,
    SupportRequestPlan,
)

if TYPE_CHECKING:
    from peercircle.accounts.models import User
    from peercircle.organisations.models import Organisation
    from peercircle.people.models import Person
    from peercircle.schemes.models import Scheme

    from .plan import DemoPlan

BATCH = 2000


def kind_of(members: Sequence[tuple[str, str]]) -> str:
    sides = sorted(side for _, side in members)
    return next(k for k, expected in KIND_SIDES.items() if sorted(expected) == sides)


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


class _Teller:
    """Tells the stories: every step of every story, in the order they happened."""

    def __init__(
        self, plan: DemoPlan, schemes: dict[str, Scheme], people: dict[str, Person]
    ) -> None:
        self.plan = plan
        self.schemes = schemes
        self.people = people
        self.steps: list[_Step] = []
        self.relationships: dict[str, Relationship] = {}
        self.allegations: dict[str, Allegation] = {}
        self.meetings: dict[tuple[str, int], Meeting] = {}
        self.actions: dict[tuple[str, str], int] = {}
        self.coordinators = {
            m.scheme: m.person for m in reversed(plan.memberships) if m.role == Role.COORDINATOR
        }

    def user(self, key: str) -> User | None:
        return self.people[key].user

    def coordinator(self, scheme: str) -> User | None:
        key = self.coordinators.get(scheme)
        return self.user(key) if key else None

    def at(self, moment: datetime, run: Callable[[], None]) -> None:
        self.steps.append(_Step(moment, len(self.steps), run))

    def fresh(self, key: str) -> Relationship:
        relationship = Relationship.objects.select_related("scheme").get(
            pk=self.relationships[key].pk
        )
        self.relationships[key] = relationship
        return relationship

    def run(self) -> None:
        for step in sorted(self.steps):
            with demo_clock(aware(step.at)):
                step.run()

    # Planning the steps --------------------------------------------------------------------
    def add(self, r: RelationshipPlan) -> None:
        self.at(datetime.combine(r.started_on, time(9)), lambda: self.create(r))
        for agreement in r.agreements:
            sections = dict(agreement.sections)
            self.at(agreement.at, partial(self.revise, r, agreement.author, sections))
            for person, moment in agreement.accepted:
                self.at(moment, partial(self.accept, r, person))
        for person, moment in r.statements:
            self.at(moment, partial(self.sign, r, person))
        for n, meeting in enumerate(r.meetings):
            self.add_meeting(r, n, meeting)
        if (request := r.support_request) is not None:
            self.at(request.at, partial(self.ask_for_support, r, request))
        if (allegation := r.allegation) is not None:
            self.at(allegation.at, partial(self.allege, r, allegation))
        if (ended := r.ended) is not None:
            self.at(datetime.combine(ended.on, time(17)), partial(self.end, r, ended))
            for feedback in ended.feedback:
                self.at(feedback.at, partial(self.feedback, r, feedback))

    def add_meeting(self, r: RelationshipPlan, n: int, m: MeetingPlan) -> None:
        ends = m.starts + timedelta(minutes=m.minutes)
        if m.booked is not None:
            self.at(m.booked, lambda: self.book(r, n, m))
            if m.status == CANCELLED:
                self.at(max(m.booked, m.starts - timedelta(days=2)), lambda: self.settle(r, n, m))
            elif m.status != BOOKED:
                self.at(ends + timedelta(minutes=30), lambda: self.settle(r, n, m))
        else:
            self.at(ends + timedelta(hours=1), lambda: self.log(r, n, m))
        if (record := m.record) is not None:
            self.at(ends + timedelta(hours=3), partial(self.write_record, r, n, record))
        for step in m.concern:
            self.at(step.at, partial(self.handle_concern, r, n, step.action, step.value))

    # The steps -----------------------------------------------------------------------------
    def create(self, r: RelationshipPlan) -> None:
        scheme = self.schemes[r.scheme]
        actor = self.coordinator(r.scheme)
        if r.supports:
            supporter, _ = r.members[0]
            relationship = allegation_appoint_support(
                allegation=self.allegations[r.supports],
                supporter=self.people[supporter],
                scheme=scheme,
                actor=actor,
            )
        else:
            relationship = relationship_create(
                scheme=scheme,
                members=[(self.people[key], side) for key, side in r.members],
                purpose=r.purpose,
                actor=actor,
                started_on=r.started_on,
                planned_end_on=r.planned_end_on,
                source="demo",
            )
        self.relationships[r.key] = relationship

    def revise(self, r: RelationshipPlan, author: str, sections: dict[str, str]) -> None:
        relationship = self.fresh(r.key)
        current = agreement_current(relationship)
        text = (
            current.sections if current is not None else template_sections(relationship.scheme)[0]
        )
        agreement_revise(
            relationship=relationship,
            sections={**text, **sections},
            actor=self.user(author),
            based_on=current.number if current is not None else 0,
        )

    def accept(self, r: RelationshipPlan, person: str) -> None:
        relationship = self.fresh(r.key)
        current = agreement_current(relationship)
        if current is None:
            raise RuntimeError(f"The demo plan accepts an agreement of {r.key} before writing it.")
        agreement_accept(
            relationship=relationship,
            person=self.people[person],
            number=current.number,
            actor=self.user(person),
        )

    def sign(self, r: RelationshipPlan, person: str) -> None:
        statement_sign(
            relationship=self.fresh(r.key), person=self.people[person], actor=self.user(person)
        )

    def book(self, r: RelationshipPlan, n: int, m: MeetingPlan) -> None:
        self.meetings[r.key, n] = meeting_book(
            relationship=self.fresh(r.key),
            starts_at=aware(m.starts),
            duration_minutes=m.minutes,
            mode=m.mode,
            place=m.place,
            actor=self.user(m.by),
        )

    def settle(self, r: RelationshipPlan, n: int, m: MeetingPlan) -> None:
        meeting = Meeting.objects.get(pk=self.meetings[r.key, n].pk)
        self.meetings[r.key, n] = meeting_set_status(
            meeting=meeting,
            status=m.status,
            actor=self.user(m.by),
            expected_version=meeting.version,
        )

    def log(self, r: RelationshipPlan, n: int, m: MeetingPlan) -> None:
        self.meetings[r.key, n] = meeting_log_held(
            relationship=self.fresh(r.key),
            starts_at=aware(m.starts),
            duration_minutes=m.minutes,
            mode=m.mode,
            place=m.place,
            actor=self.user(m.by),
        )

    def write_record(self, r: RelationshipPlan, n: int, plan: RecordPlan) -> None:
        meeting = Meeting.objects.select_related("relationship__scheme").get(
            pk=self.meetings[r.key, n].pk
        )
        author = self.people[plan.author]
        actor = self.user(plan.author)
        record = record_create(
            meeting=meeting,
            author=author,
            actor=actor,
            data=RecordInput(
                discussion=plan.discussion,
                helpful=plan.helpful,
                not_helpful=plan.not_helpful,
                flags=plan.flags,
                new_actions=[NewAction(a.text, self.people[a.owner]) for a in plan.actions],
                done_action_ids=[self.actions[r.key, key] for key in plan.done],
            ),
        )
        made = ActionItem.objects.filter(record=record).order_by("id").values_list("pk", flat=True)
        for action, pk in zip(plan.actions, made, strict=True):
            self.actions[r.key, action.key] = pk
        if plan.flags and actor is None:
            # The service names the signed-in author as the raiser; demo parties without a
            # sign-in account wrote theirs, all the same.
            Concern.objects.filter(record_id=record.pk).update(raised_by=author)

    def handle_concern(self, r: RelationshipPlan, n: int, action: str, value: str) -> None:
        record_id = Meeting.objects.get(pk=self.meetings[r.key, n].pk).record.pk
        concern = Concern.objects.filter(record_id=record_id).select_related("scheme").latest("id")
        actor = self.coordinator(r.scheme)
        if action == "assign":
            concern_assign(
                concern=concern,
                owner=self.people[value],
                actor=actor,
                expected_version=concern.version,
            )
        elif action == "note":
            owner = concern.owner or self.people[self.coordinators[r.scheme]]
            concern_note_add(concern=concern, author=owner, text=value, actor=actor)
        else:
            concern_set_status(
                concern=concern, to_status=value, actor=actor, expected_version=concern.version
            )

    def ask_for_support(self, r: RelationshipPlan, request: SupportRequestPlan) -> None:
        support_request_send(
            person=self.people[request.person],
            scheme=self.schemes[r.scheme],
            message=request.message,
            severity=request.severity,
            actor=self.user(request.person),
            relationship=self.fresh(r.key),
        )

    def allege(self, r: RelationshipPlan, allegation: AllegationPlan) -> None:
        subject, _ = r.members[0]
        self.allegations[r.key] = allegation_record(
            subject=self.people[subject],
            received_on=allegation.received_on,
            reference=allegation.reference,
            notes=allegation.notes,
            actor=self.coordinator(r.scheme),
        )

    def end(self, r: RelationshipPlan, ended: EndPlan) -> None:
        relationship = self.fresh(r.key)
        relationship_close(
            relationship=relationship,
            reason=EndReason(ended.reason),
            actor=self.coordinator(r.scheme),
            expected_version=relationship.version,
            ended_on=ended.on,
        )

    def feedback(self, r: RelationshipPlan, f: FeedbackPlan) -> None:
        exit_feedback_submit(
            relationship=self.fresh(r.key),
            person=self.people[f.person],
            usefulness=f.usefulness,
            answers=dict(f.answers),
            would_again=f.would_again,
            would_recommend=f.would_recommend,
            actor=self.user(f.person),
        )


def _plain_with_services(
    relationships: Iterable[RelationshipPlan],
    schemes: dict[str, Scheme],
    people: dict[str, Person],
    actors: dict[str, User | None],
) -> None:
    for r in relationships:
        scheme = schemes[r.scheme]
        actor = actors.get(r.scheme)
        with demo_clock(aware(datetime.combine(r.started_on, time(9)))):
            relationship = relationship_create(
                scheme=scheme,
                members=[(people[key], side) for key, side in r.members],
                purpose=r.purpose,
                actor=actor,
                started_on=r.started_on,
                planned_end_on=r.planned_end_on,
                source="demo",
            )
        for m in r.meetings:
            with demo_clock(aware(m.starts + timedelta(minutes=m.minutes, hours=1))):
                meeting_log_held(
                    relationship=relationship,
                    starts_at=aware(m.starts),
                    duration_minutes=m.minutes,
                    mode=m.mode,
                    place=m.place,
                    actor=people[m.by].user,
                )
        if r.ended is not None:
            with demo_clock(aware(datetime.combine(r.ended.on, time(17)))):
                relationship.refresh_from_db()
                relationship_end(
                    relationship=relationship,
                    reason=r.ended.reason,
                    actor=actor,
                    expected_version=relationship.version,
                    ended_on=r.ended.on,
                )


def _plain_in_bulk(
    relationships: Sequence[RelationshipPlan],
    org: Organisation,
    schemes: dict[str, Scheme],
    people: dict[str, Person],
) -> None:
    """The same relationships and meetings as ``_plain_with_services``, in batches; without
    the history and audit trail of each (the large demo's one audit event says how it was
    built), which would add a row for each of them."""
    rows = []
    for r in relationships:
        scheme = schemes[r.scheme]
        rows.append(
            Relationship(
                organisation=org,
                scheme=scheme,
                kind=kind_of(r.members),
                purpose=r.purpose,
                status=Status.ENDED if r.ended else Status.ACTIVE,
                started_on=r.started_on,
                planned_end_on=r.planned_end_on
                or default_planned_end(scheme, r.purpose, r.started_on),
                ended_on=r.ended.on if r.ended else None,
                end_reason=r.ended.reason if r.ended else "",
                version=2 if r.ended else 1,
            )
        )
    made = Relationship.objects.bulk_create(rows, batch_size=BATCH)
    pairs = list(zip(relationships, made, strict=True))
    Participant.objects.bulk_create(
        (
            Participant(organisation=org, relationship=row, person=people[key], side=side)
            for r, row in pairs
            for key, side in r.members
        ),
        batch_size=BATCH,
    )
    Meeting.objects.bulk_create(
        (
            Meeting(
                organisation=org,
                relationship=row,
                starts_at=aware(m.starts),
                duration_minutes=m.minutes,
                mode=m.mode,
                place=m.place,
                status="held",
                updated_by_label="PeerCircle",
            )
            for r, row in pairs
            for m in r.meetings
        ),
        batch_size=BATCH,
    )


def _catch_up(today: date) -> None:
    """What the worker's periodic jobs do on their first run today, in this organisation."""
    silence_ladder_run(today=today)
    concerns_escalate_overdue(now=timezone.now())
    due = relationships_ending_soon(today).exclude(ending_prompt_for=F("planned_end_on"))
    coordinators: dict[int, list[Person]] = {}
    for relationship in due:
        # Claimed as the job claims it, so the worker's first run does not prompt again.
        Relationship.objects.filter(pk=relationship.pk).update(
            ending_prompt_for=F("planned_end_on")
        )
        if relationship.scheme_id not in coordinators:
            coordinators[relationship.scheme_id] = coordinators_of(relationship.scheme)
        ending_prompt(relationship, today, coordinators[relationship.scheme_id])


def write_relationships(
    plan: DemoPlan,
    org: Organisation,
    schemes: dict[str, Scheme],
    people: dict[str, Person],
    *,
    bulk: bool,
) -> None:
    """Write the plan's relationships in the organisation in scope."""
    teller = _Teller(plan, schemes, people)
    for r in plan.relationships:
        if r.story:
            teller.add(r)
    teller.run()
    plain = [r for r in plan.relationships if not r.story]
    if bulk:
        _plain_in_bulk(plain, org, schemes, people)
    else:
        actors = {key: teller.coordinator(key) for key in schemes}
        _plain_with_services(plain, schemes, people, actors)
    if plan.today == timezone.localdate():
        _catch_up(plan.today)
    else:
        with demo_clock(aware(datetime.combine(plan.today, time(12)))):
            _catch_up(plan.today)
