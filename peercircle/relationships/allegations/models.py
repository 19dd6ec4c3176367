"""Allegations about a person (handbook §12). Seen by coordinators and admins only."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from peercircle.lib.crypto import EncryptedTextField
from peercircle.organisations.models import TenantModel


class AllegationStatus(models.TextChoices):
    OPEN = "open", "Being investigated"
    CONCLUDED = "concluded", "Concluded"


class PauseOutcome(models.TextChoices):
    PENDING = "", "Not decided yet"
    RESUMED = "resumed", "Resumed"
    ENDED = "ended", "Ended"
    ALREADY_ENDED = "already_ended", "Had already ended"


class Allegation(TenantModel):
    """A person is the subject of an allegation: their relationships pause while it is open.

    PeerCircle needs no details: a date and the organisation's own reference. Any free text is
    encrypted. Nothing here is ever shown to the subject or the other parties.
    """

    subject = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    received_on = models.DateField()
    reference = models.CharField(max_length=100)
    notes = EncryptedTextField(blank=True)
    status = models.CharField(
        max_length=20, choices=AllegationStatus.choices, default=AllegationStatus.OPEN
    )
    concluded_on = models.DateField(null=True, blank=True)
    outcome_notes = EncryptedTextField(blank=True)
    version = models.PositiveIntegerField(default=1)
    # Who made the latest change and what it was, to tell a second editor what changed.
    last_change = models.CharField(max_length=300, blank=True)
    last_change_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["subject", "status"])]

    def __str__(self) -> str:
        return f"Allegation {self.pk}"


class AllegationPause(TenantModel):
    """A relationship paused because of an allegation, and what happened to it afterwards."""

    allegation = models.ForeignKey(Allegation, on_delete=models.CASCADE, related_name="pauses")
    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="+"
    )
    outcome = models.CharField(
        max_length=20, choices=PauseOutcome.choices, default=PauseOutcome.PENDING, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["allegation", "relationship"], name="one_pause_per_relationship"
            )
        ]

    def __str__(self) -> str:
        return f"Relationship {self.relationship_id} paused by allegation {self.allegation_id}"
