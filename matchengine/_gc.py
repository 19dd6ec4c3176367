"""Python's cycle collector paused while the engine works.

The engine builds tens of thousands of small objects (people, pairs, explanations) and no
reference cycles. Each batch of new objects triggers a collection, and the older ones walk
everything alive, the caller's whole problem included: at 10,000 mentees that was about a sixth
of the run. Collection resumes afterwards, so garbage other threads make meanwhile waits
seconds at most, and is then collected as usual.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with the cycle collector off, restoring it as it was (calls may nest)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        was_on = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_on:
                gc.enable()

    return wrapper
