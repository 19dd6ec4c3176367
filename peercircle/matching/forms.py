from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q, QuerySet

from peercircle.matching.models import MatchRun, ProposedPair, UnmatchedEntry
from peercircle.people.models import Membership, Person
from peercircle.schemes.choices import PARTICIPATING, Role
from peercircle.web.forms import AccessibleForm

# Above this many people a drop-down is no use: the coordinator types a name's e-mail or ID.
MAX_CHOICES = 500


class _PersonField(forms.CharField):
    """A person from ``people``: a drop-down when short, otherwise e-mail or ID in your records."""

    def __init__(self, people: QuerySet[Person], *, short: bool, **kwargs: Any) -> None:
        self.people = people
        if short:
            kwargs["widget"] = forms.Select(
                choices=[("", "Choose…")] + [(str(p.pk), p.full_name) for p in people]
            )
        else:
            kwargs.setdefault("help_text", "Their e-mail address or ID in your records.")
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Person:
        text = str(super().clean(value)).strip()
        match = Q(email__iexact=text) | Q(external_id=text)
        if text.isdigit():
            match |= Q(pk=int(text))
        found = list(self.people.filter(match)[:2])
        if len(found) != 1:
            raise forms.ValidationError("Nobody in this list matches that. Check the spelling.")
        return found[0]


class SetPairForm(AccessibleForm):
    def __init__(self, *args: Any, run: MatchRun, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Sized from the run's own counts, so a page of a large run pays no count queries.
        snapshot = run.settings_snapshot
        short = snapshot.get("mentees", 0) + snapshot.get("mentors", 0) <= MAX_CHOICES
        in_run = Q(
            pk__in=UnmatchedEntry.objects.filter(run=run, placed=False).values("person_id")
        ) | Q(
            pk__in=ProposedPair.objects.filter(run=run, state=ProposedPair.State.PROPOSED).values(
                "mentee_id"
            )
        )
        mentors = Person.objects.filter(
            pk__in=Membership.objects.filter(
                scheme=run.scheme, role=Role.MENTOR, status__in=PARTICIPATING
            ).values("person_id")
        )
        self.fields["mentee"] = _PersonField(
            Person.objects.filter(in_run).order_by("family_name", "given_name", "id"),
            short=short,
            label="Mentee",
        )
        self.fields["mentor"] = _PersonField(
            mentors.order_by("family_name", "given_name", "id"), short=short, label="Mentor"
        )


class SwapForm(AccessibleForm):
    def __init__(self, *args: Any, pairs: list[ProposedPair], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Choose…")] + [
            (str(p.pk), f"{p.mentee.full_name} with {p.mentor.full_name}") for p in pairs
        ]
        self.fields["first"] = forms.TypedChoiceField(
            label="First pair", choices=choices, coerce=int
        )
        self.fields["second"] = forms.TypedChoiceField(
            label="Second pair", choices=choices, coerce=int
        )


class AnswerForm(AccessibleForm):
    answer = forms.ChoiceField(
        choices=[("agree", "I agree with this match"), ("concern", "I have a concern")],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="Comment",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Needed for a concern: what should the coordinator know?",
    )
