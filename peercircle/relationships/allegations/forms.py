from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from peercircle.people.models import Person
from peercircle.relationships.forms import DATE_WIDGET, VersionField, find_person
from peercircle.relationships.models import Relationship
from peercircle.schemes.models import Scheme
from peercircle.web.forms import AccessibleForm

NOTES_HINT = "Optional. PeerCircle needs no details; anything written here is kept encrypted."


class AllegationForm(AccessibleForm):
    subject = forms.CharField(
        label="Who the allegation is about",
        max_length=300,
        help_text="Start typing a name and pick from the list, or write their ID or e-mail.",
        widget=forms.TextInput(attrs={"list": "people-in-schemes", "autocomplete": "off"}),
    )
    received_on = forms.DateField(label="Date received", widget=DATE_WIDGET)
    reference = forms.CharField(
        label="Your reference",
        max_length=100,
        help_text="The reference of the allegation in your own case records.",
    )
    notes = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NOTES_HINT,
    )

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("received_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.people = people

    def clean_subject(self) -> Person:
        text = self.cleaned_data["subject"]
        person = find_person(self.people, text)
        if person is None:
            raise forms.ValidationError(
                f"No one in your schemes is '{text.strip()}'. Pick a name from the list, or "
                "write the person's ID in your records or their e-mail address."
            )
        return person

    def clean_received_on(self) -> date:
        day: date = self.cleaned_data["received_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date received cannot be in the future.")
        return day


class ConcludeForm(AccessibleForm):
    concluded_on = forms.DateField(label="Date of the outcome", widget=DATE_WIDGET)
    outcome_notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=NOTES_HINT,
    )
    version = VersionField()

    def __init__(self, *args: Any, relationships: list[Relationship], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("concluded_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.relationships = relationships
        for relationship in relationships:
            names = " and ".join(p.person.full_name for p in relationship.participants.all())
            self.fields[f"decision_{relationship.pk}"] = forms.ChoiceField(
                label=f"{names} ({relationship.scheme.name})",
                choices=[
                    ("resume", "Resume it"),
                    ("end", "End it; the others wait for a new match"),
                ],
                widget=forms.RadioSelect,
                error_messages={"required": "Choose whether this relationship resumes or ends."},
            )

    def decisions(self) -> dict[int, str]:
        return {r.pk: self.cleaned_data[f"decision_{r.pk}"] for r in self.relationships}


class SupportForm(AccessibleForm):
    scheme = forms.ModelChoiceField(queryset=Scheme.objects.none(), empty_label=None)
    supporter = forms.CharField(
        label="Supporter",
        max_length=300,
        help_text="A mentor or peer of the scheme, to offer non-judgemental support.",
        widget=forms.TextInput(attrs={"list": "people-in-schemes", "autocomplete": "off"}),
    )

    def __init__(
        self, *args: Any, schemes: QuerySet[Scheme], people: QuerySet[Person], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes  # type: ignore[attr-defined]
        self.people = people

    def clean_supporter(self) -> Person:
        text = self.cleaned_data["supporter"]
        person = find_person(self.people, text)
        if person is None:
            raise forms.ValidationError(
                f"No one in your schemes is '{text.strip()}'. Pick a name from the list, or "
                "write the person's ID in your records or their e-mail address."
            )
        return person
