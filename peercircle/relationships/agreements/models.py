"""Agreements (handbook §8, appendix iii) and confidentiality statements (§11B, appendix ii)."""

from __future__ import annotations

import json

from django.conf import settings
from django.db import models

from peercircle.lib.crypto import EncryptedTextField
from peercircle.organisations.models import TenantModel


class AgreementTemplate(TenantModel):
    """A scheme's starting text for each section of its agreements; not confidential.

    A scheme without a row uses the default text of its scheme type (``agreements.texts``).
    ``version`` goes up with every change so that two coordinators editing at once are told.
    """

    scheme = models.OneToOneField(
        "schemes.Scheme", on_delete=models.CASCADE, related_name="agreement_template"
    )
    sections = models.JSONField(default=dict)
    version = models.PositiveIntegerField(default=1)
    # Who made the latest change and what it was, to tell a second editor what changed.
    last_change = models.CharField(max_length=300, blank=True)
    last_change_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"Agreement template of scheme {self.scheme_id}"


class AgreementVersion(TenantModel):
    """One version of a relationship's agreement. Versions are never changed, only added:
    any change makes the next number, which every party accepts again."""

    relationship = models.ForeignKey(
        "relationships.Relationship", on_delete=models.CASCADE, related_name="agreement_versions"
    )
    number = models.PositiveIntegerField()
    # The sections as JSON, encrypted: an agreement names goals and circumstances.
    content = EncryptedTextField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["relationship", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "number"], name="one_agreement_version_number"
            )
        ]

    def __str__(self) -> str:
        return f"Agreement v{self.number} of relationship {self.relationship_id}"

    @property
    def sections(self) -> dict[str, str]:
        data = json.loads(self.content or "{}")
        return {str(k): str(v) for k, v in data.items()}


class AgreementAcceptance(TenantModel):
    """A party accepted one version of the agreement, at ``accepted_at``."""

    version = models.ForeignKey(
        AgreementVersion, on_delete=models.CASCADE, related_name="acceptances"
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["accepted_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["version", "person"], name="one_acceptance_per_party")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} accepted {self.version_id}"


class ConfidentialityStatement(TenantModel):
    """A party's signed confidentiality statement for one relationship, with the words signed."""

    relationship = models.ForeignKey(
        "relationships.Relationship",
        on_delete=models.CASCADE,
        related_name="confidentiality_statements",
    )
    person = models.ForeignKey("people.Person", on_delete=models.PROTECT, related_name="+")
    wording = models.TextField()
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["relationship", "person"], name="one_statement_per_party"
            )
        ]

    def __str__(self) -> str:
        return f"Confidentiality statement of {self.person_id} in {self.relationship_id}"
