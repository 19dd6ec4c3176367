from __future__ import annotations

from typing import Any

from django import forms

from peercircle.schemes.choices import Category, Role, SchemeType
from peercircle.schemes.criteria import CRITERIA, HARD, MAX_WEIGHT, OFF, SOFT
from peercircle.schemes.models import EligibilityRule, Scheme
from peercircle.web.forms import AccessibleForm, AccessibleModelForm

MODE_CHOICES = [(HARD, "Must"), (SOFT, "Prefer"), (OFF, "Ignore")]


class SchemeCreateForm(AccessibleForm):
    name = forms.CharField(max_length=200)
    scheme_type = forms.ChoiceField(
        label="Type of scheme",
        choices=SchemeType.choices,
        help_text="Each type starts from a ready template you can change afterwards.",
    )


class SchemeSettingsForm(AccessibleModelForm):
    class Meta:
        model = Scheme
        fields = [
            "name",
            "description",
            "is_active",
            "mentor_capacity",
            "planned_duration_months",
            "meeting_every_days",
            "rotation_months",
            "group_min_size",
            "group_max_size",
            "trainings_per_year",
            "supervision_every_weeks",
            "specific_purpose_months",
            "records_readable_by_supervisor",
            "records_readable_by_coordinator",
            "nudge_after_days",
            "prompt_coordinator_after_days",
            "concern_after_days",
            "ending_notice_days",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scheme: Scheme = self.instance
        # Show only the settings that mean something for this type of scheme.
        if not scheme.is_one_to_one:
            self.fields.pop("mentor_capacity")
        if scheme.scheme_type != SchemeType.ROTATION:
            self.fields.pop("rotation_months")
        if not scheme.uses_groups:
            self.fields.pop("group_min_size")
            self.fields.pop("group_max_size")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        low, high = data.get("group_min_size"), data.get("group_max_size")
        if low is not None and high is not None and low > high:
            self.add_error(
                "group_max_size", "The largest group cannot be smaller than the smallest."
            )
        ladder = [
            data.get(f)
            for f in ("nudge_after_days", "prompt_coordinator_after_days", "concern_after_days")
        ]
        if None not in ladder and not ladder[0] < ladder[1] < ladder[2]:  # type: ignore[operator]
            self.add_error(
                "prompt_coordinator_after_days",
                "Reminders must come in order: the nudge first, then telling the coordinator, "
                "then raising a concern.",
            )
        return data


class CriteriaForm(AccessibleForm):
    """One mode (must / prefer / ignore) and one weight per matching criterion."""

    def __init__(
        self, *args: Any, criteria: dict[str, dict[str, Any]], unit: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        unit_word = "miles" if unit == "mi" else "km"
        for c in CRITERIA:
            current = criteria[c.key]
            choices = MODE_CHOICES if c.can_be_hard else [m for m in MODE_CHOICES if m[0] != HARD]
            self.fields[f"{c.key}_mode"] = forms.ChoiceField(
                label=c.prefer_label.capitalize(),
                choices=choices,
                initial=current["mode"],
                help_text=f"Must: {c.must_label}." if c.can_be_hard else "",
            )
            self.fields[f"{c.key}_weight"] = forms.FloatField(
                label=f"Weight of “{c.prefer_label}”",
                min_value=0,
                max_value=MAX_WEIGHT,
                initial=current.get("weight", 0),
                help_text="0 to 10: how much it counts.",
            )
            if c.has_limit:
                self.fields[f"{c.key}_limit"] = forms.FloatField(
                    label=f"Travel limit ({unit_word})",
                    min_value=0.1,
                    required=False,
                    initial=current.get("limit"),
                )

    def criteria(self) -> dict[str, dict[str, Any]]:
        result: dict[str, dict[str, Any]] = {}
        for c in CRITERIA:
            setting: dict[str, Any] = {
                "mode": self.cleaned_data[f"{c.key}_mode"],
                "weight": self.cleaned_data[f"{c.key}_weight"],
            }
            if c.has_limit:
                setting["limit"] = self.cleaned_data.get(f"{c.key}_limit")
            result[c.key] = setting
        return result

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("distance_mode") == HARD and not data.get("distance_limit"):
            self.add_error("distance_limit", "Give a travel limit, or do not make distance a must.")
        return data


class EligibilityRuleForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = EligibilityRule
        fields = ["role", "criterion", "minimum", "only_category", "except_category"]

    def __init__(self, *args: Any, roles: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]  # type: ignore[attr-defined]
        category_choices = [("", "—"), *Category.choices]
        self.fields["only_category"] = forms.ChoiceField(
            label="Only for", choices=category_choices, required=False
        )
        self.fields["except_category"] = forms.ChoiceField(
            label="Not for", choices=category_choices, required=False
        )


EligibilityRuleFormSet = forms.formset_factory(
    EligibilityRuleForm, extra=1, can_delete=True, max_num=30, validate_max=True
)
