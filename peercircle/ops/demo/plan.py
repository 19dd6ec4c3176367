"""What the demo organisation contains, decided up front from a seed (no database here).

The plan is plain data: the same ``(people, seed, today)`` always gives the same plan, and both
writers (services for the small demo, ``bulk_create`` for 50,000 people) turn the same plan into
the same rows. Dates are relative to ``today`` so that a demo built next year still has training
overdue and mentees waiting a few weeks, not a few years.
"""

from __future__ import annotations

import random
import re
from bisect import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from typing import Any, TypeVar

from peercircle.ops.demo import vocab
from peercircle.ops.demo.stories import RelationshipPlan, plan_relationships
from peercircle.schemes.choices import (
    PARTICIPATING,
    Category,
    RecruitmentStep,
    Role,
    SchemeType,
    Status,
)

DEFAULT_PEOPLE = 60
DEFAULT_SEED = 1
MIN_PEOPLE = 40
MAX_PEOPLE = 200_000
DEFAULT_SLUG = "tri-borough"
DEFAULT_NAME = "Tri-Borough Fostering and Staff Network"

# Shares of everyone who is not an admin, coordinator, supervisor or expert adviser. Mentees
# are a quarter: the demo's relationships take some of them, and enough must still wait for a
# match that a matching run has real work to do.
SHARES = (
    ("mentor", 0.20),
    ("applicant", 0.10),
    ("mentee", 0.26),
    ("staff_peer", 0.18),
    ("guardian", 0.12),
    ("group_peer", 0.11),
    ("facilitator", 0.03),
)

_T = TypeVar("_T")


@dataclass(frozen=True)
class SchemePlan:
    key: str
    name: str
    slug: str
    scheme_type: SchemeType


SCHEMES = (
    SchemePlan("mentoring", "Carer mentoring", "carer-mentoring", SchemeType.MENTORING),
    SchemePlan("rotation", "Staff peer rotation", "staff-peers", SchemeType.ROTATION),
    SchemePlan("teams", "Guardian core teams", "guardian-teams", SchemeType.TEAMS),
    SchemePlan("groups", "Carer support groups", "support-groups", SchemeType.GROUPS),
)


@dataclass
class PersonPlan:
    key: str
    data: dict[str, Any]  # fields for people.services.person_create, without the supervisor
    sensitive: dict[str, Any] = field(default_factory=dict)
    supervisor: str = ""  # key of the supervising social worker
    login: str = ""  # what this demo login shows, e.g. "Coordinator of carer mentoring"


@dataclass(frozen=True)
class StepPlan:
    step: RecruitmentStep
    completed_on: date
    outcome: str = "done"


@dataclass
class MembershipPlan:
    person: str
    scheme: str
    role: Role
    status: Status
    joined_on: date
    status_changed_on: date
    waiting_since: date | None = None
    steps: list[StepPlan] = field(default_factory=list)
    application: dict[str, Any] | None = None


@dataclass(frozen=True)
class TrainingPlan:
    person: str
    kind: str
    title: str
    completed_on: date
    hours: float


@dataclass
class DemoPlan:
    name: str
    slug: str
    seed: int
    today: date
    schemes: tuple[SchemePlan, ...]
    people: list[PersonPlan]
    memberships: list[MembershipPlan]
    training: list[TrainingPlan]
    relationships: list[RelationshipPlan] = field(default_factory=list)

    def logins(self) -> list[tuple[str, str]]:
        """(what the login shows, e-mail) for every demo sign-in account."""
        return [(p.login, p.data["email"]) for p in self.people if p.login]

    def counts(self) -> dict[str, int]:
        return {
            "people": len(self.people),
            "memberships": len(self.memberships),
            "training records": len(self.training),
            "relationships": len(self.relationships),
            "meetings": sum(len(r.meetings) for r in self.relationships),
        }


