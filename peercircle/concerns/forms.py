from __future__ import annotations

from typing import Any

from django import forms

from peercircle.concerns.choices import Severity, Source, Status
from peercircle.concerns.services import MESSAGE_MAX, NOTE_MAX
from peercircle.people.models import Person
from peercircle.relationships.models import Relationship
from peercircle.schemes.models import Scheme
from peercircle.web.forms import AccessibleForm


def _choice(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)  # noqa: S101 - a typo here is a programming error
    return field


STATUS_FILTERS = [("open", "Open (new or in progress)"), ("all", "All"), *Status.choices]
OWNER_FILTERS = [("", "Anyone or nobody"), ("mine", "Mine"), ("nobody", "Nobody yet")]
# How a person asking for support says how soon they need it, in their words, not ours.
URGENCY_CHOICES = [
    (Severity.MEDIUM, "Within a week"),
    (Severity.HIGH, "In the next few days"),
    (Severity.URGENT, "Today or tomorrow"),
]


class ConcernFilterForm(AccessibleForm):
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    severity = forms.ChoiceField(choices=[("", "Any"), *Severity.choices], required=False)
    scheme = forms.ChoiceField(required=False)
    source = forms.ChoiceField(
        label="Comes from", choices=[("", "Anywhere"), *Source.choices], required=False
    )
    owner = forms.ChoiceField(choices=OWNER_FILTERS, required=False)
    overdue = forms.BooleanField(label="Only overdue and not picked up", required=False)

    def __init__(self, *args: Any, schemes: list[Scheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "scheme").choices = [("", "All my schemes")] + [
            (str(s.pk), s.name) for s in schemes
        ]


class VersionedForm(AccessibleForm):
    """A change to a concern names the version it was made on (see ``ConcernChanged``)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class TakeForm(VersionedForm):
    pass


class AssignForm(VersionedForm):
    owner = forms.ChoiceField(label="Give it to")

    def __init__(self, *args: Any, candidates: list[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.candidates = {str(p.pk): p for p in candidates}
        _choice(self, "owner").choices = [(pk, p.full_name) for pk, p in self.candidates.items()]

    def clean_owner(self) -> Person:
        return self.candidates[self.cleaned_data["owner"]]


class StatusForm(VersionedForm):
    status = forms.ChoiceField(label="New status", choices=Status.choices)


class NoteForm(AccessibleForm):
    text = forms.CharField(
        label="Note",
        max_length=NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only coordinators (and supervisors, where the scheme allows) read notes; "
        "the person who raised the concern does not.",
    )


def _scheme_choices(schemes: list[Scheme]) -> list[tuple[str, str]]:
    return [(str(s.pk), s.name) for s in schemes]


class SupportRequestForm(AccessibleForm):
    scheme = forms.ChoiceField(label="Which scheme is it about?")
    relationship = forms.ChoiceField(label="Is it about one of your matches?", required=False)
    severity = forms.ChoiceField(
        label="How soon do you need to hear back?",
        choices=URGENCY_CHOICES,
        initial=Severity.MEDIUM,
        widget=forms.RadioSelect,
    )
    message = forms.CharField(
        label="What would you like help with?",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="A few words are enough; a coordinator will get in touch. The scheme's "
        "coordinators read this, and your supervising social worker if the scheme lets them read "
        "meeting records.",
    )

    def __init__(
        self,
        *args: Any,
        schemes: list[Scheme],
        relationships: list[tuple[Relationship, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.schemes = {str(s.pk): s for s in schemes}
        self.relationships = {str(r.pk): r for r, _ in relationships}
        _choice(self, "scheme").choices = _scheme_choices(schemes)
        if len(schemes) == 1:
            self.fields["scheme"].initial = str(schemes[0].pk)
        _choice(self, "relationship").choices = [("", "No, something else")] + [
            (str(r.pk), label) for r, label in relationships
        ]

    def clean_scheme(self) -> Scheme:
        return self.schemes[self.cleaned_data["scheme"]]

    def clean_relationship(self) -> Relationship | None:
        value = self.cleaned_data["relationship"]
        return self.relationships[value] if value else None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        scheme, relationship = data.get("scheme"), data.get("relationship")
        if scheme is not None and relationship is not None and relationship.scheme_id != scheme.pk:
            self.add_error(
                "relationship",
                "That match is in another scheme: choose its scheme, or 'No, something else'.",
            )
        return data


class ConcernCreateForm(AccessibleForm):
    scheme = forms.ChoiceField()
    severity = forms.ChoiceField(
        choices=Severity.choices,
        initial=Severity.MEDIUM,
        help_text="Sets the due date: urgent 1 day, high 3 days, medium 7, low 14.",
    )
    message = forms.CharField(
        label="What is the concern?",
        max_length=MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="Stored encrypted; read by the scheme's coordinators and admins.",
    )

    def __init__(self, *args: Any, schemes: list[Scheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schemes = {str(s.pk): s for s in schemes}
        _choice(self, "scheme").choices = _scheme_choices(schemes)

    def clean_scheme(self) -> Scheme:
        return self.schemes[self.cleaned_data["scheme"]]


class SchemeFilterForm(AccessibleForm):
    scheme = forms.ChoiceField(required=False)

    def __init__(self, *args: Any, schemes: list[Scheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choice(self, "scheme").choices = [("", "All my schemes"), *_scheme_choices(schemes)]
