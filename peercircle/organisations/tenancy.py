"""Tenant scoping: every tenant model's manager refuses to query without an organisation scope.

pretix's pattern (django-scopes): a request, task or command activates ``scope(organisation=org)``
and every query through a tenant manager is filtered to that organisation. A query made with no
scope active raises ``ScopeError`` instead of silently returning every organisation's rows, so a
forgotten filter fails loudly in tests rather than leaking in production.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from django.db import models
from django_scopes import get_scope, scope, scopes_disabled
from django_scopes.manager import DisabledQuerySet

if TYPE_CHECKING:
    from peercircle.organisations.models import Organisation

_M = TypeVar("_M", bound=models.Model)

__all__ = ["TenantManager", "organisation_scope", "scopes_disabled", "current_organisation_id"]


class TenantManager(models.Manager[_M], Generic[_M]):
    """A manager filtered to the organisation in scope (a typed ``ScopedManager``)."""

    def get_queryset(self) -> models.QuerySet[_M]:
        current = get_scope()
        if not current.get("_enabled", True):
            return super().get_queryset()
        if "organisation" not in current:
            disabled: models.QuerySet[_M] = DisabledQuerySet(
                self.model, using=self._db, missing_scopes=["organisation"]
            )
            return disabled
        org = current["organisation"]
        if org is None:
            # A scope with no organisation (an anonymous request) sees nothing, never everything.
            return super().get_queryset().none()
        return super().get_queryset().filter(organisation=org)


@contextmanager
def organisation_scope(organisation: Organisation | None) -> Iterator[None]:
    with scope(organisation=organisation):
        yield


def current_organisation_id() -> int | None:
    """The id of the organisation in scope, or None when none (or scoping is disabled)."""
    current: dict[str, Any] = get_scope()
    org = current.get("organisation")
    return None if org is None else int(org.pk if hasattr(org, "pk") else org)
