from __future__ import annotations

from typing import Any

from django import forms

from peercircle.groups.adapter import ATTRIBUTES
from peercircle.groups.choices import WEIGHTS, Scope

WEIGHT_CHOICES = [(str(w), label) for w, label in WEIGHTS]


class FormationForm(forms.Form):
    """Who to place and what to balance, each attribute weighted in words."""

    scope = forms.ChoiceField(
        label="Who to place",
        choices=Scope.choices,
        initial=Scope.WAITING,
        widget=forms.RadioSelect,
    )

    def __init__(
        self, *args: Any, initial_weights: dict[str, int] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        weights = initial_weights or {}
        for spec in ATTRIBUTES:
            self.fields[f"w_{spec.key}"] = forms.ChoiceField(
                label=spec.label,
                help_text=spec.hint,
                choices=WEIGHT_CHOICES,
                # A missing answer means "not considered", never an error.
                required=False,
                initial=str(weights.get(spec.key, 0)),
            )

    def weights(self) -> dict[str, int]:
        return {
            spec.key: int(self.cleaned_data.get(f"w_{spec.key}") or 0)
            for spec in ATTRIBUTES
            if int(self.cleaned_data.get(f"w_{spec.key}") or 0) > 0
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(int(data.get(f"w_{spec.key}") or 0) for spec in ATTRIBUTES):
            raise forms.ValidationError(
                "Choose at least one thing to balance the groups on, for example “Role in the "
                "scheme” or “Town or area”: set it to “A little” or more."
            )
        return data


class MoveForm(forms.Form):
    """Move one person; the page offers the group's members, the service checks the rest."""

    person = forms.IntegerField(label="Who to move", min_value=1)
    to_group = forms.IntegerField(label="To group number", min_value=1)


class RenameForm(forms.Form):
    name = forms.CharField(label="New name", max_length=100)


class MemberForm(forms.Form):
    """One person to add or remove; the service checks who may be."""

    person = forms.IntegerField(label="Person", min_value=1)
