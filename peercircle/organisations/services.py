"""Writes to an organisation's own settings: atomic, validated before writing, audited."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction

from peercircle.audit.services import audit_record
from peercircle.organisations.models import Organisation

if TYPE_CHECKING:
    from peercircle.accounts.models import User

SETTING_FIELDS = ("two_factor_roles", "retention_months", "distance_unit")
# Every role a person can hold; "admin" also covers the organisation's own admins.
TWO_FACTOR_ROLES = {
    "admin": "Admins (of the organisation or of a scheme)",
    "coordinator": "Coordinators",
    "supervisor": "Supervisors",
    "expert": "Expert advisers",
    "mentor": "Mentors",
    "mentee": "Mentees",
    "peer": "Peers",
}
RETENTION_MONTHS = (1, 1200)


@transaction.atomic
def organisation_update_settings(
    *, organisation: Organisation, actor: User | None, changes: dict[str, Any]
) -> Organisation:
    """Change the organisation's settings; refuses (changing nothing) if any value is invalid."""
    unknown = set(changes) - set(SETTING_FIELDS)
    if unknown:
        raise ValidationError(f"Unknown settings: {', '.join(sorted(unknown))}.")
    if "two_factor_roles" in changes:
        roles = changes["two_factor_roles"]
        strange = sorted(set(roles) - set(TWO_FACTOR_ROLES))
        if strange:
            raise ValidationError(
                {
                    "two_factor_roles": f"{', '.join(strange)} is not a role. Choose from: "
                    f"{', '.join(TWO_FACTOR_ROLES)}."
                }
            )
        # Stored in a fixed order so the audit trail shows real changes only.
        changes["two_factor_roles"] = [r for r in TWO_FACTOR_ROLES if r in set(roles)]
    if "retention_months" in changes:
        low, high = RETENTION_MONTHS
        months = changes["retention_months"]
        if not isinstance(months, int) or not low <= months <= high:
            raise ValidationError(
                {"retention_months": f"Type a whole number of months from {low} to {high}."}
            )
    before = {field: getattr(organisation, field) for field in changes}
    for field, value in changes.items():
        setattr(organisation, field, value)
    organisation.full_clean()
    diff = {f: [before[f], v] for f, v in changes.items() if before[f] != v}
    if not diff:
        return organisation
    organisation.save(update_fields=list(diff))
    audit_record(
        organisation=organisation,
        actor=actor,
        action="organisation.settings",
        target=organisation,
        summary=f"Changed {', '.join(f.replace('_', ' ') for f in diff)} of {organisation.name}",
        changes=diff,
    )
    return organisation
