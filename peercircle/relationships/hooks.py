"""What other apps do when a relationship stops working (it is paused or ends).

Apps that keep things tied to a working relationship (booked meetings, say) register a hook in
their ``AppConfig.ready``. A plain list instead of Django signals keeps the calls explicit: the
relationship services call ``stopped_working`` in their own transaction, and a test can see every
hook that runs.

A hook may also name a ``many`` form taking every relationship a bulk service stopped at once
(a rotation ends thousands), so that it costs a fixed number of queries instead of some per
relationship. A hook without one is called once per relationship.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from peercircle.accounts.models import User
    from peercircle.relationships.models import Relationship

StopHook = Callable[["Relationship", "User | None"], None]
ManyStopHook = Callable[[Sequence["Relationship"], "User | None"], None]
_STOP_HOOKS: list[StopHook] = []
_MANY: dict[StopHook, ManyStopHook] = {}


def on_stop_working(hook: StopHook, *, many: ManyStopHook | None = None) -> StopHook:
    """Run ``hook(relationship, actor)`` whenever a relationship is paused or ended, and
    ``many(relationships, actor)`` (if given) when a bulk service stops several at once."""
    if hook not in _STOP_HOOKS:
        _STOP_HOOKS.append(hook)
    if many is not None:
        _MANY[hook] = many
    return hook


def stop_hooks() -> tuple[StopHook, ...]:
    return tuple(_STOP_HOOKS)


def stopped_working(relationship: Relationship, actor: User | None) -> None:
    for hook in _STOP_HOOKS:
        hook(relationship, actor)


def stopped_working_many(relationships: Sequence[Relationship], actor: User | None) -> None:
    if not relationships:
        return
    for hook in _STOP_HOOKS:
        many = _MANY.get(hook)
        if many is not None:
            many(relationships, actor)
        else:
            for relationship in relationships:
                hook(relationship, actor)
