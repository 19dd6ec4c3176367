from __future__ import annotations

from django.db import models

from peercircle.organisations.models import TenantModel


class Notification(TenantModel):
    """A message to one person, shown in PeerCircle and (usually) e-mailed.

    Titles and bodies never hold confidential text: no record content, no allegation details, no
    sensitive attributes. ``dedupe_key`` makes sending idempotent: the database refuses a second
    notification with the same key, so two workers (or a retried job) cannot send twice.
    """

    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=60)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=300, blank=True)
    dedupe_key = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "dedupe_key"],
                condition=~models.Q(dedupe_key=""),
                name="notification_sent_once",
            )
        ]
        indexes = [models.Index(fields=["person", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} for person {self.person_id}"
