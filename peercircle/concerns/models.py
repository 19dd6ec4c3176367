from __future__ import annotations

from django.db import models
from django.urls import reverse

from peercircle.audit.models import HistoryEntry
from peercircle.concerns.choices import Severity, Source, Status
from peercircle.lib.crypto import EncryptedTextField
from peercircle.organisations.models import TenantModel


class Concern(TenantModel):
    """Something a coordinator must look at: a flag, a request for support, a silent pair.

    It never holds record text: a concern raised by flags knows which flags and which record
    (by id), so a coordinator sees *that* something was flagged without reading *what* was said.
    ``version`` goes up with every change, so two coordinators acting at once never overwrite
    each other (the pattern of ``relationships.services``).
    """

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.PROTECT, related_name="+")
    relationship = models.ForeignKey(
        "relationships.Relationship",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="concerns",
    )
    about = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    raised_by = models.ForeignKey(
        "people.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="concerns_raised",
        help_text="Empty when PeerCircle raised it (a silent pair).",
    )
    source = models.CharField(max_length=20, choices=Source.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    owner = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    flags = models.JSONField(default=list, blank=True)
    # The record whose flags raised it; an id, not a key, so no record text is ever one join away.
    record_id = models.PositiveBigIntegerField(null=True, blank=True)
    # Makes raising idempotent where one occasion must give one concern (a silence).
    source_key = models.CharField(max_length=200, blank=True)
    message = EncryptedTextField(blank=True)
    raised_at = models.DateTimeField()
    due_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "source_key"],
                condition=~models.Q(source_key=""),
                name="concern_raised_once_per_key",
            ),
            # Two saves of one record at once cannot open two concerns for it.
            models.UniqueConstraint(
                fields=["record_id"],
                condition=models.Q(status__in=["new", "in_progress"], record_id__isnull=False),
                name="one_open_concern_per_record",
            ),
        ]
        indexes = [
            models.Index(fields=["organisation", "scheme", "status", "due_at"]),
            models.Index(fields=["status", "owner", "escalated_at", "due_at"]),
            models.Index(fields=["raised_by", "-raised_at"]),
        ]

    def __str__(self) -> str:
        return f"Concern {self.pk} ({self.get_severity_display()})"

    def get_absolute_url(self) -> str:
        return reverse("concerns:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in (Status.NEW, Status.IN_PROGRESS)

    def flag_labels(self) -> list[str]:
        from peercircle.concerns.choices import Flag

        return [Flag(f).label if f in Flag.values else f for f in self.flags]


class ConcernNote(TenantModel):
    """A coordinator's note on a concern: encrypted, and never shown to the person who raised it."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        "people.Person", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Note {self.pk} on concern {self.concern_id}"


class ConcernEvent(HistoryEntry):
    """The history of a concern: who did what and when. Summaries hold no confidential text."""

    concern = models.ForeignKey(Concern, on_delete=models.CASCADE, related_name="events")

    def __str__(self) -> str:
        return f"{self.action} on concern {self.concern_id}"


class PairSilence(TenantModel):
    """When each working pair last met (or started), as the reminder job last worked it out.

    The coordinators' "pairs not meeting" lists read this instead of finding every pair's last
    meeting on every page view (too slow at 50,000 people). The job refreshes it every hour, and
    the lists leave out at once a pair that has held a meeting since (``breaks_at``), so a
    meeting logged a minute ago is never shown as silence.
    """

    relationship = models.OneToOneField(
        "relationships.Relationship",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.CASCADE, related_name="+")
    since = models.DateField(help_text="The local date of the last held meeting, or the start.")
    met = models.BooleanField(help_text="False while the pair has not met since it started.")
    breaks_at = models.DateTimeField(
        help_text="A meeting held from this moment on (the next local day) ends the silence."
    )
    refreshed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["scheme", "since"])]

    def __str__(self) -> str:
        return f"Relationship {self.relationship_id} quiet since {self.since}"
