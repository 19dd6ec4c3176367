"""What other apps do when a relationship stops working (it is paused or ends).

Apps that keep things tied to a working relationship (booked meetings, say) register a hook in
their ``AppConfig.ready``. A plain list instead of Django signals keeps the calls explicit: the
relationship services call ``stopped_working`` in their own transaction, and a test can see every
hook that runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peercircle.accounts.models import User
    from peercircle.relationships.models import Relationship

StopHook = Callable[["Relationship", "User | None"], None]
_STOP_HOOKS: list[StopHook] = []


def on_stop_working(hook: StopHook) -> StopHook:
    """Run ``hook(relationship, actor)`` whenever a relationship is paused or ended."""
    if hook not in _STOP_HOOKS:
        _STOP_HOOKS.append(hook)
    return hook


def stop_hooks() -> tuple[StopHook, ...]:
    return tuple(_STOP_HOOKS)


def stopped_working(relationship: Relationship, actor: User | None) -> None:
    for hook in _STOP_HOOKS:
        hook(relationship, actor)
