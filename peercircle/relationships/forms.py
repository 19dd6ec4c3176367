"""Forms of the relationship pages. They read input; the services decide what is allowed."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db.models import Q, QuerySet
from django.utils import timezone

from peercircle.people.models import Person
from peercircle.relationships.choices import TRANSITIONS, EndReason, Kind, Purpose, Status
from peercircle.relationships.services import KIND_SIDES
from peercircle.schemes.models import Scheme
from peercircle.web.forms import AccessibleForm

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
# Status changes a coordinator makes here; ending has its own form, so it has a reason.
CHANGEABLE = [(s.value, s.label) for s in Status if s != Status.ENDED]


def person_label(person: Person) -> str:
    """How a person appears in the suggestions, and what the form reads back."""
    key = person.external_id or person.email
    return f"{person.full_name} ({key})" if key else person.full_name


def find_person(people: QuerySet[Person], text: str) -> Person | None:
    """The person ``text`` names: an ID in your records, an e-mail address, or a suggestion
    "Name (ID)" picked from the list."""
    text = text.strip()
    if text.endswith(")") and "(" in text:
        text = text[text.rindex("(") + 1 : -1].strip()
    if not text:
        return None
    found = list(people.filter(Q(external_id=text) | Q(email__iexact=text))[:2])
    return found[0] if len(found) == 1 else None


class RelationshipFilterForm(forms.Form):
    q = forms.CharField(
        label="Search by name",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    scheme = forms.ChoiceField(required=False)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])

    def __init__(self, *args: Any, schemes: list[Scheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = [("", "All schemes")] + [  # type: ignore[attr-defined]
            (s.slug, s.name) for s in schemes
        ]


class RelationshipCreateForm(AccessibleForm):
    scheme = forms.ModelChoiceField(queryset=Scheme.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        label="Kind of relationship",
        choices=[
            (Kind.MENTORING, "A mentor and a mentee"),
            (Kind.PEER_PAIR, "Two mutual peers"),
            (Kind.SUPPORT, "A supporter and the person they support"),
        ],
    )
    first = forms.CharField(
        label="Mentor, first peer or supporter",
        max_length=300,
        help_text="Start typing a name and pick from the list, or write their ID or e-mail.",
        widget=forms.TextInput(attrs={"list": "people-in-schemes", "autocomplete": "off"}),
    )
    second = forms.CharField(
        label="Mentee, second peer or person supported",
        max_length=300,
        widget=forms.TextInput(attrs={"list": "people-in-schemes", "autocomplete": "off"}),
    )
    purpose = forms.ChoiceField(choices=Purpose.choices, initial=Purpose.NEW_CARER)
    started_on = forms.DateField(label="Started on", widget=DATE_WIDGET)
    planned_end_on = forms.DateField(
        label="Planned end",
        required=False,
        widget=DATE_WIDGET,
        help_text="Leave empty for the scheme's planned length for the purpose: 12 months for "
        "a new carer, 6 for a specific purpose, unless the scheme's settings say otherwise.",
    )

    def __init__(
        self, *args: Any, schemes: QuerySet[Scheme], people: QuerySet[Person], **kwargs: Any
    ) -> None:
        kwargs.setdefault("initial", {}).setdefault("started_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes  # type: ignore[attr-defined]
        self.people = people

    def clean_first(self) -> Person:
        return self._person("first")

    def clean_second(self) -> Person:
        return self._person("second")

    def _person(self, name: str) -> Person:
        text = self.cleaned_data[name]
        person = find_person(self.people, text)
        if person is None:
            raise forms.ValidationError(
                f"No one in your schemes is '{text.strip()}'. Pick a name from the list, or "
                "write the person's ID in your records or their e-mail address."
            )
        return person

    def clean_started_on(self) -> date:
        started: date = self.cleaned_data["started_on"]
        if started > timezone.localdate():
            raise forms.ValidationError(
                "The start cannot be in the future: create the relationship when it starts."
            )
        return started

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        started, planned = data.get("started_on"), data.get("planned_end_on")
        if started and planned and planned <= started:
            self.add_error("planned_end_on", "The planned end must come after the start.")
        return data

    def members(self) -> list[tuple[Person, str]]:
        sides = KIND_SIDES[self.cleaned_data["kind"]]
        return [(self.cleaned_data["first"], sides[0]), (self.cleaned_data["second"], sides[1])]


class VersionField(forms.IntegerField):
    """The version of the object the person saw, sent back so a concurrent change is noticed."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.HiddenInput, min_value=0, **kwargs)


class StatusChangeForm(AccessibleForm):
    to_status = forms.ChoiceField(label="New status", choices=CHANGEABLE)
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=200,
        help_text="Shown in the history to everyone who can see this relationship: no "
        "confidential details.",
    )
    version = VersionField()

    def __init__(self, *args: Any, current: str | None = None, **kwargs: Any) -> None:
        """``current`` limits the choices offered; a posted form accepts any, so that the
        service checks the version first and tells who changed the status meanwhile."""
        super().__init__(*args, **kwargs)
        if current is None:
            return
        allowed = TRANSITIONS[Status(current)] - {Status.ENDED}
        self.fields["to_status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in CHANGEABLE if value in allowed
        ]


class PlannedEndForm(AccessibleForm):
    planned_end_on = forms.DateField(label="Planned end", widget=DATE_WIDGET)
    version = VersionField()


class EndForm(AccessibleForm):
    reason = forms.ChoiceField(
        label="Why it ends",
        choices=[(r.value, r.label) for r in EndReason if r != EndReason.PROPOSAL_WITHDRAWN],
        help_text="Worded so that nobody is blamed (handbook §10).",
    )
    ended_on = forms.DateField(label="Ended on", widget=DATE_WIDGET)
    requeue = forms.MultipleChoiceField(
        label="Who waits for a new match",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    version = VersionField()

    def __init__(self, *args: Any, participants: list[Person], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("ended_on", timezone.localdate())
        super().__init__(*args, **kwargs)
        self.participants = {str(p.pk): p for p in participants}
        self.fields["requeue"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), p.full_name) for p in participants
        ]

    def clean_ended_on(self) -> date:
        ended: date = self.cleaned_data["ended_on"]
        if ended > timezone.localdate():
            raise forms.ValidationError(
                "The end cannot be in the future: move the planned end instead."
            )
        return ended

    def requeued(self) -> list[Person]:
        return [self.participants[pk] for pk in self.cleaned_data["requeue"]]
