"""Groups of a small-team or peer-group scheme, and the formations that proposed them.

A ``GroupFormation`` is kept for good, whatever happens to it: the settings it ran with, the
engine's summary (balance, bound, gap), each proposed group with its balance report, every edit
and who confirmed it. That is the scheme's record of how its groups were made.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings as django_settings
from django.db import models
from django.urls import reverse

from peercircle.groups.choices import FormationStatus, GroupStatus, Scope
from peercircle.organisations.models import TenantModel


class PeerGroup(TenantModel):
    """A small team (000) or peer support group (004) of one scheme."""

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=100)
    status = models.CharField(
        max_length=20, choices=GroupStatus.choices, default=GroupStatus.ACTIVE
    )
    formed_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    formation = models.ForeignKey(
        "GroupFormation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-formed_at", "name", "id"]
        indexes = [models.Index(fields=["scheme", "status", "organisation"])]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("groups:detail", args=[self.pk])


class GroupMembership(TenantModel):
    group = models.ForeignKey(PeerGroup, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(
        "people.Person", on_delete=models.CASCADE, related_name="group_memberships"
    )
    joined_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "person"], name="one_group_membership")
        ]
        indexes = [models.Index(fields=["person", "left_at", "organisation"])]

    def __str__(self) -> str:
        return f"{self.person_id} in group {self.group_id}"


class GroupFormation(TenantModel):
    """One run of group formation for a scheme, from settings to confirmation."""

    scheme = models.ForeignKey("schemes.Scheme", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=FormationStatus.choices, default=FormationStatus.QUEUED
    )
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.WAITING)
    # What it ran with: {"min_size", "max_size", "balance": {key: weight}, "seed"}.
    settings = models.JSONField(default=dict)
    # The engine's problem, limited to the attributes being balanced: it lets a move be
    # re-scored against the data the run saw, and a re-run repeat it.
    problem = models.JSONField(default=dict)
    member_count = models.PositiveIntegerField(default=0)
    # The engine's summary and score (balance, upper bound, gap), re-scored after each edit.
    summary = models.JSONField(default=dict, blank=True)
    progress = models.FloatField(default=0.0)
    stage = models.CharField(max_length=100, blank=True)
    # Why it failed, in words for the coordinator.
    failure = models.TextField(blank=True)
    # Each edit: {"at", "by", "person", "from", "to"}.
    edits = models.JSONField(default=list, blank=True)
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["scheme", "-created_at", "organisation"])]

    def __str__(self) -> str:
        return f"Group formation {self.pk} of scheme {self.scheme_id}"

    def get_absolute_url(self) -> str:
        return reverse("groups:formation", args=[self.pk])

    @property
    def is_working(self) -> bool:
        return self.status in {FormationStatus.QUEUED, FormationStatus.RUNNING}

    @property
    def is_editable(self) -> bool:
        return self.status == FormationStatus.READY

    @property
    def balance_keys(self) -> list[str]:
        balance: dict[str, Any] = self.settings.get("balance", {})
        return [k for k, w in balance.items() if w]


class FormationGroup(TenantModel):
    """One proposed group of a formation, with its balance report."""

    formation = models.ForeignKey(GroupFormation, on_delete=models.CASCADE, related_name="groups")
    number = models.PositiveIntegerField()
    # Person ids, in name order when shown.
    members = models.JSONField(default=list)
    balance = models.FloatField(default=1.0)
    # {attribute key: {"kind", "balance", "counts"/"fair_share" or "mean"/"scheme_mean"}}.
    report = models.JSONField(default=dict, blank=True)
    # [{"a": person id, "b": person id, "round": "..."}]: earlier group-mates together again.
    together_before = models.JSONField(default=list, blank=True)
    peer_group = models.ForeignKey(
        PeerGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["formation", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["formation", "number"], name="one_formation_group_number"
            )
        ]

    def __str__(self) -> str:
        return f"Proposed group {self.number} of formation {self.formation_id}"

    @property
    def size(self) -> int:
        return len(self.members)
