"""Turn a demo plan into rows: through the services (small), or with bulk inserts (large).

Both writers give the same people, memberships, recruitment steps and training from one plan; a
test holds them together. The service writer is the honest one: every row passes the same
validation and leaves the same audit trail as a coordinator's work. The bulk writer exists
because 50,000 people through the services take an hour, and in batches a minute.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction

from peercircle.accounts.models import User
from peercircle.audit.services import audit_record
from peercircle.organisations.models import DEFAULT_TWO_FACTOR_ROLES, Organisation
from peercircle.organisations.tenancy import organisation_scope
from peercircle.people import services as people_services
from peercircle.people.models import (
    Application,
    Membership,
    Person,
    RecruitmentRecord,
    SensitiveProfile,
    TrainingRecord,
)
from peercircle.schemes.models import Scheme
from peercircle.schemes.services import scheme_create

from .plan import DemoPlan, PersonPlan
from .tell import write_relationships

DEMO_PASSWORD = "peercircle-demo"  # noqa: S105 - printed for everyone to use, on purpose
SOURCE = "demo"
BATCH = 2000

_M = TypeVar("_M", bound=models.Model)


def _organisation(plan: DemoPlan, *, two_factor: bool) -> Organisation:
    return Organisation.objects.create(
        name=plan.name,
        slug=plan.slug,
        two_factor_roles=list(DEFAULT_TWO_FACTOR_ROLES) if two_factor else [],
    )


def _schemes(plan: DemoPlan, org: Organisation) -> dict[str, Scheme]:
    return {
        s.key: scheme_create(
            organisation=org, name=s.name, scheme_type=s.scheme_type, actor=None, slug=s.slug
        )
        for s in plan.schemes
    }


def _logins(plan: DemoPlan, people: dict[str, Person]) -> None:
    # One hash for the shared password: hashing is slow on purpose, and the password is public.
    hashed = make_password(DEMO_PASSWORD)
    for person_plan in plan.people:
        if person_plan.login:
            person = people[person_plan.key]
            person.user = User.objects.create_user(person.email)
            person.user.password = hashed
            person.user.save(update_fields=["password"])
            person.save(update_fields=["user"])


def write_with_services(plan: DemoPlan, *, two_factor: bool) -> Organisation:
    """Build the organisation one service call at a time, as a coordinator would."""
    with transaction.atomic():
        org = _organisation(plan, two_factor=two_factor)
        with organisation_scope(org):
            schemes = _schemes(plan, org)
            people: dict[str, Person] = {}
            for p in plan.people:
                data = dict(p.data)
                if p.supervisor:
                    data["supervisor"] = people[p.supervisor]
                people[p.key] = people_services.person_create(
                    organisation=org,
                    actor=None,
                    data=data,
                    sensitive=p.sensitive or None,
                    source=SOURCE,
                )
            for m in plan.memberships:
                membership = people_services.membership_add(
                    person=people[m.person],
                    scheme=schemes[m.scheme],
                    role=m.role,
                    status=m.status if not m.steps else "applicant",
                    joined_on=m.joined_on,
                    actor=None,
                    source=SOURCE,
                )
                if m.application:
                    people_services.application_submit(
                        membership=membership, actor=None, answers=m.application
                    )
                for step in m.steps:
                    people_services.recruitment_step_record(
                        membership=membership,
                        step=step.step,
                        completed_on=step.completed_on,
                        outcome=step.outcome,
                        actor=None,
                    )
                people_services.membership_set_status(
                    membership=membership, status=m.status, actor=None, source=SOURCE
                )
                # The services date every change today; a demo that looks lived-in needs the
                # dates the plan gives (people waiting for weeks, steps taken last spring).
                Membership.objects.filter(pk=membership.pk).update(
                    status_changed_on=m.status_changed_on, waiting_since=m.waiting_since
                )
            for t in plan.training:
                people_services.training_record_add(
                    person=people[t.person],
                    actor=None,
                    title=t.title,
                    completed_on=t.completed_on,
                    kind=t.kind,
                    hours=Decimal(str(t.hours)),
                    source=SOURCE,
                )
            _logins(plan, people)
            write_relationships(plan, org, schemes, people, bulk=False)
    return org


def _batched(model: type[_M], objects: Iterable[_M]) -> list[_M]:
    return model._default_manager.bulk_create(list(objects), batch_size=BATCH)


def write_bulk(plan: DemoPlan, *, two_factor: bool) -> Organisation:
    """Build the organisation with batched inserts, for tens of thousands of people."""
    last_training: dict[str, date] = {}
    for t in plan.training:
        if t.completed_on > last_training.get(t.person, date.min):
            last_training[t.person] = t.completed_on
    with transaction.atomic():
        org = _organisation(plan, two_factor=two_factor)
        with organisation_scope(org):
            schemes = _schemes(plan, org)
            people: dict[str, Person] = {}
            pending: list[PersonPlan] = []

            def flush() -> None:
                rows = [
                    Person(
                        organisation=org,
                        supervisor=people[p.supervisor] if p.supervisor else None,
                        last_training_on=last_training.get(p.key),
                        **p.data,
                    )
                    for p in pending
                ]
                for p, row in zip(pending, _batched(Person, rows), strict=True):
                    people[p.key] = row
                pending.clear()

            # A plan lists supervisors before their supervisees: a batch is saved early when
            # the next person's supervisor is still in it, so that every supervisor has an id.
            for p in plan.people:
                if len(pending) == BATCH or (p.supervisor and p.supervisor not in people):
                    flush()
                if p.supervisor and p.supervisor not in people:
                    raise ValueError(f"{p.key}'s supervisor comes after them in the plan.")
                pending.append(p)
            flush()
            _batched(
                SensitiveProfile,
                (
                    SensitiveProfile(organisation=org, person=people[p.key], **p.sensitive)
                    for p in plan.people
                    if p.sensitive
                ),
            )
            memberships = _batched(
                Membership,
                (
                    Membership(
                        organisation=org,
                        person=people[m.person],
                        scheme=schemes[m.scheme],
                        role=m.role,
                        status=m.status,
                        joined_on=m.joined_on,
                        status_changed_on=m.status_changed_on,
                        waiting_since=m.waiting_since,
                    )
                    for m in plan.memberships
                ),
            )
            pairs = list(zip(plan.memberships, memberships, strict=True))
            _batched(
                RecruitmentRecord,
                (
                    RecruitmentRecord(
                        organisation=org,
                        membership=row,
                        step=step.step,
                        completed_on=step.completed_on,
                        outcome=step.outcome,
                    )
                    for m, row in pairs
                    for step in m.steps
                ),
            )
            _batched(
                Application,
                (
                    Application(organisation=org, membership=row, **m.application)
                    for m, row in pairs
                    if m.application
                ),
            )
            _batched(
                TrainingRecord,
                (
                    TrainingRecord(
                        organisation=org,
                        person=people[t.person],
                        kind=t.kind,
                        title=t.title,
                        completed_on=t.completed_on,
                        hours=Decimal(str(t.hours)),
                    )
                    for t in plan.training
                ),
            )
            _logins(plan, people)
            # The stories below go through the services, whose queries PostgreSQL would plan
            # for empty tables without this (a nested loop over 50,000 people took minutes).
            analyze()
            write_relationships(plan, org, schemes, people, bulk=True)
            audit_record(
                organisation=org,
                actor=None,
                action="organisation.demo",
                target=org,
                summary=f"Built the demo organisation with {len(plan.people):,} people",
                source=SOURCE,
            )
    return org


def analyze() -> None:
    """Fresh statistics after a bulk load, so the query planner knows the tables' sizes.

    On PostgreSQL, VACUUM also marks the new rows visible to all, which index-only scans need;
    autovacuum would get there too, but only after the first slow pages.
    """
    vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
