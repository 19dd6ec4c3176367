from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django import forms

from peercircle.people.models import Person
from peercircle.records.choices import Flag, SafeguardingReason
from peercircle.records.models import ActionItem, Record
from peercircle.records.services import NewAction, RecordInput
from peercircle.web.forms import AccessibleForm

NEW_ACTION_ROWS = 3
TEXTAREA = forms.Textarea(attrs={"rows": 5})


class RecordForm(AccessibleForm):
    """The record sheet: discussion, actions, flags and a short check-out."""

    discussion = forms.CharField(
        label="Key discussion points",
        required=False,
        widget=TEXTAREA,
        help_text="What you talked about, in a few lines. Only the people allowed to read "
        "records see this.",
    )
    done = forms.MultipleChoiceField(
        label="Earlier actions now done",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Actions not ticked stay open and come back at your next meeting.",
    )
    flags = forms.MultipleChoiceField(
        label="Difficulties to flag",
        choices=Flag.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The coordinator is told which difficulties were flagged, but not what you "
        "wrote, and will get in touch.",
    )
    helpful = forms.CharField(
        label="Check-out: what was helpful", required=False, widget=forms.Textarea({"rows": 3})
    )
    not_helpful = forms.CharField(
        label="Check-out: what was not helpful", required=False, widget=forms.Textarea({"rows": 3})
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        people: Sequence[Person],
        open_actions: Sequence[ActionItem],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(p.pk): p for p in people}
        owners = [("", "Choose who")] + [(str(p.pk), p.given_name) for p in people]
        done = cast(forms.MultipleChoiceField, self.fields["done"])
        done.choices = [
            (str(a.pk), f"{a.owner.given_name if a.owner else 'Someone'}: {a.text}")
            for a in open_actions
        ]
        for n in range(1, NEW_ACTION_ROWS + 1):
            self.fields[f"action_{n}"] = forms.CharField(
                label=f"New action {n}", required=False, max_length=1000
            )
            self.fields[f"owner_{n}"] = forms.ChoiceField(
                label=f"Whose action is {n}", choices=owners, required=False
            )

    def action_rows(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"action_{n}"], self[f"owner_{n}"]) for n in range(1, NEW_ACTION_ROWS + 1)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for n in range(1, NEW_ACTION_ROWS + 1):
            text = (data.get(f"action_{n}") or "").strip()
            owner = data.get(f"owner_{n}")
            if text and not owner:
                self.add_error(f"owner_{n}", "Choose whose action this is.")
            if owner and not text:
                self.add_error(f"action_{n}", "Describe the action, or leave its owner empty.")
        return data

    def record_input(self) -> RecordInput:
        data = self.cleaned_data
        return RecordInput(
            discussion=data["discussion"],
            helpful=data["helpful"],
            not_helpful=data["not_helpful"],
            flags=list(data["flags"]),
            new_actions=[
                NewAction(text=data[f"action_{n}"], owner=self.people[data[f"owner_{n}"]])
                for n in range(1, NEW_ACTION_ROWS + 1)
                if data.get(f"action_{n}", "").strip() and data.get(f"owner_{n}")
            ],
            done_action_ids=[int(i) for i in data["done"]],
        )

    @staticmethod
    def initial_for(record: Record) -> dict[str, Any]:
        return {
            "discussion": record.discussion,
            "helpful": record.helpful,
            "not_helpful": record.not_helpful,
            "flags": list(record.flags),
            "version": record.version,
        }


class BreakGlassForm(AccessibleForm):
    reason = forms.ChoiceField(
        label="The safeguarding risk",
        choices=SafeguardingReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose the risk: to a child or to an adult."},
    )
    details = forms.CharField(
        label="Why you need to read this record now",
        widget=forms.Textarea({"rows": 4}),
        help_text="At least 20 characters. Kept encrypted; shown to the organisation's admins, "
        "not to the people in the relationship.",
        error_messages={"required": "Describe the safeguarding concern in a sentence or two."},
    )
    confirm = forms.BooleanField(
        label="I understand that this is logged and that the people in the relationship are told",
        error_messages={"required": "Tick the box to confirm you understand."},
    )
