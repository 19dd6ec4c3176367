from __future__ import annotations

from django.conf import settings
from django.db import models

from peercircle.organisations.models import TenantModel


class HistoryEntry(TenantModel):
    """One line of an object's own history (a relationship, a concern, a matching run): who did
    what and when, in words. Never confidential text; the audit trail keeps the full record."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=40)
    summary = models.CharField(max_length=300)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class AuditEvent(TenantModel):
    """Who did what to which object, and when. Never holds confidential text.

    Events are never deleted; erasure of a person rewrites ``actor_label`` and ``summary``
    (pretix's rule for log entries).
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=60)
    target_type = models.CharField(max_length=60)
    target_id = models.CharField(max_length=60)
    summary = models.CharField(max_length=300)
    changes = models.JSONField(default=dict, blank=True)
    source = models.CharField(max_length=40, blank=True, help_text="page, import, command or task")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["organisation", "target_type", "target_id", "-at"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
