"""Rounds of a mutual peer rotation (staff guide 003) and the pairs each round proposes.

A round is worked out by the engine as a *preview*, approved by a coordinator for a rotation
date, then *published*: publishing ends the previous round's relationships and creates the new
ones through the relationships services. ``RoundPair.relationship`` links a published pair to
the relationship it became, so a person's history can be read round by round.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from peercircle.organisations.models import TenantModel


class RoundStatus(models.TextChoices):
    PREVIEW = "preview", "Preview"
    APPROVED = "approved", "Approved"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"


# A scheme has at most one round in these statuses: the one being prepared.
OPEN = (RoundStatus.PREVIEW, RoundStatus.APPROVED)


class EngineState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Working out the pairs"
    DONE = "done", "Ready"
    FAILED = "failed", "Could not be worked out"


class PairKind(models.TextChoices):
    MUTUAL = "mutual", "Mutual peers"
    TRIO = "trio", "Joins a pair as a trio"
    SUPPORT = "support", "One-way support"


class RotationRound(TenantModel):
    scheme = models.ForeignKey(
        "schemes.Scheme", on_delete=models.CASCADE, related_name="rotation_rounds"
    )
    # Published rounds are numbered 1, 2, 3... in order; an open round carries the number it
    # will get, and a cancelled one keeps the number it would have had.
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=RoundStatus.choices)
    rotation_date = models.DateField(
        null=True, blank=True, help_text="The day the new pairs start and the old ones end."
    )
    engine_state = models.CharField(
        max_length=20, choices=EngineState.choices, default=EngineState.QUEUED
    )
    engine_stage = models.CharField(max_length=100, blank=True)
    engine_progress = models.FloatField(default=0)
    # A plain-words reason when the engine could not work the round out.
    engine_message = models.TextField(blank=True)
    # The engine's summary and score, the odd-member rule, who is left out and why: the
    # certificate shown on the page, kept as the engine gave it.
    summary = models.JSONField(default=dict, blank=True)
    members = models.PositiveIntegerField(default=0)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    # Why a scheduled publication was refused; the job skips the round until it is approved
    # again.
    publish_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["scheme"],
                condition=models.Q(status__in=OPEN),
                name="one_open_rotation_round_per_scheme",
            ),
            models.UniqueConstraint(
                fields=["scheme", "number"],
                condition=models.Q(status="published"),
                name="one_published_round_per_number",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "rotation_date"], name="rotation_round_due_idx"),
            models.Index(fields=["scheme", "-number", "-id"], name="rotation_round_list_idx"),
        ]

    def __str__(self) -> str:
        return f"Round {self.number} of scheme {self.scheme_id}"

    def get_absolute_url(self) -> str:
        return reverse("rotations:round", args=[self.scheme.slug, self.pk])


class RoundPair(TenantModel):
    """One link of a round: two mutual peers, a trio member and one of the pair they join, or a
    supporter (``person_a``) and the person they support one way (``person_b``)."""

    round = models.ForeignKey(RotationRound, on_delete=models.CASCADE, related_name="pairs")
    kind = models.CharField(max_length=20, choices=PairKind.choices)
    person_a = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    person_b = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    fit = models.FloatField()
    explanation = models.TextField()
    is_repeat = models.BooleanField(default=False)
    # Why the repeat could not be avoided, in plain words (empty when not a repeat).
    repeat_reason = models.TextField(blank=True)
    # The two were marked never to be paired again, and no arrangement avoided it: the round
    # cannot be approved until the coordinator resolves it.
    breaks_exclusion = models.BooleanField(default=False)
    relationship = models.ForeignKey(
        "relationships.Relationship",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["round", "kind", "id"], name="round_pair_kind_idx"),
            models.Index(fields=["person_a", "round"], name="round_pair_a_idx"),
            models.Index(fields=["person_b", "round"], name="round_pair_b_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.person_a_id}-{self.person_b_id} in round {self.round_id}"
