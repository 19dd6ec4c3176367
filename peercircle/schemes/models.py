from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse

from peercircle.organisations.models import TenantModel
from peercircle.schemes.choices import Role, SchemeType
from peercircle.schemes.templates import TEMPLATES


class Scheme(TenantModel):
    """A peer support scheme with the settings its coordinator controls."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60)
    scheme_type = models.CharField(max_length=20, choices=SchemeType.choices)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    mentor_capacity = models.PositiveSmallIntegerField(
        "mentees per mentor",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(20)],
        help_text="How many mentees one mentor supports at a time (the handbook suggests 2).",
    )
    planned_duration_months = models.PositiveSmallIntegerField(
        "planned length (months)",
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="How long a relationship is planned to last, e.g. 12 months for a new carer.",
    )
    meeting_every_days = models.PositiveSmallIntegerField(
        "meet at least every (days)",
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="The minimum meeting frequency: 30 means monthly.",
    )
    rotation_months = models.PositiveSmallIntegerField(
        "rotate pairs every (months)",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    group_min_size = models.PositiveSmallIntegerField(
        "smallest group", default=6, validators=[MinValueValidator(2), MaxValueValidator(50)]
    )
    group_max_size = models.PositiveSmallIntegerField(
        "largest group", default=8, validators=[MinValueValidator(2), MaxValueValidator(50)]
    )
    trainings_per_year = models.PositiveSmallIntegerField(
        "training sessions a year",
        default=1,
        validators=[MaxValueValidator(12)],
        help_text="The yearly minimum of training for mentors and peer supporters.",
    )
    supervision_every_weeks = models.PositiveSmallIntegerField(
        "supervision every (weeks)", default=6, validators=[MinValueValidator(1)]
    )
    specific_purpose_months = models.PositiveSmallIntegerField(
        "planned length for a specific purpose (months)",
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="For a relationship with one specific purpose, e.g. computer skills.",
    )
    records_readable_by_supervisor = models.BooleanField(
        "supervising social workers may read records",
        default=False,
        help_text="The two parties can always read their records.",
    )
    records_readable_by_coordinator = models.BooleanField(
        "coordinators may read records",
        default=False,
        help_text="Otherwise a coordinator sees flags only, and opens a record only through the "
        "safeguarding break-glass step.",
    )
    nudge_after_days = models.PositiveSmallIntegerField(
        "friendly nudge after (days without a meeting)",
        default=35,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    prompt_coordinator_after_days = models.PositiveSmallIntegerField(
        "tell the coordinator after (days)",
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    concern_after_days = models.PositiveSmallIntegerField(
        "raise a concern after (days)",
        default=70,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    ending_notice_days = models.PositiveSmallIntegerField(
        "prompt before a planned ending (days)",
        default=28,
        validators=[MinValueValidator(1), MaxValueValidator(180)],
    )
    matching_criteria = models.JSONField(
        default=dict,
        blank=True,
        help_text="Which matching criteria apply, as hard rules or weighted preferences.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "slug"], name="scheme_slug_per_org"),
            models.CheckConstraint(
                condition=models.Q(group_min_size__lte=models.F("group_max_size")),
                name="scheme_group_sizes_ordered",
                violation_error_message="The largest group cannot be smaller than the smallest.",
            ),
            models.CheckConstraint(
                condition=models.Q(nudge_after_days__lt=models.F("prompt_coordinator_after_days"))
                & models.Q(prompt_coordinator_after_days__lt=models.F("concern_after_days")),
                name="scheme_inactivity_ladder_ordered",
                violation_error_message=(
                    "Reminders must come in order: the nudge first, then telling the "
                    "coordinator, then raising a concern."
                ),
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("schemes:detail", args=[self.slug])

    @property
    def is_one_to_one(self) -> bool:
        return self.scheme_type == SchemeType.MENTORING

    @property
    def uses_groups(self) -> bool:
        return self.scheme_type in {SchemeType.TEAMS, SchemeType.GROUPS}

    @property
    def roles(self) -> list[str]:
        """The roles people can hold in a scheme of this type."""
        return list(TEMPLATES[SchemeType(self.scheme_type)].roles)

    def criteria(self) -> dict[str, dict[str, Any]]:
        from peercircle.schemes.criteria import effective_criteria

        return effective_criteria(self)


class EligibilityRule(TenantModel):
    """One condition a person must meet to take a role in a scheme (handbook §5A).

    A rule can be limited to a carer category ("only respite carers") or exclude one ("everyone
    except respite carers"), which is how the handbook's two sets of thresholds are expressed.
    """

    class Criterion(models.TextChoices):
        YEARS_APPROVED = "years_approved", "Years since approval"
        YEARS_ACTIVE = "years_active", "Years of cumulative active experience"
        TRAINING_CURRENT = "training_current", "Training up to date"
        NOT_ON_PROBATION = "not_on_probation", "Not on probation"

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="eligibility_rules")
    role = models.CharField(max_length=20, choices=Role.choices)
    criterion = models.CharField(max_length=30, choices=Criterion.choices)
    minimum = models.DecimalField(
        max_digits=4, decimal_places=1, default=0, validators=[MinValueValidator(0)]
    )
    only_category = models.CharField(
        "only for carers of category",
        max_length=30,
        blank=True,
        help_text="Leave empty to apply to everyone.",
    )
    except_category = models.CharField(
        "not for carers of category",
        max_length=30,
        blank=True,
    )

    class Meta:
        ordering = ["role", "id"]
        indexes = [models.Index(fields=["scheme", "role"])]

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.get_criterion_display()} {self.minimum}"
