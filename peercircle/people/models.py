from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Concat, Lower
from django.urls import reverse
from django.utils import timezone

from peercircle.organisations.models import TenantModel
from peercircle.people.parsing import format_hours
from peercircle.schemes.choices import Category, RecruitmentStep, Role, Status
from peercircle.schemes.models import Scheme


class Person(TenantModel):
    """Someone who takes part in one or more schemes, with what matching needs to know.

    Sensitive attributes (gender, ethnicity, relationship status...) live apart in
    ``SensitiveProfile`` so that they are only loaded by code that passed the sensitive gate.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    external_id = models.CharField(
        "ID in your records",
        max_length=64,
        blank=True,
        help_text="The identifier from your spreadsheet or case system; imports update by it.",
    )
    given_name = models.CharField("first name", max_length=100)
    family_name = models.CharField("last name", max_length=100)
    email = models.EmailField("e-mail", blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_org_admin = models.BooleanField("organisation admin", default=False)

    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    approved_on = models.DateField(
        "approved or started on",
        null=True,
        blank=True,
        help_text="When the carer was approved, or the staff member started.",
    )
    active_experience_months = models.PositiveIntegerField(
        "active experience (months)",
        default=0,
        validators=[MaxValueValidator(1200)],
        help_text="Cumulative months of active fostering or work.",
    )
    supervisor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervisees",
        verbose_name="supervising social worker",
    )

    languages = models.JSONField(default=list, blank=True)
    work_types = models.JSONField("types of fostering or work", default=list, blank=True)
    experience = models.JSONField("specific experience", default=list, blank=True)
    needs = models.JSONField("support needs", default=list, blank=True)
    background = models.JSONField("professional background", default=list, blank=True)
    place = models.CharField("town or area", max_length=100, blank=True)
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    travel_limit = models.PositiveSmallIntegerField(
        "willing to travel", null=True, blank=True, help_text="In the organisation's unit."
    )
    working_hours = models.JSONField(
        default=list, blank=True, help_text="Weekly intervals: [day 0-6, start hour, end hour]."
    )
    personality = models.CharField(max_length=40, blank=True)
    learning_style = models.CharField(max_length=40, blank=True)
    on_probation = models.BooleanField(default=False)
    probation_ends = models.DateField(null=True, blank=True)

    # Kept by training_record_create/delete so that "who is overdue" is one indexed filter
    # across 50,000 people instead of an aggregate over every training record.
    last_training_on = models.DateField(null=True, blank=True)

    search_text = models.GeneratedField(
        expression=Lower(
            Concat(
                "given_name",
                models.Value(" "),
                "family_name",
                models.Value(" "),
                "email",
                models.Value(" "),
                "external_id",
                output_field=models.CharField(),
            )
        ),
        output_field=models.CharField(max_length=400),
        db_persist=True,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "external_id"],
                condition=~models.Q(external_id=""),
                name="person_external_id_per_org",
            ),
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=~models.Q(email=""),
                name="person_email_per_org",
            ),
        ]
        indexes = [
            # Name order for the people list. search_text rides along so that SQLite filters a
            # search from the index alone; PostgreSQL searches with the trigram index that
            # migration 0002 adds (re-create it if search_text is ever redefined).
            models.Index(
                fields=["organisation", "family_name", "given_name", "id", "search_text"],
                name="person_name_search_idx",
            ),
            models.Index(fields=["organisation", "last_training_on"]),
            models.Index(fields=["organisation", "supervisor"]),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def get_absolute_url(self) -> str:
        return reverse("people:detail", args=[self.pk])

    def hours_summary(self) -> str:
        """Working hours in words, e.g. "Mon-Fri 9-17"."""
        return format_hours(self.working_hours)


class SensitiveProfile(TenantModel):
    """Attributes some people would not want widely seen. All optional."""

    person = models.OneToOneField(Person, on_delete=models.CASCADE, related_name="sensitive")
    gender = models.CharField(max_length=40, blank=True)
    gender_preference = models.JSONField(
        "prefers to be matched with",
        default=list,
        blank=True,
        help_text="Genders this person is comfortable being matched with; empty means any.",
    )
    ethnicity = models.CharField(max_length=100, blank=True)
    culture = models.JSONField("culture and heritage", default=list, blank=True)
    relationship_status = models.CharField(max_length=40, blank=True)

    def __str__(self) -> str:
        return f"Sensitive profile of person {self.person_id}"


class Membership(TenantModel):
    """A person's role in one scheme, with where they stand in it."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="memberships")
    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPLICANT)
    status_changed_on = models.DateField(default=timezone.localdate)
    joined_on = models.DateField(default=timezone.localdate)
    waiting_since = models.DateField(
        null=True, blank=True, help_text="Set while the person waits for a match."
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["person", "scheme", "role"], name="one_membership_per_role"
            ),
        ]
        # Every query also filters on the organisation (tenant scoping), so the hot indexes end
        # with it: the dashboard's counts and the people list's "member of a scheme I run"
        # test are then answered from the index alone, without reading the rows.
        indexes = [
            models.Index(
                fields=["scheme", "role", "status", "organisation"], name="membership_role_idx"
            ),
            models.Index(
                fields=["scheme", "waiting_since", "status", "organisation"],
                name="membership_scheme_waiting_idx",
            ),
            models.Index(fields=["person", "scheme", "organisation"], name="membership_person_idx"),
            models.Index(fields=["organisation", "role", "status"]),
            # "Waiting longest" walks this in date order and stops after a few rows.
            models.Index(
                fields=["organisation", "waiting_since"],
                condition=models.Q(waiting_since__isnull=False),
                name="membership_waiting_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.role} in {self.scheme_id}"


class RecruitmentRecord(TenantModel):
    """One dated step on a mentor's path from application to approval."""

    class Outcome(models.TextChoices):
        DONE = "done", "Done"
        NOT_SUITABLE = "not_suitable", "Not taken forward"

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="recruitment_steps"
    )
    step = models.CharField(max_length=20, choices=RecruitmentStep.choices)
    completed_on = models.DateField()
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.DONE)
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["membership", "step"], name="one_record_per_step")
        ]
        ordering = ["completed_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_step_display()} on {self.completed_on}"


class Application(TenantModel):
    """The application form a prospective mentor fills in (handbook appendix i)."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="application"
    )
    motivation = models.TextField("why you would like to be a mentor")
    experience = models.TextField("your fostering or work experience")
    skills = models.TextField("skills and qualities you would bring")
    availability = models.TextField("when you could meet a mentee")
    support_needs = models.TextField("support you would need from us", blank=True)
    agrees_to_training = models.BooleanField(
        "I will attend the awareness session, interview and preparation training"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Application of membership {self.membership_id}"


class TrainingRecord(TenantModel):
    class Kind(models.TextChoices):
        TRAINING = "training", "Training session"
        SUPPORT_GROUP = "support_group", "Annual support group"
        PREPARATION = "preparation", "Preparation training"
        AWARENESS = "awareness", "Awareness session"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="training")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TRAINING)
    title = models.CharField(max_length=200)
    completed_on = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-completed_on", "-id"]
        indexes = [models.Index(fields=["person", "-completed_on"])]

    def __str__(self) -> str:
        return f"{self.title} on {self.completed_on}"


class Invitation(TenantModel):
    """A one-time link that lets a person set up their sign-in account."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Invitation for person {self.person_id}"
