"""Disagreements with their three-way meeting (§10) and exit feedback (appendices v, vi)."""

from __future__ import annotations

import json

from django.db import models

from peercircle.lib.crypto import EncryptedTextField
from peercircle.organisations.models import TenantModel


class DisagreementStatus(models.TextChoices):
    OPEN = "open", "Recorded"
    MEETING = "meeting", "Three-way meeting arranged"
    CLOSED = "closed", "Outcome recorded"


class DisagreementOutcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved between them"
    CHANGES = "changes", "Continuing with agreed changes"
    END = "end", "Best to end the relationship"


class Disagreement(TenantModel):
    """A disagreement or conflict of interest in a relationship, and how it was resolved.

    The description and the outcome notes are encrypted; the parties and the scheme's
    coordinators read them. ``version`` guards edits by two people at once.
    """

    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="disagreements"
    )
    raised_by = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(auto_now_add=True)
    description = EncryptedTextField()
    status = models.CharField(
        max_length=20, choices=DisagreementStatus.choices, default=DisagreementStatus.OPEN
    )
    meeting_on = models.DateField(null=True, blank=True)
    meeting_with = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(max_length=20, choices=DisagreementOutcome.choices, blank=True)
    outcome_notes = EncryptedTextField(blank=True)
    closed_on = models.DateField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Who made the latest change and what it was, to tell a second editor what changed.
    last_change = models.CharField(max_length=300, blank=True)
    last_change_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]

    def __str__(self) -> str:
        return f"Disagreement {self.pk} in relationship {self.relationship_id}"


class FeedbackForm(models.TextChoices):
    MENTOR = "mentor", "Mentor's feedback"
    MENTEE = "mentee", "Mentee's feedback"


class ExitFeedback(TenantModel):
    """A party's feedback at the end of a relationship.

    The ratings are plain so that the scheme's evaluation can count them; what people wrote is
    encrypted, because it is often about the other party.
    """

    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="exit_feedback"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    form = models.CharField(max_length=10, choices=FeedbackForm.choices)
    usefulness = models.PositiveSmallIntegerField()
    would_again = models.BooleanField(null=True)
    would_recommend = models.BooleanField(null=True)
    answers = EncryptedTextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "person"], name="one_exit_feedback_per_party"
            )
        ]

    def __str__(self) -> str:
        return f"Exit feedback of {self.person_id} in {self.relationship_id}"

    @property
    def answer_texts(self) -> dict[str, str]:
        data = json.loads(self.answers or "{}")
        return {str(k): str(v) for k, v in data.items()}
