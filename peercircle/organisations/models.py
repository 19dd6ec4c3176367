from __future__ import annotations

from django.db import models

from peercircle.organisations.tenancy import TenantManager

DEFAULT_TWO_FACTOR_ROLES = ["admin", "coordinator", "supervisor"]


def _default_two_factor_roles() -> list[str]:
    return list(DEFAULT_TWO_FACTOR_ROLES)


class Organisation(models.Model):
    """A tenant: a fostering service, a co-operative, a network. Nothing crosses between them."""

    class DistanceUnit(models.TextChoices):
        MILES = "mi", "miles"
        KILOMETRES = "km", "kilometres"

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    distance_unit = models.CharField(
        max_length=2, choices=DistanceUnit.choices, default=DistanceUnit.MILES
    )
    two_factor_roles = models.JSONField(
        default=_default_two_factor_roles,
        help_text="Roles that must set up two-factor sign-in before using PeerCircle.",
    )
    retention_months = models.PositiveIntegerField(
        default=72, help_text="How long records are kept after a relationship ends."
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class TenantModel(models.Model):
    """Base for every model that belongs to one organisation."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True
