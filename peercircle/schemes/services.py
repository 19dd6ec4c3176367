"""Writes to schemes: each one atomic and audited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from peercircle.audit.services import audit_record
from peercircle.organisations.models import Organisation
from peercircle.schemes.choices import SchemeType
from peercircle.schemes.criteria import validate_criteria
from peercircle.schemes.models import EligibilityRule, Scheme
from peercircle.schemes.templates import template_for

if TYPE_CHECKING:
    from peercircle.accounts.models import User

SETTING_FIELDS = (
    "name",
    "description",
    "mentor_capacity",
    "planned_duration_months",
    "meeting_every_days",
    "rotation_months",
    "group_min_size",
    "group_max_size",
    "trainings_per_year",
    "supervision_every_weeks",
    "is_active",
    "specific_purpose_months",
    "records_readable_by_supervisor",
    "records_readable_by_coordinator",
    "nudge_after_days",
    "prompt_coordinator_after_days",
    "concern_after_days",
    "ending_notice_days",
)


def _unique_slug(organisation: Organisation, name: str) -> str:
    base = slugify(name)[:50] or "scheme"
    slug, n = base, 2
    while Scheme.objects.filter(organisation=organisation, slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def scheme_create(
    *,
    organisation: Organisation,
    name: str,
    scheme_type: SchemeType | str,
    actor: User | None,
    description: str = "",
    slug: str = "",
) -> Scheme:
    """A new scheme with its type's template: settings, criteria and eligibility rules."""
    template = template_for(scheme_type)
    scheme = Scheme(
        organisation=organisation,
        name=name,
        slug=slug or _unique_slug(organisation, name),
        scheme_type=template.scheme_type,
        description=description or template.summary,
        **template.settings,
    )
    scheme.full_clean()
    scheme.save()
    EligibilityRule.objects.bulk_create(
        EligibilityRule(
            organisation=organisation,
            scheme=scheme,
            role=r.role,
            criterion=r.criterion,
            minimum=r.minimum,
            only_category=r.only_category,
            except_category=r.except_category,
        )
        for r in template.rules
    )
    audit_record(
        organisation=organisation,
        actor=actor,
        action="scheme.create",
        target=scheme,
        summary=f"Created scheme {scheme.name} from the {template.scheme_type.label} template",
    )
    return scheme


@transaction.atomic
def scheme_update_settings(
    *, scheme: Scheme, actor: User | None, changes: dict[str, Any]
) -> Scheme:
    """Change a scheme's settings; refuses (changing nothing) if any value is invalid."""
    unknown = set(changes) - set(SETTING_FIELDS) - {"matching_criteria"}
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if "matching_criteria" in changes:
        problems = validate_criteria(changes["matching_criteria"])
        if problems:
            raise ValidationError(problems)
    before = {field: getattr(scheme, field) for field in changes}
    for field, value in changes.items():
        setattr(scheme, field, value)
    scheme.full_clean()
    scheme.save(update_fields=list(changes))
    diff = {f: [str(before[f]), str(v)] for f, v in changes.items() if before[f] != v}
    if diff:
        audit_record(
            organisation=scheme.organisation,
            actor=actor,
            action="scheme.settings",
            target=scheme,
            summary=f"Changed settings of {scheme.name}",
            changes=diff,
        )
    return scheme


@transaction.atomic
def eligibility_rules_replace(
    *, scheme: Scheme, actor: User | None, rules: Sequence[dict[str, Any]]
) -> list[EligibilityRule]:
    """Replace the scheme's eligibility rules with ``rules`` as a whole (all or nothing)."""
    built = []
    for index, data in enumerate(rules, start=1):
        rule = EligibilityRule(organisation=scheme.organisation, scheme=scheme, **data)
        try:
            rule.full_clean(exclude=["scheme", "organisation"])
        except ValidationError as exc:
            raise ValidationError(f"Rule {index}: {'; '.join(exc.messages)}") from exc
        if rule.role not in scheme.roles:
            raise ValidationError(
                f"Rule {index}: a {scheme.get_scheme_type_display()} scheme has no "
                f"{rule.get_role_display().lower()} role."
            )
        built.append(rule)
    EligibilityRule.objects.filter(scheme=scheme).delete()
    EligibilityRule.objects.bulk_create(built)
    audit_record(
        organisation=scheme.organisation,
        actor=actor,
        action="scheme.eligibility",
        target=scheme,
        summary=f"Changed the eligibility rules of {scheme.name}",
        changes={"rules": [str(r) for r in built]},
    )
    return built
