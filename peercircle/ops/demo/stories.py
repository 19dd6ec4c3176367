"""The demo's relationships, planned up front from the same seed as its people (no database).

Two kinds, both plain data:

* **Stories**: a handful of relationships in the carer mentoring scheme that show every part of
  a relationship's life (agreements and their versions, confidentiality statements, meetings
  held, booked, cancelled and missed, records with actions and flags, concerns and what the
  coordinator did with them, a pair that stopped meeting, an ending with feedback, an
  allegation). The writer tells them through the services, at the moments the plan gives.
* **Plain** relationships: the two rounds of the staff peer rotation, the support of staff on
  probation and, in larger demos, more mentoring pairs; each with its held meetings and no
  records. Small demos write them through the services too, large ones in bulk.

Every date is relative to the plan's ``today``. A story needs particular people (the demo
mentor and mentee logins, eligible mentors, mentees who are not the one the matching must
explain); a demo too small for a story leaves it out rather than bend it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from peercircle.ops.demo import vocab
from peercircle.schemes.choices import PARTICIPATING, Role

if TYPE_CHECKING:
    from peercircle.ops.demo.plan import MembershipPlan, _Planner

# Values of the relationships', meetings' and concerns' choices, spelled out so that the plan
# stays free of model imports; the tests hold them to the choices.
MENTOR, MENTEE, PEER, SUPPORTER, SUPPORTED = "mentor", "mentee", "peer", "supporter", "supported"
NEW_CARER, SPECIFIC, PEER_PURPOSE, PROBATION, INVESTIGATION = (
    "new_carer",
    "specific",
    "peer",
    "probation",
    "investigation",
)
HELD, BOOKED, CANCELLED, MISSED = "held", "booked", "cancelled", "missed"
IN_PERSON, PHONE, VIDEO = "in_person", "phone", "video"

ROTATION_DAYS = 182  # the rotation template's six months
# Mentees a demo keeps waiting for a match, at least, so that matching has work to do: most of
# them in a large demo, which is there for scale work on matching.
KEEP_WAITING = 6
WAITING_SHARE = 0.8
# Plain mentoring pairs of a large demo that stopped meeting, for the silence lists at scale.
QUIET_SHARE = 0.01


@dataclass(frozen=True)
class ActionPlan:
    key: str  # unique in its relationship, so a later record can mark it done
    owner: str  # person key
    text: str


@dataclass(frozen=True)
class RecordPlan:
    author: str
    discussion: str
    helpful: str = ""
    not_helpful: str = ""
    flags: tuple[str, ...] = ()
    actions: tuple[ActionPlan, ...] = ()
    done: tuple[str, ...] = ()  # keys of earlier actions done by this meeting


@dataclass(frozen=True)
class ConcernStep:
    """What the coordinator does with the concern a record's flags raised."""

    at: datetime
    action: str  # "assign", "note" or "status"
    value: str  # the owner's key, the note's text, or the new status


# Not frozen, with slots: a 50,000-person demo plans 20,000 of these, and frozen ones are slow
# to make. Nothing changes them after planning.
@dataclass(slots=True)
class MeetingPlan:
    starts: datetime  # local time
    status: str
    mode: str = IN_PERSON
    place: str = ""
    minutes: int = 60
    booked: datetime | None = None  # booked ahead at this moment; None: logged once held
    by: str = ""  # who booked or logged it (person key)
    record: RecordPlan | None = None
    concern: tuple[ConcernStep, ...] = ()


@dataclass(frozen=True)
class AgreementPlan:
    at: datetime
    author: str
    sections: tuple[tuple[str, str], ...]  # sections that differ from the scheme's template
    accepted: tuple[tuple[str, datetime], ...]


@dataclass(frozen=True)
class FeedbackPlan:
    person: str
    at: datetime
    usefulness: int
    answers: tuple[tuple[str, str], ...]
    would_again: bool | None
    would_recommend: bool | None


@dataclass(frozen=True)
class EndPlan:
    on: date
    reason: str
    feedback: tuple[FeedbackPlan, ...] = ()


