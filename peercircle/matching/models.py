"""The record of matches: every run, its settings, its proposal, the edits and the outcome.

Nothing here is deleted when a proposal is edited or replaced: a removed pair keeps its row with
``state=removed``, and a re-run is a new run that points at the one it came from, so a
coordinator can later see why each pair was made and who changed what.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from peercircle.audit.models import HistoryEntry
from peercircle.organisations.models import TenantModel

# No progress for this long means the worker running the match stopped (restarted, killed): the
# engine reports progress every few seconds even on 50,000 people.
STUCK_AFTER = timedelta(minutes=10)


class MatchRun(TenantModel):
    class Status(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Could not run"

    class Phase(models.TextChoices):
        """Where the proposal stands once the engine has answered."""

        DRAFT = "draft", "Proposal"
        CONSULTING = "consulting", "With supervising social workers"
        CONFIRMED = "confirmed", "Confirmed"
        REPLACED = "replaced", "Replaced by a later run"

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.CASCADE, related_name="+")
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reruns"
    )
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_by_label = models.CharField(max_length=200, blank=True)
    source = models.CharField(max_length=20, default="page")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(max_length=20, choices=Phase.choices, default=Phase.DRAFT)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=60, blank=True)
    # When progress last moved: a run that stops moving for long lost its worker.
    progress_at = models.DateTimeField(null=True, blank=True)
    # The criteria, weights, rules and counts the engine was given, so the run can be read later
    # even after the scheme's settings change.
    settings_snapshot = models.JSONField(default=dict)
    # Locked pairs to keep, as [mentee person id, mentor person id], read by the task.
    locked_pairs = models.JSONField(default=list)
    summary = models.JSONField(default=dict)
    certificate = models.JSONField(default=dict)
    # Plain words for a run that found nothing to do or could not run, with the fix.
    message = models.TextField(blank=True)
    engine_seconds = models.FloatField(null=True, blank=True)
    app_seconds = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scheme", "-created_at"], name="matchrun_scheme_idx")]

    def __str__(self) -> str:
        return f"Matching run {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("matching:run", args=[self.pk])

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def looks_stuck(self) -> bool:
        if self.finished:
            return False
        last = self.progress_at or self.started_at or self.created_at
        return last is not None and timezone.now() - last > STUCK_AFTER

    @property
    def editable(self) -> bool:
        return self.status == self.Status.DONE and self.phase == self.Phase.DRAFT


class ProposedPair(TenantModel):
    class State(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        REMOVED = "removed", "Removed"
        CONFIRMED = "confirmed", "Confirmed"
        NOT_CREATED = "not_created", "Could not be confirmed"

    class Origin(models.TextChoices):
        ENGINE = "engine", "Proposed by the matching"
        HAND = "hand", "Set by hand"

    class Answer(models.TextChoices):
        PENDING = "pending", "No answer yet"
        AGREED = "agreed", "Agreed"
        CONCERN = "concern", "Raised a concern"

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="pairs")
    mentee = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    score = models.FloatField(default=0.0)
    distance = models.FloatField(null=True, blank=True)
    # [{"criterion", "label", "score", "detail", "sensitive"}], in plain words with names.
    explanation = models.JSONField(default=list)
    locked = models.BooleanField(default=False)
    origin = models.CharField(max_length=20, choices=Origin.choices, default=Origin.ENGINE)
    state = models.CharField(max_length=20, choices=State.choices, default=State.PROPOSED)
    answer = models.CharField(max_length=20, choices=Answer.choices, default=Answer.PENDING)
    answer_comment = models.TextField(blank=True)
    answered_by = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    relationship = models.ForeignKey(
        "relationships.Relationship",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    outcome = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "state"], name="proposedpair_run_idx"),
            models.Index(fields=["run", "mentee"], name="proposedpair_mentee_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.mentee_id} with {self.mentor_id} in run {self.run_id}"


class UnmatchedEntry(TenantModel):
    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="unmatched")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    reasons = models.JSONField(default=list)
    # [{"kind", "description"}] in plain words with names.
    changes = models.JSONField(default=list)
    # Set when the coordinator paired them by hand after the run: kept for the record.
    placed = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["run", "person"], name="unmatched_run_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} unmatched in run {self.run_id}"


class RunEdit(HistoryEntry):
    """One change to a proposal: who, what, when. No sensitive attributes in the summary."""

    run = models.ForeignKey(MatchRun, on_delete=models.CASCADE, related_name="edits")

    def __str__(self) -> str:
        return f"{self.action} on run {self.run_id}"
