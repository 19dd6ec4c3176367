"""Optimistic concurrency for the editable objects of relationships (the ``version`` pattern of
``services.py``): a write names the version it saw, and the second of two writers is told who
changed what instead of silently overwriting it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import F, Model
from django.utils import timezone

from peercircle.relationships.services import ConcurrentChange

if TYPE_CHECKING:
    from peercircle.accounts.models import User


def actor_label(actor: User | None) -> str:
    return actor.email if actor is not None else "PeerCircle"


def changed_since(obj: Any, what: str) -> ConcurrentChange:
    obj.refresh_from_db()
    if obj.last_change and obj.last_change_at is not None:
        detail = f"{obj.last_change} (at {timezone.localtime(obj.last_change_at):%H:%M})."
    else:
        detail = "It was changed."
    return ConcurrentChange(
        f"Someone changed this {what} while you were looking at it: {detail} Nothing you "
        "entered was saved; check it and try again."
    )


def update_versioned(
    obj: Any, *, expected_version: int, what: str, change: str, **fields: Any
) -> None:
    """Write ``fields`` to ``obj`` only if it is still at ``expected_version``."""
    model: type[Model] = type(obj)
    updated = model._default_manager.filter(pk=obj.pk, version=expected_version).update(
        version=F("version") + 1,
        last_change=change[:300],
        last_change_at=timezone.now(),
        **fields,
    )
    if not updated:
        raise changed_since(obj, what)
    obj.refresh_from_db()
