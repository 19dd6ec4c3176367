from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from peercircle.audit.models import HistoryEntry
from peercircle.organisations.models import TenantModel
from peercircle.relationships.choices import EndReason, Kind, Purpose, Side, Status


class Relationship(TenantModel):
    """A mentoring relationship, a pair of mutual peers, or one-way support.

    ``version`` goes up with every change, so two people acting at once cannot overwrite each
    other: a write names the version it saw, and the second writer is told what changed.
    """

    scheme = models.ForeignKey(
        "schemes.Scheme", on_delete=models.PROTECT, related_name="relationships"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ACTIVE)
    started_on = models.DateField(null=True, blank=True)
    planned_end_on = models.DateField(null=True, blank=True)
    ended_on = models.DateField(null=True, blank=True)
    end_reason = models.CharField(max_length=20, choices=EndReason.choices, blank=True)
    version = models.PositiveIntegerField(default=1)
    # The planned end the parties were last prompted about: the prompt job claims a
    # relationship by setting it, so two workers never prompt twice, and moving the planned
    # end prompts again.
    ending_prompt_for = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["scheme", "status"]),
            models.Index(fields=["status", "planned_end_on"]),
            # The list's order: a page is read from the index instead of sorting every row.
            models.Index(
                fields=["organisation", "-started_on", "-id"], name="relationship_started_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("relationships:detail", args=[self.pk])


class Participant(TenantModel):
    relationship = models.ForeignKey(
        Relationship, on_delete=models.CASCADE, related_name="participants"
    )
    person = models.ForeignKey(
        "people.Person", on_delete=models.PROTECT, related_name="participations"
    )
    side = models.CharField(max_length=20, choices=Side.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "person"], name="one_participation_per_relationship"
            )
        ]
        indexes = [models.Index(fields=["person", "relationship"])]

    def __str__(self) -> str:
        return f"{self.person_id} as {self.side} in {self.relationship_id}"


class RelationshipEvent(HistoryEntry):
    """The history of a relationship: every change, who made it and when. No confidential text."""

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)

    def __str__(self) -> str:
        return f"{self.action} on {self.relationship_id}"


class PairExclusion(TenantModel):
    """Two people the matching must never propose together again in a scheme."""

    scheme = models.ForeignKey(
        "schemes.Scheme", on_delete=models.CASCADE, related_name="pair_exclusions"
    )
    # Stored in id order, so (a, b) and (b, a) are one row.
    person_low = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    person_high = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=200)
    relationship = models.ForeignKey(
        Relationship, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["scheme", "person_low", "person_high"], name="one_exclusion_per_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(person_low__lt=models.F("person_high")),
                name="exclusion_ids_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_low_id} and {self.person_high_id} apart in {self.scheme_id}"


# The models of each concept live beside its services; importing them here registers them.
from peercircle.relationships.agreements.models import (  # noqa: E402
    AgreementAcceptance,
    AgreementTemplate,
    AgreementVersion,
    ConfidentialityStatement,
)
from peercircle.relationships.allegations.models import Allegation, AllegationPause  # noqa: E402
from peercircle.relationships.endings.models import Disagreement, ExitFeedback  # noqa: E402

__all__ = [
    "AgreementAcceptance",
    "AgreementTemplate",
    "AgreementVersion",
    "Allegation",
    "AllegationPause",
    "ConfidentialityStatement",
    "Disagreement",
    "ExitFeedback",
    "PairExclusion",
    "Participant",
    "Relationship",
    "RelationshipEvent",
]
