from __future__ import annotations

from django import forms

from peercircle.organisations.models import Organisation
from peercircle.organisations.services import RETENTION_MONTHS, TWO_FACTOR_ROLES
from peercircle.web.forms import AccessibleForm

_RANGE = (
    f"Type a number of months from {RETENTION_MONTHS[0]} to {RETENTION_MONTHS[1]} "
    f"({RETENTION_MONTHS[1] // 12} years)."
)


class OrganisationSettingsForm(AccessibleForm):
    two_factor_roles = forms.MultipleChoiceField(
        label="Who must use two-factor sign-in",
        required=False,
        choices=list(TWO_FACTOR_ROLES.items()),
        widget=forms.CheckboxSelectMultiple,
        help_text="People in these roles must set up an authenticator app before they can use "
        "PeerCircle. We recommend admins, coordinators and supervisors, who see other people's "
        "records.",
    )
    retention_months = forms.IntegerField(
        label="Keep records for (months)",
        min_value=RETENTION_MONTHS[0],
        max_value=RETENTION_MONTHS[1],
        help_text="How long records are kept after a relationship ends, in months (72 months "
        "is 6 years).",
        error_messages={
            "invalid": "Type a whole number of months, such as 72.",
            "min_value": _RANGE,
            "max_value": _RANGE,
        },
    )
    distance_unit = forms.ChoiceField(
        label="Show distances in",
        choices=Organisation.DistanceUnit.choices,
        help_text="Used for travel limits and distances between people.",
    )
