from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django_scopes.forms import SafeModelChoiceField

from peercircle.accounts.forms import PASSWORD_HINT
from peercircle.people.models import Application, Membership, Person, TrainingRecord
from peercircle.people.parsing import HOURS_EXAMPLE, format_hours, parse_hours, parse_list
from peercircle.schemes.choices import RecruitmentStep, Role, Status
from peercircle.schemes.models import Scheme
from peercircle.web.forms import AccessibleForm, AccessibleModelForm

LIST_FIELDS = ("languages", "work_types", "experience", "needs", "background")
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ListField(forms.CharField):
    """A list typed as "English, Polish; Urdu"."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return parse_list(super().to_python(value))


class HoursField(forms.CharField):
    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return format_hours(value)
        return value

    def to_python(self, value: Any) -> list[list[int]]:  # type: ignore[override]
        try:
            return parse_hours(super().to_python(value))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None


def supervisors_of(organisation_people: QuerySet[Person]) -> QuerySet[Person]:
    """People who hold a supervisor role somewhere: the choices for "supervising social worker"."""
    return organisation_people.filter(
        Exists(Membership.objects.filter(person=OuterRef("pk"), role=Role.SUPERVISOR))
    ).order_by("family_name", "given_name")


class PersonForm(AccessibleModelForm):
    languages = ListField(required=False, help_text="Separate with commas, e.g. English, Polish.")
    work_types = ListField(
        label="Types of fostering or work",
        required=False,
        help_text="e.g. teenagers, disabilities, respite, parent and child.",
    )
    experience = ListField(
        label="Specific experience",
        required=False,
        help_text="Things this person has supported before, e.g. a young person questioning "
        "their sexuality, court proceedings.",
    )
    needs = ListField(
        label="Support needs",
        required=False,
        help_text="What a mentee would like help with; matched against mentors' experience.",
    )
    background = ListField(
        label="Professional background", required=False, help_text="e.g. nursing, teaching."
    )
    working_hours = HoursField(required=False, help_text=f"For example: {HOURS_EXAMPLE}.")

    class Meta:
        model = Person
        fields = [
            "given_name",
            "family_name",
            "email",
            "phone",
            "external_id",
            "category",
            "approved_on",
            "active_experience_months",
            "supervisor",
            "languages",
            "work_types",
            "experience",
            "needs",
            "background",
            "place",
            "latitude",
            "longitude",
            "travel_limit",
            "working_hours",
            "personality",
            "learning_style",
            "on_probation",
            "probation_ends",
        ]
        widgets = {"approved_on": DATE_WIDGET, "probation_ends": DATE_WIDGET}
        # Tenant querysets cannot be built at import time; the view supplies the real one.
        field_classes = {"supervisor": SafeModelChoiceField}

    def __init__(self, *args: Any, people: QuerySet[Person], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["supervisor"].queryset = supervisors_of(people)  # type: ignore[attr-defined]
        self.fields["category"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("latitude") is None) != (data.get("longitude") is None):
            raise forms.ValidationError("Give both latitude and longitude, or neither.")
        return data


class SensitiveForm(AccessibleForm):
    gender = forms.CharField(required=False, max_length=40)
    gender_preference = ListField(
        label="Prefers to be matched with",
        required=False,
        help_text="Genders this person is comfortable with, e.g. female. Empty means any.",
    )
    ethnicity = forms.CharField(required=False, max_length=100)
    culture = ListField(label="Culture and heritage", required=False)
    relationship_status = forms.CharField(required=False, max_length=40)


class NewPersonForm(PersonForm):
    """A new person always joins a scheme, so the coordinator who adds them can see them."""

    scheme = forms.ModelChoiceField(queryset=Scheme.objects.none(), empty_label=None)
    role = forms.ChoiceField(choices=Role.choices)
    status = forms.ChoiceField(choices=Status.choices, initial=Status.APPLICANT)

    class Meta(PersonForm.Meta):
        fields = ["scheme", "role", "status", *PersonForm.Meta.fields]

    def __init__(self, *args: Any, schemes: QuerySet[Scheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes  # type: ignore[attr-defined]
        self.order_fields(["scheme", "role", "status"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        scheme, role = data.get("scheme"), data.get("role")
        if scheme is not None and role and role not in scheme.roles:
            self.add_error(
                "role",
                f"{scheme.name} has no {Role(role).label.lower()} role; choose one of "
                f"{', '.join(Role(r).label.lower() for r in scheme.roles)}.",
            )
        return data


class MembershipForm(AccessibleForm):
    scheme = forms.ModelChoiceField(queryset=Scheme.objects.none(), empty_label=None)
    role = forms.ChoiceField(choices=Role.choices)
    status = forms.ChoiceField(choices=Status.choices, initial=Status.APPLICANT)

    def __init__(self, *args: Any, schemes: QuerySet[Scheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].queryset = schemes  # type: ignore[attr-defined]


class StatusForm(AccessibleForm):
    status = forms.ChoiceField(choices=Status.choices)


class RecruitmentStepForm(AccessibleForm):
    step = forms.ChoiceField(choices=RecruitmentStep.choices)
    completed_on = forms.DateField(label="Date", widget=DATE_WIDGET)
    outcome = forms.ChoiceField(
        choices=[("done", "Done"), ("not_suitable", "Not taken forward")], initial="done"
    )
    note = forms.CharField(required=False, max_length=300, help_text="A short note, optional.")


class ApplicationForm(AccessibleModelForm):
    class Meta:
        model = Application
        fields = [
            "motivation",
            "experience",
            "skills",
            "availability",
            "support_needs",
            "agrees_to_training",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agrees_to_training"].required = True


class TrainingForm(AccessibleModelForm):
    class Meta:
        model = TrainingRecord
        fields = ["kind", "title", "completed_on", "hours"]
        widgets = {"completed_on": DATE_WIDGET}


class InvitationAcceptForm(AccessibleForm):
    # Not stripped: a space the person typed is part of their password.
    password1 = forms.CharField(
        label="Choose a password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=PASSWORD_HINT,
    )
    password2 = forms.CharField(
        label="Type it again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords are different; type them again.")
        return data


class PeopleFilterForm(forms.Form):
    q = forms.CharField(
        label="Search", required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    scheme = forms.ChoiceField(required=False)
    role = forms.ChoiceField(required=False, choices=[("", "Any role"), *Role.choices])
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *Status.choices])
    eligible = forms.ChoiceField(
        required=False,
        choices=[("", "Either"), ("yes", "Eligible"), ("no", "Not eligible")],
        help_text="Choose a scheme and a role first.",
    )
    training = forms.ChoiceField(
        required=False,
        choices=[("", "Any"), ("due", "Due within 30 days"), ("overdue", "Overdue")],
    )
    waiting = forms.ChoiceField(
        label="Waiting for a match", required=False, choices=[("", "Either"), ("yes", "Yes")]
    )

    def __init__(self, *args: Any, schemes: list[Scheme], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scheme"].choices = [("", "All schemes")] + [  # type: ignore[attr-defined]
            (s.slug, s.name) for s in schemes
        ]
