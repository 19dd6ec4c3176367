from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.utils import timezone

from peercircle.relationships.endings.feedback import USEFULNESS, Questions
from peercircle.relationships.endings.models import DisagreementOutcome
from peercircle.relationships.endings.services import MAX_TEXT
from peercircle.relationships.forms import DATE_WIDGET, VersionField
from peercircle.web.forms import AccessibleForm

YES_NO = [("yes", "Yes"), ("no", "No"), ("unsure", "Not sure")]


class DisagreementForm(AccessibleForm):
    description = forms.CharField(
        label="What is the disagreement about?",
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text="Only the two of you and the scheme's coordinators can read this. It is kept "
        "encrypted.",
    )


class MeetingForm(AccessibleForm):
    meeting_on = forms.DateField(label="Date of the three-way meeting", widget=DATE_WIDGET)
    meeting_with = forms.CharField(
        label="Who else attends",
        required=False,
        max_length=200,
        help_text="e.g. both supervising social workers.",
    )
    version = VersionField()

    def clean_meeting_on(self) -> date:
        day: date = self.cleaned_data["meeting_on"]
        if day < timezone.localdate() - timedelta(days=365):
            raise forms.ValidationError("That is more than a year ago: check the year.")
        return day


class OutcomeForm(AccessibleForm):
    outcome = forms.ChoiceField(
        label="Outcome", choices=DisagreementOutcome.choices, widget=forms.RadioSelect
    )
    outcome_notes = forms.CharField(
        label="Notes on the outcome",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Kept encrypted; read by the parties and the coordinators.",
    )
    version = VersionField()


class FeedbackForm(AccessibleForm):
    """The mentor's or the mentee's exit feedback form, built from its questions."""

    def __init__(self, *args: Any, questions: Questions, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.fields["usefulness"] = forms.TypedChoiceField(
            label=questions.usefulness,
            choices=USEFULNESS,
            coerce=int,
            widget=forms.RadioSelect,
            error_messages={"required": "Choose how useful it was."},
        )
        for key, question in questions.texts:
            self.fields[key] = forms.CharField(
                label=question,
                required=False,
                max_length=MAX_TEXT,
                widget=forms.Textarea(attrs={"rows": 3}),
            )
        self.fields["would_again"] = forms.ChoiceField(
            label=questions.would_again, choices=YES_NO, widget=forms.RadioSelect, required=False
        )
        self.fields["would_recommend"] = forms.ChoiceField(
            label=questions.would_recommend,
            choices=YES_NO,
            widget=forms.RadioSelect,
            required=False,
        )

    def answers(self) -> dict[str, str]:
        return {key: self.cleaned_data.get(key, "") for key, _ in self.questions.texts}