@dataclass(frozen=True)
class AllegationPlan:
    at: datetime
    received_on: date
    reference: str
    notes: str


@dataclass(frozen=True)
class SupportRequestPlan:
    person: str
    at: datetime
    message: str
    severity: str


@dataclass
class RelationshipPlan:
    key: str
    scheme: str
    purpose: str
    members: tuple[tuple[str, str], ...]  # (person key, side), the giver first
    started_on: date
    planned_end_on: date | None = None  # None: the scheme's default for the purpose
    story: str = ""  # what the relationship shows; "" for a plain one
    meetings: list[MeetingPlan] = field(default_factory=list)
    agreements: list[AgreementPlan] = field(default_factory=list)
    statements: list[tuple[str, datetime]] = field(default_factory=list)
    support_request: SupportRequestPlan | None = None
    # An allegation about this relationship's giver, recorded at ``allegation.at``.
    allegation: AllegationPlan | None = None
    # Appointed to support the subject of the allegation in relationship ``supports``.
    supports: str = ""
    ended: EndPlan | None = None

    @property
    def plain(self) -> bool:
        return not self.story


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


class _Storyteller:
    def __init__(self, planner: _Planner) -> None:
        self.p = planner
        self.rng = planner.rng
        self.today = planner.today
        self.people = {person.key: person for person in planner.plan.people}
        self.relationships: list[RelationshipPlan] = []
        self.coordinator = ""  # the key of the carer mentoring scheme's demo coordinator
        for m in planner.plan.memberships:
            if m.scheme == "mentoring" and m.role == Role.COORDINATOR:
                self.coordinator = m.person
                break

    def d(self, days_ago: int) -> date:
        return self.today - timedelta(days=days_ago)

    def new(self, **fields: Any) -> RelationshipPlan:
        relationship = RelationshipPlan(key=f"r{len(self.relationships) + 1}", **fields)
        self.relationships.append(relationship)
        return relationship

    # People ---------------------------------------------------------------------------------
    def _members(self, scheme: str, role: Role) -> list[MembershipPlan]:
        return [
            m
            for m in self.p.plan.memberships
            if m.scheme == scheme and m.role == role and m.status in PARTICIPATING
        ]

    def _starts_after(self, m: MembershipPlan, start: date) -> None:
        """Make a membership (and a new carer's approval) come before the relationship."""
        if m.joined_on >= start:
            m.joined_on = start - timedelta(days=self.rng.randint(7, 30))
            m.status_changed_on = min(m.status_changed_on, m.joined_on)
        m.status_changed_on = min(m.status_changed_on, start)
        person = self.people[m.person]
        approved = person.data.get("approved_on")
        if approved is None or approved >= m.joined_on:
            person.data["approved_on"] = m.joined_on - timedelta(days=self.rng.randint(10, 60))

    def _paired(self, m: MembershipPlan, start: date) -> None:
        self._starts_after(m, start)
        m.waiting_since = None

    # Meetings and records -------------------------------------------------------------------
    def place(self) -> tuple[str, str]:
        mode = self.p.weighted(((IN_PERSON, 6), (PHONE, 2), (VIDEO, 2)))
        return mode, self.p.pick(vocab.MEETING_PLACES) if mode == IN_PERSON else ""

    def hour(self) -> tuple[int, int]:
        return self.p.pick((10, 11, 13, 14, 18, 19)), self.p.pick((0, 0, 30))

    def held(self, day: date, by: str, record: RecordPlan | None = None) -> MeetingPlan:
        mode, place = self.place()
        hour, minute = self.hour()
        return MeetingPlan(
            starts=at(day, hour, minute),
            status=HELD,
            mode=mode,
            place=place,
            minutes=self.p.pick((45, 60, 60, 90)),
            by=by,
            record=record,
        )

    def booked(self, day: date, status: str, by: str, booked_days_before: int) -> MeetingPlan:
        hour, minute = self.hour()
        place = self.p.pick(vocab.MEETING_PLACES)
        return MeetingPlan(
            starts=at(day, hour, minute),
            status=status,
            place=place,
            booked=at(day - timedelta(days=booked_days_before), 20, 15),
            by=by,
        )

    def backwards(self, start: date, last: int, *, gap: tuple[int, int] = (26, 34)) -> list[date]:
        """Meeting days from ``last`` days ago back towards the start, a month or so apart."""
        days, day = [], self.d(last)
        while day >= start + timedelta(days=5):
            days.append(day)
            day -= timedelta(days=self.rng.randint(*gap))
        return days[::-1]

    def records(
        self,
        days: list[date],
        *,
        mentor: str,
        mentee: str,
        script: tuple[str, ...],
        keep_open: int = 2,
        written: Callable[[int], bool] = lambda n: True,
    ) -> list[RecordPlan | None]:
        """A record for each meeting day that is ``written``: the script's points in order,
        actions carried forward until done (the last ``keep_open`` stay open)."""
        sides = {"mentor": mentor, "mentee": mentee}
        open_keys: list[str] = []
        made: list[RecordPlan | None] = []
        for n, _day in enumerate(days):
            if not written(n):
                made.append(None)
                continue
            text_for = vocab.ACTIONS[(n * 2 + len(script)) % len(vocab.ACTIONS)]
            more = vocab.ACTIONS[(n * 2 + 1 + len(script)) % len(vocab.ACTIONS)]
            actions = tuple(
                ActionPlan(f"a{n}-{i}", sides[side], text)
                for i, (side, text) in enumerate((text_for, more)[: self.rng.randint(1, 2)])
            )
            done = tuple(open_keys[: max(0, len(open_keys) - keep_open)])
            open_keys = [k for k in open_keys if k not in done] + [a.key for a in actions]
            made.append(
                RecordPlan(
                    author=mentor if n % 3 != 2 else mentee,
                    discussion=script[n % len(script)],
                    helpful=self.p.pick(vocab.HELPFUL),
                    not_helpful=self.p.pick(vocab.NOT_HELPFUL),
                    actions=actions,
                    done=done,
                )
            )
        return made

    def flag(
        self,
        record: RecordPlan | None,
        flags: tuple[str, ...],
        *,
        author: str,
        discussion: str = "",
    ) -> RecordPlan:
        """The record of a hard meeting: ``author`` flags difficulties on it."""
        if record is None:
            raise ValueError("A flag is raised on a meeting's record: write the record.")
        return replace(
            record, author=author, flags=flags, discussion=discussion or record.discussion
        )

    def signed(
        self, members: tuple[tuple[str, str], ...], start: date
    ) -> list[tuple[str, datetime]]:
        return [
            (key, at(start + timedelta(days=n * 2), 16, 30)) for n, (key, _) in enumerate(members)
        ]

    def agreement(
        self,
        members: tuple[tuple[str, str], ...],
        start: date,
        sections: tuple[tuple[str, str], ...],
    ) -> AgreementPlan:
        giver, receiver = members[0][0], members[1][0]
        return AgreementPlan(
            at=at(start, 15),
            author=giver,
            sections=sections,
            accepted=((giver, at(start, 15, 30)), (receiver, at(start + timedelta(days=2), 17))),
        )

    # The stories ----------------------------------------------------------------------------
    def tell(self) -> list[RelationshipPlan]:
        mentors = [
            m
            for m in self._members("mentoring", Role.MENTOR)
            if self.p.mentor_kinds.get(m.person) == "established"
        ]
        mentor_keys = list(self.p.mentor_kinds)
        story = [
            next((m for m in mentors if m.person == mentor_keys[i]), None)
            for i in self.p.STORY_MENTORS
            if i < len(mentor_keys)
        ]
        lead, quiet, subject, supporter = (story + [None] * 4)[:4]
        mentees = self._members("mentoring", Role.MENTEE)
        mentee_keys = [
            m.person for m in self.p.plan.memberships if m.role == Role.MENTEE
        ]  # in the order the planner made them: the first is the mentee login
        login = next((m for m in mentees if m.person == mentee_keys[0]), None)
        # The second mentee speaks a language few share: they wait, so matching must explain.
        others = [m for m in mentees if m is not login and m.person != mentee_keys[1]]

        def take() -> MembershipPlan | None:
            return others.pop(0) if others else None

        if lead is not None and login is not None:
            self.lead_pair(lead, login)
        if lead is not None and (mentee := take()) is not None:
            self.ending_soon(lead, mentee)
        if quiet is not None and (mentee := take()) is not None:
            self.quiet_pair(quiet, mentee)
        if quiet is not None and (mentee := take()) is not None:
            self.ended(quiet, mentee)
        paused = None
        if subject is not None and (mentee := take()) is not None:
            paused = self.paused(subject, mentee)
        if supporter is not None:
            if paused is not None and subject is not None:
                self.investigation_support(supporter, subject, paused)
            if (mentee := take()) is not None:
                self.specific(supporter, mentee)
        used = {m.person for m in story if m is not None}
        self.plain_mentoring([m for m in mentors if m.person not in used], others)
        self.rotation()
        return self.relationships

    def lead_pair(self, mentor_m: MembershipPlan, mentee_m: MembershipPlan) -> None:
        """The demo mentor and mentee: five months in, everything a working pair has."""
        mentor, mentee = mentor_m.person, mentee_m.person
        start = self.d(self.rng.randint(150, 165))
        self._paired(mentee_m, start)
        members = ((mentor, MENTOR), (mentee, MENTEE))
        days = [self.d(n + self.rng.randint(-1, 1)) for n in (128, 98, 67, 38, 10)]
        days = [start + timedelta(days=7), *(d for d in days if d > start + timedelta(days=14))]
        records = self.records(
            days, mentor=mentor, mentee=mentee, script=vocab.DISCUSSION_NEW_CARER
        )
        # The latest meeting was a hard one: the mentor flags that the carer is stressed.
        records[-1] = self.flag(
            records[-1], ("stressed",), author=mentor, discussion=vocab.DISCUSSION_STRAINED[0]
        )
        flagged = days[-1]
        meetings = [
            self.held(day, mentor, record) for day, record in zip(days, records, strict=True)
        ]
        # The coordinator picks the concern up the next morning and rings the carer.
        meetings[-1] = replace(
            meetings[-1],
            concern=(
                ConcernStep(at(flagged + timedelta(days=1), 9, 30), "assign", self.coordinator),
                ConcernStep(at(flagged + timedelta(days=1), 11), "note", vocab.CONCERN_NOTE),
            ),
        )
        # Booked, then cancelled: the pair had met earlier than planned.
        cancelled = self.booked(days[-3] + timedelta(days=6), CANCELLED, mentee, 12)
        booked = self.booked(self.today + timedelta(days=6), BOOKED, mentor, 8)
        meetings += [cancelled, booked]
        meetings.sort(key=lambda m: m.starts)
        revised = AgreementPlan(
            at=at(days[-2] + timedelta(days=1), 20),
            author=mentor,
            sections=(("goals", vocab.AGREEMENT_GOALS_REVISED),),
            accepted=((mentor, at(days[-2] + timedelta(days=1), 20, 5)),),
        )
        self.new(
            scheme="mentoring",
            purpose=NEW_CARER,
            members=members,
            started_on=start,
            story="The demo mentor and mentee: records, open actions, a flag the coordinator "
            "owns, a new agreement version for the mentee to accept, a meeting next week",
            meetings=meetings,
            agreements=[
                self.agreement(members, start, (("goals", vocab.AGREEMENT_GOALS),)),
                revised,
            ],
            statements=self.signed(members, start),
            support_request=SupportRequestPlan(
                person=mentee,
                at=at(self.d(2), 21, 10),
                message=vocab.SUPPORT_REQUEST,
                severity="medium",
            ),
        )

    def ending_soon(self, mentor_m: MembershipPlan, mentee_m: MembershipPlan) -> None:
        """Six months for a specific purpose, ending within four weeks; a meeting missed; a
        "needs support" flag nobody has picked up, so it is overdue and goes to the admins."""
        mentor, mentee = mentor_m.person, mentee_m.person
        start = self.d(self.rng.randint(160, 168))
        self._paired(mentee_m, start)
        members = ((mentor, MENTOR), (mentee, MENTEE))
        days = self.backwards(start, 6)
        records = self.records(days, mentor=mentor, mentee=mentee, script=vocab.DISCUSSION_SPECIFIC)
        records[-1] = self.flag(
            records[-1],
            ("needs_support", "overworked"),
            author=mentor,
            discussion=vocab.DISCUSSION_STRAINED[1],
        )
        meetings = [
            self.held(day, mentor, record) for day, record in zip(days, records, strict=True)
        ]
        missed_day = days[-2] - timedelta(days=7) if len(days) > 1 else days[-1] - timedelta(3)
        meetings.append(self.booked(missed_day, MISSED, mentee, 10))
        meetings.sort(key=lambda m: m.starts)
        self.new(
            scheme="mentoring",
            purpose=SPECIFIC,
            members=members,
            started_on=start,
            story="A specific purpose, ending within four weeks; a missed meeting; an overdue "
            '"needs support" concern escalated to the admins',
            meetings=meetings,
            agreements=[
                self.agreement(members, start, (("purpose", vocab.AGREEMENT_PURPOSE_SPECIFIC),))
            ],
            statements=self.signed(members, start),
        )

    def quiet_pair(self, mentor_m: MembershipPlan, mentee_m: MembershipPlan) -> None:
        """Met monthly, then stopped about seven weeks ago: nudged, and the coordinator told."""
        mentor, mentee = mentor_m.person, mentee_m.person
        start = self.d(self.rng.randint(125, 140))
        self._paired(mentee_m, start)
        members = ((mentor, MENTOR), (mentee, MENTEE))
        days = self.backwards(start, self.rng.randint(50, 54))
        records = self.records(
            days,
            mentor=mentor,
            mentee=mentee,
            script=vocab.DISCUSSION_NEW_CARER,
            written=lambda n: n % 2 == 0,
        )
        self.new(
            scheme="mentoring",
            purpose=NEW_CARER,
            members=members,
            started_on=start,
            story="A pair that quietly stopped meeting about seven weeks ago",
            meetings=[
                self.held(day, mentor, record) for day, record in zip(days, records, strict=True)
            ],
            agreements=[self.agreement(members, start, (("goals", vocab.AGREEMENT_GOALS),))],
            statements=self.signed(members, start),
        )

    def ended(self, mentor_m: MembershipPlan, mentee_m: MembershipPlan) -> None:
        """A year together, ended as planned; an old flag dealt with and closed; feedback."""
        mentor, mentee = mentor_m.person, mentee_m.person
        start = self.d(self.rng.randint(405, 420))
        self._paired(mentee_m, start)
        ended_on = self.d(self.rng.randint(40, 48))
        members = ((mentor, MENTOR), (mentee, MENTEE))
        last = (self.today - ended_on).days + 7
        days = self.backwards(start, last)
        flagged = min(3, len(days) - 1)
        records = self.records(
            days,
            mentor=mentor,
            mentee=mentee,
            script=vocab.DISCUSSION_NEW_CARER,
            written=lambda n: n % 3 == 0 or n == flagged,
        )
        records[flagged] = self.flag(records[flagged], ("overworked",), author=mentee)
        meetings = []
        for n, (day, rec) in enumerate(zip(days, records, strict=True)):
            meeting = self.held(day, mentor, rec)
            if n == flagged:
                meeting = replace(
                    meeting,
                    concern=(
                        ConcernStep(at(day + timedelta(days=2), 10), "assign", self.coordinator),
                        ConcernStep(at(day + timedelta(days=2), 10, 20), "note", vocab.CLOSED_NOTE),
                        ConcernStep(at(day + timedelta(days=6), 9), "status", "resolved"),
                        ConcernStep(at(day + timedelta(days=20), 9), "status", "closed"),
                    ),
                )
            meetings.append(meeting)
        feedback = (
            FeedbackPlan(
                mentor,
                at(ended_on + timedelta(days=2), 19),
                5,
                tuple(vocab.FEEDBACK_MENTOR.items()),
                True,
                True,
            ),
            FeedbackPlan(
                mentee,
                at(ended_on + timedelta(days=4), 21),
                4,
                tuple(vocab.FEEDBACK_MENTEE.items()),
                True,
                True,
            ),
        )
        self.new(
            scheme="mentoring",
            purpose=NEW_CARER,
            members=members,
            started_on=start,
            story="Ended as planned after a year, with both parties' exit feedback and a "
            "closed concern",
            meetings=meetings,
            agreements=[self.agreement(members, start, (("goals", vocab.AGREEMENT_GOALS),))],
            statements=self.signed(members, start),
            ended=EndPlan(on=ended_on, reason="planned", feedback=feedback),
        )

    def paused(self, mentor_m: MembershipPlan, mentee_m: MembershipPlan) -> RelationshipPlan:
        """Paused twelve days ago: the mentor is the subject of an allegation."""
        mentor, mentee = mentor_m.person, mentee_m.person
        start = self.d(self.rng.randint(80, 95))
        self._paired(mentee_m, start)
        members = ((mentor, MENTOR), (mentee, MENTEE))
        days = self.backwards(start, 18)
        records = self.records(
            days, mentor=mentor, mentee=mentee, script=vocab.DISCUSSION_NEW_CARER
        )
        received = self.d(12)
        return self.new(
            scheme="mentoring",
            purpose=NEW_CARER,
            members=members,
            started_on=start,
            story="Paused by an allegation about the mentor",
            meetings=[self.held(d, mentor, r) for d, r in zip(days, records, strict=True)],
            agreements=[self.agreement(members, start, (("goals", vocab.AGREEMENT_GOALS),))],
            statements=self.signed(members, start),
            allegation=AllegationPlan(
                at=at(received, 15, 40),
                received_on=received,
                reference=f"LADO/{received.year}/{self.rng.randint(100, 999)}",
                notes=vocab.ALLEGATION_NOTES,
            ),
        )

    def investigation_support(
        self, supporter_m: MembershipPlan, subject_m: MembershipPlan, paused: RelationshipPlan
    ) -> None:
        """A mentor appointed to support the carer under investigation (handbook §12)."""
        start = self.d(10)
        self.new(
            scheme="mentoring",
            purpose=INVESTIGATION,
            members=((supporter_m.person, SUPPORTER), (subject_m.person, SUPPORTED)),
            started_on=start,
            story="A mentor supporting the carer under investigation",
            meetings=[self.held(self.d(5), supporter_m.person)],
            supports=paused.key,
        )

    def specific(self, mentor_m: MembershipPlan, mentee_m: MembershipPlan) -> None:
        """Two months into six for a specific purpose, going well."""
        mentor, mentee = mentor_m.person, mentee_m.person
        start = self.d(self.rng.randint(55, 65))
        self._paired(mentee_m, start)
        members = ((mentor, MENTOR), (mentee, MENTEE))
        days = self.backwards(start, self.rng.randint(12, 16))
        records = self.records(days, mentor=mentor, mentee=mentee, script=vocab.DISCUSSION_SPECIFIC)
        self.new(
            scheme="mentoring",
            purpose=SPECIFIC,
            members=members,
            started_on=start,
            story="Two months into six for a specific purpose, going well",
            meetings=[self.held(d, mentor, r) for d, r in zip(days, records, strict=True)],
            agreements=[
                self.agreement(members, start, (("purpose", vocab.AGREEMENT_PURPOSE_SPECIFIC),))
            ],
            statements=self.signed(members, start),
        )

    # Plain relationships --------------------------------------------------------------------
    def plain_meetings(
        self, start: date, by: str, *, quiet: bool = False, most: int = 2
    ) -> list[MeetingPlan]:
        """The latest meetings of a plain pair (a few rows each: 50,000 people make 10,000
        pairs), the last within the month unless the pair is ``quiet``."""
        last = self.rng.randint(36, 90) if quiet else self.rng.randint(3, 28)
        return [self.held(day, by) for day in self.backwards(start, last)[-most:]]

    def plain_mentoring(self, mentors: list[MembershipPlan], mentees: list[MembershipPlan]) -> None:
        """One mentee each for free eligible mentors, while enough mentees still wait."""
        keep = max(KEEP_WAITING, math.ceil(WAITING_SHARE * len(mentees)))
        pairs = min(len(mentors), max(0, len(mentees) - keep))
        for mentor_m, mentee_m in zip(mentors[:pairs], mentees[:pairs], strict=True):
            purpose = self.p.weighted(((NEW_CARER, 75), (SPECIFIC, 25)))
            oldest = 300 if purpose == NEW_CARER else 140
            earliest = max(mentor_m.status_changed_on, self.d(oldest)) + timedelta(days=7)
            start = min(earliest + timedelta(days=self.rng.randint(0, 120)), self.d(20))
            self._paired(mentee_m, start)
            self.new(
                scheme="mentoring",
                purpose=purpose,
                members=((mentor_m.person, MENTOR), (mentee_m.person, MENTEE)),
                started_on=start,
                meetings=self.plain_meetings(
                    start, mentor_m.person, quiet=self.rng.random() < QUIET_SHARE
                ),
            )
        del mentees[:pairs]

    def rotation(self) -> None:
        """The staff peer rotation: last round's pairs (ended at the last rotation), this
        round's pairs, and a one-way supporter for each member on probation."""
        peers = self._members("rotation", Role.PEER)
        if not peers:
            return
        last_rotation = self.d(self.rng.randint(50, 70))
        first_rotation = last_rotation - timedelta(days=ROTATION_DAYS)
        # The demo peer login takes part in both rounds.
        login = next((m for m in peers if self.people[m.person].login), None)
        if login is not None:
            self._starts_after(login, first_rotation)
        on_probation = [m for m in peers if self.people[m.person].data.get("on_probation")]
        settled = [m for m in peers if not self.people[m.person].data.get("on_probation")]

        def round_of(start: date, avoid: set[frozenset[str]]) -> list[tuple[str, str]]:
            keys = [m.person for m in settled if m.joined_on <= start]
            self.rng.shuffle(keys)
            if login is not None and login.person in keys:
                keys.remove(login.person)
                keys.insert(0, login.person)
            # Each person meets the next one who was not their partner last round; the few
            # left waiting are always short lists, so this stays linear at 50,000 people.
            pairs: list[tuple[str, str]] = []
            waiting: list[str] = []
            for key in keys:
                partner = next((w for w in waiting if frozenset((w, key)) not in avoid), None)
                if partner is None:
                    waiting.append(key)
                else:
                    waiting.remove(partner)
                    pairs.append((partner, key))
            return pairs

        earlier = round_of(first_rotation, set())
        for a, b in earlier:
            self.new(
                scheme="rotation",
                purpose=PEER_PURPOSE,
                members=((a, PEER), (b, PEER)),
                started_on=first_rotation,
                planned_end_on=last_rotation,
                ended=EndPlan(on=last_rotation, reason="rotation"),
            )
        current = round_of(last_rotation, {frozenset(pair) for pair in earlier})
        for a, b in current:
            self.new(
                scheme="rotation",
                purpose=PEER_PURPOSE,
                members=((a, PEER), (b, PEER)),
                started_on=last_rotation,
                meetings=self.plain_meetings(last_rotation, a, most=1),
            )
        supporters = [a for a, _ in current] or [m.person for m in settled]
        for n, member in enumerate(on_probation):
            if not supporters:
                break
            start = max(member.joined_on + timedelta(days=7), self.d(120))
            start = min(start, self.d(20))
            supporter = supporters[n % len(supporters)]
            self.new(
                scheme="rotation",
                purpose=PROBATION,
                members=((supporter, SUPPORTER), (member.person, SUPPORTED)),
                started_on=start,
                meetings=self.plain_meetings(start, supporter),
            )


def plan_relationships(planner: _Planner) -> list[RelationshipPlan]:
    """The demo's relationships, after its people and memberships are planned."""
    return _Storyteller(planner).tell()
