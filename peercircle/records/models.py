from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from peercircle.lib.crypto import EncryptedTextField
from peercircle.organisations.models import TenantModel
from peercircle.records.choices import SafeguardingReason, Via


class Record(TenantModel):
    """The record sheet of one held meeting (handbook appendix iv; 003's record form).

    Every free-text field is encrypted at rest. ``flags`` are plain values on purpose: they are
    what a coordinator may see. After the organisation's retention period the text is erased and
    ``text_erased_at`` set, keeping the fact that a record existed (and its flags) for the
    scheme's evaluation. ``version`` guards against two devices saving at once.
    """

    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="records"
    )
    meeting = models.OneToOneField(
        "meetings.Meeting", on_delete=models.PROTECT, related_name="record"
    )
    author = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    discussion = EncryptedTextField("key discussion points", blank=True)
    helpful = EncryptedTextField("what was helpful", blank=True)
    not_helpful = EncryptedTextField("what was not helpful", blank=True)
    flags = models.JSONField(default=list, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by_label = models.CharField(max_length=200, blank=True)
    # Which parts the latest save changed (labels only, never text), to tell a second editor.
    last_change = models.CharField(max_length=300, blank=True)
    text_erased_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["relationship", "-created_at"])]

    def __str__(self) -> str:
        return f"Record {self.pk} of relationship {self.relationship_id}"

    def get_absolute_url(self) -> str:
        return reverse("records:detail", args=[self.pk])

    def flag_labels(self) -> list[str]:
        from peercircle.records.choices import Flag

        return [Flag(f).label if f in Flag.values else f for f in self.flags]


class ActionItem(TenantModel):
    """An action agreed at a meeting, carried to every later record until it is marked done."""

    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="action_items"
    )
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="actions")
    owner = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = EncryptedTextField()
    done_at = models.DateTimeField(null=True, blank=True)
    done_in = models.ForeignKey(
        Record, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions_done"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["relationship", "done_at"])]

    def __str__(self) -> str:
        return f"Action {self.pk} of record {self.record_id}"


class RecordRead(TenantModel):
    """One read of a record: who, when and from where. The parties can see these."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(
        "people.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reader_label = models.CharField(max_length=200)
    at = models.DateTimeField(auto_now_add=True)
    via = models.CharField(max_length=20, choices=Via.choices)
    path = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["record", "-at"])]

    def __str__(self) -> str:
        return f"{self.reader_label} read record {self.record_id}"


class BreakGlass(TenantModel):
    """A coordinator's safeguarding access to a record they may not normally read.

    The stated reason is kept encrypted (it may name a child or an adult at risk) and shown only
    to organisation admins; the parties are told that their record was opened for a safeguarding
    reason, and when, but not the reason (see docs/meetings-and-records.md). Access lasts until
    ``expires_at``; every read in that time is logged like any other.
    """

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="break_glass")
    person = models.ForeignKey("people.Person", on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=20, choices=SafeguardingReason.choices)
    details = EncryptedTextField()
    at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["record", "person", "expires_at"])]

    def __str__(self) -> str:
        return f"Safeguarding access to record {self.record_id}"
