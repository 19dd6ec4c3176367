"""Independent pieces of work on a thread per core, with results in a fixed order.

The compiled scan kernels release Python's lock, and so do numpy's whole-array operations: such
work shares the cores through plain threads. Results come back in submission order, so the
answer never depends on the number of threads.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from matchengine._jit import HAVE_JIT

T = TypeVar("T")
R = TypeVar("R")


def threads() -> int:
    """Threads to use: the cores this process may use, unless limited by ``MATCHENGINE_THREADS``.

    One without numba: the plain-Python kernels would only take turns on Python's lock.
    """
    if not HAVE_JIT:
        return 1
    wanted = os.environ.get("MATCHENGINE_THREADS")
    if wanted:
        return max(1, int(wanted))
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def in_order(func: Callable[[T], R], items: Sequence[T]) -> Iterator[R]:
    """``func`` over ``items``, in their order, on as many threads as ``threads`` allows."""
    workers = min(threads(), len(items))
    if workers <= 1:
        yield from map(func, items)
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="matchengine") as pool:
        yield from pool.map(func, items)
