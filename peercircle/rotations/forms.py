from __future__ import annotations

from django import forms

from peercircle.web.forms import AccessibleForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PreviewForm(AccessibleForm):
    odd_member = forms.ChoiceField(
        label="If one member is left over",
        choices=[
            ("trio", "They join a pair as a trio"),
            ("one_way", "They receive one-way support, like a member on probation"),
        ],
        initial="trio",
        widget=forms.RadioSelect,
        help_text="Only matters when an odd number of members are not on probation.",
    )


class ApproveForm(AccessibleForm):
    rotation_date = forms.DateField(
        label="Rotation date",
        widget=DATE_WIDGET,
        help_text="The new pairs start and the current ones end on this day. The round "
        "publishes itself that morning, or you can publish it now.",
    )


class PairFilterForm(forms.Form):
    show = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            ("", "Every pair"),
            ("mutual", "Mutual peers"),
            ("trio", "Trio links"),
            ("support", "One-way support"),
            ("repeats", "Repeated pairs"),
        ],
    )
