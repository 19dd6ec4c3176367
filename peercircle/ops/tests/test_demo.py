"""The demo organisation: repeatable, realistic enough to show every page, and built once."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import date
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from peercircle.accounts.models import User
from peercircle.audit.models import AuditEvent
from peercircle.concerns.models import Concern
from peercircle.meetings.models import Meeting
from peercircle.ops.demo import DEMO_PASSWORD, build_demo, vocab, write
from peercircle.ops.demo.plan import (
    MAX_PEOPLE,
    MIN_PEOPLE,
    SCHEMES,
    _waits,
    make_plan,
    role_counts,
)
from peercircle.organisations.models import DEFAULT_TWO_FACTOR_ROLES, Organisation
from peercircle.people.eligibility import evaluate
from peercircle.people.models import (
    Application,
    Membership,
    Person,
    RecruitmentRecord,
    SensitiveProfile,
    TrainingRecord,
)
from peercircle.people.selectors import dashboard
from peercircle.people.services import PERSON_FIELDS, waits_for_match
from peercircle.people.viewer import viewer_for_person
from peercircle.records.models import Record
from peercircle.relationships.models import Participant, Relationship
from peercircle.schemes.choices import RecruitmentStep, Role, SchemeType, Status
from peercircle.schemes.models import EligibilityRule, Scheme

TODAY = date(2026, 6, 15)


def test_the_same_seed_gives_the_same_plan_and_another_seed_another() -> None:
    first = make_plan(people=60, seed=7, today=TODAY)
    again = make_plan(people=60, seed=7, today=TODAY)
    other = make_plan(people=60, seed=8, today=TODAY)
    assert dataclasses.asdict(first) == dataclasses.asdict(again)
    assert [p.data for p in first.people] != [p.data for p in other.people]


@given(st.integers(min_value=MIN_PEOPLE, max_value=MAX_PEOPLE))
@settings(max_examples=200, deadline=None)
def test_the_parts_of_an_organisation_add_up_to_the_people_asked_for(people: int) -> None:
    counts = role_counts(people)
    assert sum(counts.values()) == people
    assert min(counts.values()) >= 1


def test_the_plan_and_the_services_agree_on_who_waits_for_a_match() -> None:
    for scheme in SCHEMES:
        probe = Scheme(scheme_type=scheme.scheme_type)
        for role in Role:
            for status in Status:
                waits = waits_for_match(probe, role) and status in (Status.APPROVED, Status.ACTIVE)
                assert _waits(scheme, role, status) == waits, (scheme.key, role, status)


def test_a_large_plan_has_realistic_proportions() -> None:
    plan = make_plan(people=10_000, seed=1, today=TODAY)
    assert len(plan.people) == 10_000
    assert len({p.data["email"] for p in plan.people if p.data["email"]}) == sum(
        1 for p in plan.people if p.data["email"]
    )
    by_role = Counter((m.scheme, m.role) for m in plan.memberships)
    counts = role_counts(10_000)
    carers_and_peers = 10_000 - sum(
        counts[k] for k in ("admin", "coordinator", "supervisor", "expert")
    )
    assert by_role[("mentoring", Role.MENTEE)] == counts["mentee"]
    assert abs(counts["mentee"] - 0.26 * carers_and_peers) < 1
    mentees = [m for m in plan.memberships if m.role == Role.MENTEE]
    waiting = sum(1 for m in mentees if m.waiting_since is not None)
    # Most wait for a match; paused ones do not, and a fifth of the rest have a mentor.
    assert 0.65 < waiting / len(mentees) < 0.8
    on_probation = [p for p in plan.people if p.data.get("on_probation")]
    staff_peers = by_role[("rotation", Role.PEER)]
    assert 0.08 < len(on_probation) / staff_peers < 0.25
    last_training: dict[str, date] = {}
    for t in plan.training:
        last_training[t.person] = max(t.completed_on, last_training.get(t.person, date.min))
    mentor_keys = [
        m.person
        for m in plan.memberships
        if m.scheme == "mentoring" and m.role == Role.MENTOR and m.status == Status.ACTIVE
    ]
    overdue = sum(1 for k in mentor_keys if (TODAY - last_training.get(k, date.min)).days > 365)
    assert 0.2 < overdue / len(mentor_keys) < 0.4  # overdue or never trained
    languages = Counter(lang for p in plan.people for lang in p.data["languages"])
    assert all(languages[lang] > 0 for lang in vocab.LANGUAGES_RARE)


def _mentoring(org: Organisation) -> Scheme:
    return Scheme.objects.get(organisation=org, scheme_type=SchemeType.MENTORING)


@pytest.mark.django_db
def test_the_default_demo_shows_everything_a_coordinator_looks_for() -> None:
    result = build_demo(today=TODAY)
    org = result.organisation
    assert result.created
    assert Person.objects.filter(organisation=org).count() == 60
    schemes = Scheme.objects.filter(organisation=org)
    assert sorted(s.scheme_type for s in schemes) == sorted(SchemeType.values)
    for scheme in schemes:
        assert Membership.objects.filter(scheme=scheme, role=Role.COORDINATOR).exists()
        assert Membership.objects.filter(scheme=scheme).exclude(role=Role.COORDINATOR).count() >= 5

    # Approved mentors, some eligible and some not, each "not" with its reason.
    mentoring = _mentoring(org)
    rules = list(EligibilityRule.objects.filter(scheme=mentoring))
    approved = Membership.objects.filter(
        scheme=mentoring, role=Role.MENTOR, status__in=[Status.APPROVED, Status.ACTIVE]
    ).select_related("person")
    verdicts = [evaluate(m.person, mentoring, Role.MENTOR, rules, TODAY) for m in approved]
    assert any(v.eligible for v in verdicts)
    reasons = " ".join(r for v in verdicts for r in v.reasons)
    assert "No approval date is recorded" in reasons
    assert "mentors need at least 2 years" in reasons
    assert "mentors need at least 1 year" in reasons  # active experience
    assert "mentors who are respite carers need at least 3 years" in reasons
    assert all(v.reasons for v in verdicts if not v.eligible)

    # Applicants at each step of the path to approval, and one not taken forward.
    last_steps = set()
    for m in Membership.objects.filter(
        scheme=mentoring, status__in=[Status.APPLICANT, Status.IN_TRAINING, Status.LEFT]
    ):
        steps = list(RecruitmentRecord.objects.filter(membership=m).order_by("completed_on"))
        last_steps.add((steps[-1].step, steps[-1].outcome, m.status))
    assert last_steps == {
        (RecruitmentStep.APPLICATION, "done", Status.APPLICANT),
        (RecruitmentStep.AWARENESS, "done", Status.APPLICANT),
        (RecruitmentStep.INTERVIEW, "done", Status.IN_TRAINING),
        (RecruitmentStep.PREPARATION, "done", Status.IN_TRAINING),
        (RecruitmentStep.INTERVIEW, "not_suitable", Status.LEFT),
    }
    assert Application.objects.filter(organisation=org).count() == 5

    # The coordinator's dashboard: eligible mentors, people waiting, training due and overdue.
    coordinator = Person.objects.get(email=f"coordinator@{org.slug}.example")
    viewer = viewer_for_person(coordinator)
    managed = list(Scheme.objects.filter(pk__in=viewer.manages).order_by("pk"))
    summary = next(s for s in dashboard(viewer, managed, today=TODAY) if s.scheme == mentoring)
    assert summary.eligible_mentors >= 1
    assert summary.waiting >= 5
    assert summary.oldest_wait is not None and summary.oldest_wait < TODAY
    assert summary.training_overdue >= 1
    assert summary.training_due >= 1

    # Staff on probation in the rotation; sensitive details for most but not all.
    assert Person.objects.filter(
        organisation=org, on_probation=True, memberships__scheme__scheme_type="rotation"
    ).exists()
    with_sensitive = SensitiveProfile.objects.filter(organisation=org).count()
    assert 30 < with_sensitive < 60
    people = Person.objects.filter(organisation=org)
    assert all(p.place and p.latitude and p.longitude and p.working_hours for p in people)
    spoken = {lang for p in people for lang in p.languages}
    assert spoken & set(vocab.LANGUAGES_RARE)

    # The demo supervisor supervises the demo mentee.
    mentee = Person.objects.get(email=f"mentee@{org.slug}.example")
    assert mentee.supervisor is not None
    assert mentee.supervisor.email == f"supervisor@{org.slug}.example"


@pytest.mark.django_db
def test_the_printed_logins_sign_in_and_staff_are_asked_for_two_factor() -> None:
    result = build_demo(today=TODAY)
    assert [label for label, _ in result.logins][:2] == [
        "Organisation admin",
        "Coordinator of carer mentoring and support groups",
    ]
    assert User.objects.filter(email__in=[e for _, e in result.logins]).count() == 7
    for email, lands_on in (
        (f"mentor@{result.plan.slug}.example", "/"),
        (f"coordinator@{result.plan.slug}.example", reverse("mfa_activate_totp")),
    ):
        client = Client()
        response = client.post(
            reverse("account_login"), {"login": email, "password": DEMO_PASSWORD}
        )
        assert response.status_code == 302
        assert response["Location"] == "/"
        home = client.get("/")
        if lands_on == "/":
            assert home.status_code == 200
        else:
            assert home.status_code == 302
            assert home["Location"] == lands_on


@pytest.mark.django_db
def test_a_demo_without_two_factor_requires_it_of_nobody() -> None:
    with_2fa = build_demo(today=TODAY)
    without = build_demo(people=40, today=TODAY, slug="open-demo", two_factor=False)
    assert with_2fa.organisation.two_factor_roles == DEFAULT_TWO_FACTOR_ROLES
    assert without.organisation.two_factor_roles == []
    client = Client()
    client.post(
        reverse("account_login"),
        {"login": "coordinator@open-demo.example", "password": DEMO_PASSWORD},
    )
    assert client.get("/").status_code == 200


def _totals() -> tuple[int, ...]:
    return tuple(
        model.objects.count()
        for model in (Organisation, Person, Membership, TrainingRecord, AuditEvent, User)
    )


@pytest.mark.django_db
def test_replacing_the_demo_rebuilds_it_without_duplicates() -> None:
    first = build_demo(today=TODAY)
    people = Person.objects.count()
    second = build_demo(today=TODAY, replace=True)
    assert second.created
    assert second.organisation.pk != first.organisation.pk
    assert Organisation.objects.filter(slug=first.plan.slug).count() == 1
    assert Person.objects.count() == people
    assert User.objects.count() == 7


def _snapshot(org: Organisation) -> dict[str, Any]:
    """Everything a demo holds, keyed so that two organisations can be compared."""

    def local(email: str) -> str:
        return email.split("@")[0]

    people = Person.objects.filter(organisation=org).select_related("supervisor", "user")
    by_id = {p.pk: p.external_id for p in people}
    pairs: dict[int, tuple[tuple[str, str], ...]] = {}
    for participant in Participant.objects.filter(organisation=org):
        pairs[participant.relationship_id] = tuple(
            sorted(
                (
                    *pairs.get(participant.relationship_id, ()),
                    (by_id[participant.person_id], participant.side),
                )
            )
        )
    person_fields = [f for f in PERSON_FIELDS if f != "supervisor"]
    return {
        "people": sorted(
            (
                p.external_id,
                local(p.email),
                p.supervisor.external_id if p.supervisor else "",
                p.last_training_on,
                p.user is not None,
                *(str(getattr(p, f)) for f in person_fields if f != "email"),
            )
            for p in people
        ),
        "sensitive": sorted(
            (by_id[s.person_id], s.gender, s.ethnicity, str(s.culture), s.relationship_status)
            for s in SensitiveProfile.objects.filter(organisation=org)
        ),
        "memberships": sorted(
            (
                by_id[m.person_id],
                m.scheme.slug,
                m.role,
                m.status,
                m.joined_on,
                m.status_changed_on,
                m.waiting_since,
            )
            for m in Membership.objects.filter(organisation=org).select_related("scheme")
        ),
        "steps": sorted(
            (by_id[r.membership.person_id], r.membership.role, r.step, r.completed_on, r.outcome)
            for r in RecruitmentRecord.objects.filter(organisation=org).select_related("membership")
        ),
        "applications": sorted(
            (by_id[a.membership.person_id], a.motivation, a.availability)
            for a in Application.objects.filter(organisation=org).select_related("membership")
        ),
        "training": sorted(
            (by_id[t.person_id], t.kind, t.title, t.completed_on, t.hours)
            for t in TrainingRecord.objects.filter(organisation=org)
        ),
        "relationships": sorted(
            (
                r.scheme.slug,
                r.kind,
                r.purpose,
                r.status,
                r.started_on,
                r.planned_end_on,
                r.ended_on,
                r.end_reason,
                pairs[r.pk],
            )
            for r in Relationship.objects.filter(organisation=org).select_related("scheme")
        ),
        "meetings": sorted(
            (pairs[m.relationship_id], m.starts_at, m.status, m.mode, m.place, m.duration_minutes)
            for m in Meeting.objects.filter(organisation=org)
        ),
        # Decrypted: the same words, though each encryption of them differs.
        "records": sorted(
            (pairs[r.relationship_id], r.discussion, r.helpful, r.not_helpful, str(r.flags))
            for r in Record.objects.filter(organisation=org)
        ),
        "concerns": sorted(
            (c.source, c.severity, c.status, str(c.flags), c.message, c.escalated_at is not None)
            for c in Concern.objects.filter(organisation=org)
        ),
    }


@pytest.mark.django_db
def test_the_same_seed_builds_the_same_demo_in_bulk_and_through_the_services(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(write, "BATCH", 7)  # many small batches: supervisors cross batch ends
    by_services = build_demo(people=90, seed=3, today=TODAY, slug="by-services", bulk=False)
    in_bulk = build_demo(people=90, seed=3, today=TODAY, slug="in-bulk", bulk=True)
    services_rows = _snapshot(by_services.organisation)
    bulk_rows = _snapshot(in_bulk.organisation)
    for part, rows in services_rows.items():
        assert rows, part
        assert bulk_rows[part] == rows, part
    assert {t[4] for t in services_rows["training"]} <= {
        Decimal("2.0"),
        Decimal("3.0"),
        Decimal("3.5"),
        Decimal("6.0"),
    }


@pytest.mark.django_db
def test_the_command_prints_the_logins_and_runs_once() -> None:
    out = StringIO()
    call_command("demo", stdout=out)
    text = out.getvalue()
    assert 'Built "Tri-Borough Fostering and Staff Network" (slug tri-borough): 60 people' in text
    assert f"with the password {DEMO_PASSWORD}" in text
    assert "coordinator@tri-borough.example" in text
    assert "authenticator app" in text
    before = _totals()
    out = StringIO()
    call_command("demo", stdout=out)
    assert "exists already; nothing changed" in out.getvalue()
    assert "coordinator@tri-borough.example" in out.getvalue()
    assert _totals() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--people", "5"], "--people 5 is out of range: choose 40 to 200,000"),
        (["--people", "999999"], "--people 999999 is out of range"),
        (["--seed=-1"], "--seed -1: use a whole number of 0 or more"),
        (["--slug", "no spaces!"], "use lower-case letters, digits and hyphens only"),
    ],
)
def test_the_command_refuses_bad_input_and_builds_nothing(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message) as refused:
        call_command("demo", *args)
    assert refused.value.returncode == 2
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_it_refuses_when_the_demo_logins_belong_to_someone_else() -> None:
    User.objects.create_user("admin@tri-borough.example", "a real person's password")
    with pytest.raises(CommandError, match="already in use .*admin@tri-borough.example.*--slug"):
        call_command("demo")
    assert not Organisation.objects.exists()
