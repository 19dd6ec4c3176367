from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models

from peercircle.audit.models import AuditEvent

if TYPE_CHECKING:
    from peercircle.accounts.models import User
    from peercircle.organisations.models import Organisation


def audit_event(
    *,
    organisation: Organisation,
    actor: User | None,
    action: str,
    target: models.Model,
    summary: str,
    changes: dict[str, Any] | None = None,
    source: str = "page",
) -> AuditEvent:
    """An unsaved audit event; callers pass summaries without confidential text."""
    return AuditEvent(
        organisation=organisation,
        actor=actor,
        actor_label=actor.email if actor is not None else "PeerCircle",
        action=action,
        target_type=target._meta.label_lower,
        target_id=str(target.pk),
        summary=summary[:300],
        changes=changes or {},
        source=source,
    )


def audit_record(
    *,
    organisation: Organisation,
    actor: User | None,
    action: str,
    target: models.Model,
    summary: str,
    changes: dict[str, Any] | None = None,
    source: str = "page",
) -> AuditEvent:
    """Write one audit event."""
    event = audit_event(
        organisation=organisation,
        actor=actor,
        action=action,
        target=target,
        summary=summary,
        changes=changes,
        source=source,
    )
    event.save()
    return event


def audit_record_many(events: Iterable[AuditEvent], *, batch_size: int = 1000) -> None:
    """Write many events from ``audit_event`` at once (imports write thousands)."""
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def audit_for(target: models.Model, *, limit: int = 50) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=str(target.pk)
    ).select_related("actor")[:limit]