def role_counts(people: int) -> dict[str, int]:
    """How many people of each kind an organisation of ``people`` has (sums to ``people``)."""
    fixed = {
        "admin": 1,
        "coordinator": max(2, people // 2500),
        "supervisor": max(3, people // 40),
        "expert": max(2, people // 1000),
    }
    rest = people - sum(fixed.values())
    exact = [(kind, rest * share) for kind, share in SHARES]
    counts = {kind: int(value) for kind, value in exact}
    # Largest remainder, so the parts add up to exactly ``people``.
    short = rest - sum(counts.values())
    by_remainder = sorted(exact, key=lambda kv: kv[1] - int(kv[1]), reverse=True)
    for kind, _ in by_remainder[:short]:
        counts[kind] += 1
    return fixed | counts


def _waits(scheme: SchemePlan, role: Role, status: Status) -> bool:
    """Mirror of ``people.services.waits_for_match`` for the plan (tests hold them together)."""
    if status not in PARTICIPATING:
        return False
    if scheme.scheme_type == SchemeType.MENTORING:
        return role == Role.MENTEE
    return scheme.scheme_type in (SchemeType.GROUPS, SchemeType.TEAMS) and role == Role.PEER


class _Planner:
    def __init__(self, *, people: int, seed: int, today: date, slug: str, name: str) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - repeatable demo data, not secrets
        self.today = today
        self.slug = slug
        self.plan = DemoPlan(
            name=name,
            slug=slug,
            seed=seed,
            today=today,
            schemes=SCHEMES,
            people=[],
            memberships=[],
            training=[],
        )
        self.schemes = {s.key: s for s in SCHEMES}
        self.counts = role_counts(people)
        # The kind of each mentor (``MENTOR_KINDS``), so the stories pair eligible mentors only.
        self.mentor_kinds: dict[str, str] = {}
        self.emails: set[str] = set()
        # Running totals of each weight table, worked out once: 50,000 people draw 200,000 times.
        self._cumulative: dict[tuple[tuple[Any, int], ...], list[int]] = {}

    # Random helpers ------------------------------------------------------------------------
    def pick(self, items: Sequence[_T]) -> _T:
        return items[self.rng.randrange(len(items))]

    def weighted(self, pairs: tuple[tuple[_T, int], ...]) -> _T:
        cumulative = self._cumulative.get(pairs)
        if cumulative is None:
            cumulative = self._cumulative[pairs] = list(accumulate(w for _, w in pairs))
        return pairs[bisect(cumulative, self.rng.random() * cumulative[-1])][0]

    def some(self, items: Sequence[str], low: int, high: int) -> list[str]:
        return self.rng.sample(list(items), self.rng.randint(low, high))

    def days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    # People --------------------------------------------------------------------------------
    def _email(self, given: str, family: str, login: str) -> str:
        local = login or re.sub(r"[^a-z.]", "", f"{given}.{family}".lower())
        email, n = f"{local}@{self.slug}.example", 2
        while email in self.emails:
            email, n = f"{local}{n}@{self.slug}.example", n + 1
        self.emails.add(email)
        return email

    def _languages(self, ethnicity: str) -> list[str]:
        by_heritage = {
            "Pakistani": ("Urdu", "Punjabi"),
            "Indian": ("Punjabi", "Gujarati"),
            "Bangladeshi": ("Bengali",),
            "White other": ("Polish", "Romanian", "Lithuanian", "Portuguese"),
            "Black African": ("Somali", "Yoruba", "Tigrinya"),
            "Arab": ("Arabic", "Kurdish"),
            "Chinese": ("Mandarin",),
            "Gypsy or Irish Traveller": ("Romani",),
        }
        languages = ["English"]
        heritage = by_heritage.get(ethnicity)
        if heritage and self.rng.random() < 0.7:
            languages.append(self.pick(heritage))
        roll = self.rng.random()
        if roll < 0.01:
            languages.append(self.pick(vocab.LANGUAGES_RARE))
        elif roll < 0.04:
            languages.append(self.pick(vocab.LANGUAGES_RARER))
        elif roll < 0.08:
            languages.append(self.pick(vocab.LANGUAGES_COMMON))
        return list(dict.fromkeys(languages))

    def _hours(self, patterns: Sequence[tuple[tuple[int, int, int, int], ...]]) -> list[list[int]]:
        return [
            [day, start, end]
            for first, last, start, end in self.pick(patterns)
            for day in range(first, last + 1)
        ]

    def person(
        self,
        *,
        category: str,
        login: str = "",
        login_local: str = "",
        supervisor: str = "",
        **data: Any,
    ) -> PersonPlan:
        index = len(self.plan.people) + 1
        given, family = self.pick(vocab.GIVEN_NAMES), self.pick(vocab.FAMILY_NAMES)
        town, lat, lon = self.pick(vocab.TOWNS)
        ethnicity = self.weighted(vocab.ETHNICITIES)
        staff = category == Category.STAFF
        fields: dict[str, Any] = {
            "external_id": f"TB{index:06d}",
            "given_name": given,
            "family_name": family,
            "email": self._email(given, family, login_local)
            if login_local or self.rng.random() < 0.95
            else "",
            "phone": f"07700 900{self.rng.randrange(1000):03d}",
            "category": category,
            "languages": self._languages(ethnicity),
            "place": town,
            "latitude": round(lat + self.rng.uniform(-0.015, 0.015), 5),
            "longitude": round(lon + self.rng.uniform(-0.015, 0.015), 5),
            "working_hours": self._hours(vocab.STAFF_HOURS if staff else vocab.CARER_HOURS),
            "personality": self.pick(vocab.PERSONALITY),
            "learning_style": self.pick(vocab.LEARNING_STYLE),
            "background": self.some(vocab.BACKGROUND, 0, 2) if not staff else ["social worker"],
        }
        fields.update(data)
        sensitive: dict[str, Any] = {}
        if login_local or self.rng.random() < 0.75:
            sensitive = {
                "gender": self.weighted(vocab.GENDERS),
                "ethnicity": ethnicity,
                "culture": self.some(vocab.CULTURES, 0, 2),
                "relationship_status": self.weighted(vocab.RELATIONSHIP),
            }
        person = PersonPlan(
            key=f"p{index}", data=fields, sensitive=sensitive, supervisor=supervisor, login=login
        )
        self.plan.people.append(person)
        return person

    def join(
        self,
        person: PersonPlan,
        scheme_key: str,
        role: Role,
        status: Status,
        *,
        joined_on: date,
        steps: list[StepPlan] | None = None,
        application: dict[str, Any] | None = None,
        waiting_since: date | None = None,
    ) -> MembershipPlan:
        scheme = self.schemes[scheme_key]
        steps = steps or []
        changed = steps[-1].completed_on if steps else joined_on
        waits = _waits(scheme, role, status)
        membership = MembershipPlan(
            person=person.key,
            scheme=scheme_key,
            role=role,
            status=status,
            joined_on=joined_on,
            status_changed_on=changed,
            waiting_since=(waiting_since or changed) if waits else None,
            steps=steps,
            application=application,
        )
        self.plan.memberships.append(membership)
        return membership

    def train(self, person: PersonPlan, last: date | None) -> None:
        """A training history ending on ``last`` (None: never trained)."""
        if last is None:
            return
        earlier = [last - timedelta(days=365 * n + self.rng.randint(-30, 30)) for n in (1, 2)]
        for n, day in enumerate([last, *earlier[: self.rng.randint(0, 2)]]):
            kind = "support_group" if n == 1 else "training"
            title = "Annual support group" if kind == "support_group" else None
            self.plan.training.append(
                TrainingPlan(
                    person=person.key,
                    kind=kind,
                    title=title or self.pick(vocab.TRAINING_TITLES),
                    completed_on=day,
                    hours=self.pick((2.0, 3.0, 3.5, 6.0)),
                )
            )

    def training_last(self, bucket: str) -> date | None:
        if bucket == "current":
            return self.days_ago(10, 300)
        if bucket == "due":
            return self.days_ago(336, 364)  # overdue within the next 30 days
        if bucket == "overdue":
            return self.days_ago(366, 700)
        return None

    def recruitment(self, start: date, reached: int) -> list[StepPlan]:
        """The first ``reached`` steps from application, a few weeks apart, from ``start``."""
        steps, day = [], start
        for step in list(RecruitmentStep)[:reached]:
            steps.append(StepPlan(step, min(day, self.today)))
            day += timedelta(days=self.rng.randint(12, 25))
        return steps

    # The organisation ----------------------------------------------------------------------
    def build(self) -> DemoPlan:
        c = self.counts
        # The admin needs no scheme: they see the whole organisation.
        self.person(
            category=Category.STAFF,
            login="Organisation admin",
            login_local="admin",
            approved_on=self.days_ago(2000, 5000),
            is_org_admin=True,
        )
        coordinators = [
            self.person(
                category=Category.STAFF,
                login=(
                    "Coordinator of carer mentoring and support groups",
                    "Coordinator of the staff peer rotation and guardian teams",
                )[i]
                if i < 2
                else "",
                login_local=("coordinator", "people-circle")[i] if i < 2 else "",
                approved_on=self.days_ago(700, 6000),
                work_types=["recruitment"],
            )
            for i in range(c["coordinator"])
        ]
        supervisors = [
            self.person(
                category=Category.STAFF,
                login="Supervising social worker" if i == 0 else "",
                login_local="supervisor" if i == 0 else "",
                approved_on=self.days_ago(400, 7000),
                work_types=["supervising social work"],
            )
            for i in range(c["supervisor"])
        ]
        experts = [
            self.person(
                category=Category.STAFF,
                approved_on=self.days_ago(1000, 6000),
                background=[("psychologist", "legal adviser")[i % 2]],
            )
            for i in range(c["expert"])
        ]
        for i, coordinator in enumerate(coordinators):
            joined = self.days_ago(400, 1800)
            keys = ("mentoring", "groups") if i % 2 == 0 else ("rotation", "teams")
            for key in keys:
                self.join(coordinator, key, Role.COORDINATOR, Status.ACTIVE, joined_on=joined)
            if i % 2 == 1:
                # In a co-operative's rotation the coordinators are peers too (003).
                self.join(coordinator, "rotation", Role.PEER, Status.ACTIVE, joined_on=joined)
        for i, supervisor in enumerate(supervisors):
            joined = self.days_ago(300, 2500)
            self.join(supervisor, "mentoring", Role.SUPERVISOR, Status.ACTIVE, joined_on=joined)
            if i % 2 == 1:
                self.join(supervisor, "rotation", Role.PEER, Status.ACTIVE, joined_on=joined)
        for i, expert in enumerate(experts):
            scheme = ("teams", "groups")[i % 2]
            joined = self.days_ago(200, 1500)
            self.join(expert, scheme, Role.EXPERT, Status.ACTIVE, joined_on=joined)
            if i == 0:
                self.join(expert, "mentoring", Role.EXPERT, Status.ACTIVE, joined_on=joined)

        def supervisor_for(i: int) -> str:
            # The demo supervisor supervises the first carers of each kind, so their page
            # shows supervisees; the rest are shared out at random.
            return supervisors[0].key if i < 3 else self.pick(supervisors).key

        self._mentors(c["mentor"], supervisor_for)
        self._applicants(c["applicant"], supervisor_for)
        self._mentees(c["mentee"], supervisor_for)
        self._staff_peers(c["staff_peer"])
        self._guardians(c["guardian"])
        self._groups(c["group_peer"], c["facilitator"], supervisor_for)
        self.plan.relationships = plan_relationships(self)
        return self.plan

    # Mentor kinds: the first five cover every reason to be ineligible under the handbook's rules.
    MENTOR_KINDS = (
        ("established", 60),
        ("recent", 12),
        ("little_active", 10),
        ("respite_short", 10),
        ("no_date", 8),
    )
    TRAINING_BUCKETS = (("current", 55), ("due", 15), ("overdue", 20), ("none", 10))

    # Mentors the relationship stories use: established (eligible), active, and approved as
    # mentors long enough ago to have mentored for more than a year.
    STORY_MENTORS = (0, 5, 6, 7)

    def _mentors(self, count: int, supervisor_for: Any) -> None:
        first: tuple[str, ...] = ("established", "recent", "little_active", "respite_short")
        first += ("no_date", "established", "established", "established")
        for i in range(count):
            kind = first[i] if i < len(first) else self.weighted(self.MENTOR_KINDS)
            category = Category.RESPITE if kind == "respite_short" else Category.MAINSTREAM
            if kind == "established" and i > 0 and self.rng.random() < 0.25:
                category = self.pick((Category.RESPITE, Category.KINSHIP))
            approved: date | None
            if kind == "recent":
                approved, active = self.days_ago(240, 660), self.rng.randint(6, 20)
            elif kind == "little_active":
                approved, active = self.days_ago(1100, 3000), self.rng.randint(2, 10)
            elif kind == "respite_short":
                approved, active = self.days_ago(760, 1060), self.rng.randint(18, 30)
            elif kind == "no_date":
                approved, active = None, self.rng.randint(24, 120)
            else:
                approved = self.days_ago(1100 if category != Category.RESPITE else 1500, 5500)
                active = self.rng.randint(30, 160)
            mentor = self.person(
                category=category,
                login="Mentor (an approved foster carer)" if i == 0 else "",
                login_local="mentor" if i == 0 else "",
                supervisor=supervisor_for(i),
                approved_on=approved,
                active_experience_months=active,
                work_types=self.some(vocab.CARER_WORK, 1, 3),
                experience=self.some(vocab.EXPERIENCE, 1, 4),
                travel_limit=self.pick((5, 10, 15, 20, 25)),
            )
            # Mentors are recruited after approval as carers; the path takes about three months.
            earliest = (approved or self.days_ago(1000, 2000)) + timedelta(days=30)
            start = max(earliest, self.days_ago(150, 2500))
            start = min(start, self.today - timedelta(days=120))
            if i in self.STORY_MENTORS:
                start = min(start, self.today - timedelta(days=self.rng.randint(600, 800)))
            status = Status.ACTIVE
            if i >= 8:
                status = self.weighted(
                    ((Status.ACTIVE, 65), (Status.APPROVED, 25), (Status.PAUSED, 10))
                )
            steps = self.recruitment(start, len(RecruitmentStep))
            self.join(mentor, "mentoring", Role.MENTOR, status, joined_on=start, steps=steps)
            self.mentor_kinds[mentor.key] = kind
            # Fixed buckets first, so even the smallest demo shows each training state.
            bucket = {0: "current", 5: "overdue", 6: "due", 7: "none"}.get(i) or self.weighted(
                self.TRAINING_BUCKETS
            )
            self.train(mentor, self.training_last(bucket))
            if kind == "established" and i > 0 and self.rng.random() < 0.3:
                joined = self.days_ago(5, 400)
                self.join(mentor, "groups", Role.PEER, Status.ACTIVE, joined_on=joined)

    def _applicants(self, count: int, supervisor_for: Any) -> None:
        # (steps reached, outcome of the last, status the steps lead to)
        stages = (
            (1, "done", Status.APPLICANT),
            (2, "done", Status.APPLICANT),
            (3, "done", Status.IN_TRAINING),
            (4, "done", Status.IN_TRAINING),
            (3, "not_suitable", Status.LEFT),
        )
        for i in range(count):
            reached, outcome, status = stages[i % len(stages)]
            applicant = self.person(
                category=self.pick((Category.MAINSTREAM, Category.MAINSTREAM, Category.KINSHIP)),
                supervisor=supervisor_for(i),
                approved_on=self.days_ago(900, 4000),
                active_experience_months=self.rng.randint(24, 120),
                work_types=self.some(vocab.CARER_WORK, 1, 3),
                experience=self.some(vocab.EXPERIENCE, 0, 3),
                travel_limit=self.pick((5, 10, 15)),
            )
            start = self.days_ago(25 * reached, 25 * reached + 60)
            steps = self.recruitment(start, reached)
            if outcome != "done":
                last = steps[-1]
                steps[-1] = StepPlan(last.step, last.completed_on, outcome)
            application = {
                "motivation": "I had a wonderful mentor when I started and want to give back.",
                "experience": f"Fostering for {self.rng.randint(3, 14)} years, mostly "
                f"{self.pick(vocab.CARER_WORK)}.",
                "skills": "Patience, listening, knowing how the reviews and paperwork work.",
                "availability": self.pick(
                    ("Weekday mornings", "School hours", "Evenings after 7", "Weekends")
                ),
                "support_needs": "",
                "agrees_to_training": True,
            }
            self.join(
                applicant,
                "mentoring",
                Role.MENTOR,
                status,
                joined_on=start,
                steps=steps,
                application=application,
            )

    def _mentees(self, count: int, supervisor_for: Any) -> None:
        for i in range(count):
            mentee = self.person(
                category=self.weighted(((Category.MAINSTREAM, 70), (Category.KINSHIP, 30))),
                login="Mentee (a new carer with a mentor)" if i == 0 else "",
                login_local="mentee" if i == 0 else "",
                supervisor=supervisor_for(i),
                approved_on=self.days_ago(30, 540),
                active_experience_months=self.rng.randint(0, 12),
                work_types=self.some(vocab.CARER_WORK, 1, 2),
                needs=self.some(vocab.NEEDS, 1, 3),
                travel_limit=self.pick((5, 10, 15)),
            )
            if i == 1:
                # Someone whose language few share, so matching has to explain itself.
                mentee.data["languages"] = ["Tigrinya", "English"]
            gender = mentee.sensitive.get("gender")
            if gender and self.rng.random() < 0.3:
                mentee.sensitive["gender_preference"] = [gender]
            status = Status.ACTIVE
            if i > 0:
                status = self.weighted(
                    ((Status.ACTIVE, 85), (Status.APPROVED, 5), (Status.PAUSED, 10))
                )
            joined = self.days_ago(3, 240)
            self.join(mentee, "mentoring", Role.MENTEE, status, joined_on=joined)

    def _staff_peers(self, count: int) -> None:
        for i in range(count):
            probation = i > 0 and (i == 1 or self.rng.random() < 0.15)
            started = self.days_ago(30, 170) if probation else self.days_ago(200, 7000)
            peer = self.person(
                category=Category.STAFF,
                login="Staff member in the peer rotation" if i == 0 else "",
                login_local="peer" if i == 0 else "",
                approved_on=started,
                active_experience_months=(self.today - started).days // 30,
                work_types=self.some(vocab.STAFF_WORK, 1, 2),
                on_probation=probation,
                probation_ends=started + timedelta(days=182) if probation else None,
            )
            status = Status.ACTIVE
            if i > 1 and self.rng.random() < 0.08:
                status = Status.PAUSED
            self.join(
                peer, "rotation", Role.PEER, status, joined_on=max(started, self.days_ago(0, 900))
            )

    def _guardians(self, count: int) -> None:
        for _ in range(count):
            started = self.days_ago(60, 4000)
            guardian = self.person(
                category=Category.GUARDIAN,
                approved_on=started,
                active_experience_months=(self.today - started).days // 30,
                work_types=self.some(vocab.GUARDIAN_WORK, 1, 3),
                languages=["English", self.pick(("Arabic", "Tigrinya", "Pashto", "Kurdish"))]
                if self.rng.random() < 0.3
                else ["English"],
            )
            self.join(guardian, "teams", Role.PEER, Status.ACTIVE, joined_on=started)

    def _groups(self, peers: int, facilitators: int, supervisor_for: Any) -> None:
        for i in range(facilitators):
            facilitator = self.person(
                category=Category.MAINSTREAM,
                supervisor=supervisor_for(i),
                approved_on=self.days_ago(2000, 6000),
                active_experience_months=self.rng.randint(60, 200),
                experience=self.some(vocab.EXPERIENCE, 2, 4),
            )
            start = self.days_ago(200, 1500)
            steps = self.recruitment(start, len(RecruitmentStep))
            self.join(
                facilitator, "groups", Role.MENTOR, Status.ACTIVE, joined_on=start, steps=steps
            )
            self.train(facilitator, self.training_last(self.weighted(self.TRAINING_BUCKETS)))
        for i in range(peers):
            peer = self.person(
                category=self.weighted(((Category.KINSHIP, 50), (Category.MAINSTREAM, 50))),
                supervisor=supervisor_for(i),
                approved_on=self.days_ago(60, 3000),
                active_experience_months=self.rng.randint(1, 60),
                needs=self.some(vocab.NEEDS, 0, 2),
            )
            status = Status.ACTIVE if self.rng.random() < 0.9 else Status.PAUSED
            self.join(peer, "groups", Role.PEER, status, joined_on=self.days_ago(5, 400))


def make_plan(
    *,
    people: int = DEFAULT_PEOPLE,
    seed: int = DEFAULT_SEED,
    today: date,
    slug: str = "",
    name: str = "",
) -> DemoPlan:
    """The demo organisation for ``people`` people; same arguments, same plan."""
    if not MIN_PEOPLE <= people <= MAX_PEOPLE:
        raise ValueError(
            f"A demo organisation has {MIN_PEOPLE:,} to {MAX_PEOPLE:,} people, not {people:,}."
        )
    if not slug:
        slug = DEFAULT_SLUG if people == DEFAULT_PEOPLE else f"scale-{people}"
    if not name:
        name = DEFAULT_NAME if people == DEFAULT_PEOPLE else f"Tri-Borough at scale ({people:,})"
    planner = _Planner(people=people, seed=seed, today=today, slug=slug, name=name)
    return planner.build()
