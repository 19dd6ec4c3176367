"""Compiled loops for P1, with a plain-Python fallback.

The kernels in ``_ssp.py`` and ``_scan.py`` are written as plain Python loops over numpy arrays.
When numba is installed they are compiled (and cached on disk, so a process pays only for loading
them); without numba they run as ordinary Python, which gives the same answers, bit for bit, but
is fit only for small problems such as the tests'. The kernels use only integer arithmetic and
``+ - * / sqrt`` on floats, which are correctly rounded either way.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def _load_numba() -> Any:
    if os.environ.get("MATCHENGINE_NO_JIT"):
        return None
    try:
        import numba
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return numba


_numba: Any = _load_numba()
HAVE_JIT = _numba is not None


def jit(func: F) -> F:
    """Compile ``func`` with numba when it is available (no fast-math: results are exact)."""
    if _numba is None:
        return func
    compiled: F = _numba.njit(cache=True, nogil=True)(func)
    return compiled


def jit_inline(func: F) -> F:
    """``jit`` for small helpers of the kernels, inlined where they are called."""
    if _numba is None:
        return func
    compiled: F = _numba.njit(cache=True, nogil=True, inline="always")(func)
    return compiled


if _numba is not None:  # pragma: no cover - depends on the environment
    from numba import types
    from numba.extending import intrinsic

    # Typed loosely on purpose: numba's own annotations of intrinsics do not describe calls
    # made from compiled code, and mypy must pass with and without numba installed.
    _intrinsic: Any = intrinsic

    def _ctpop_typing(typingctx: Any, x: Any) -> Any:
        def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
            return builder.ctpop(args[0])

        return types.uint64(types.uint64), codegen

    _ctpop: Any = _intrinsic(_ctpop_typing)

    def _popcount(x: Any) -> int:
        count: int = _ctpop(x)
        return count

    popcount: Callable[[Any], int] = _numba.njit(cache=True, inline="always")(_popcount)
else:  # pragma: no cover

    def popcount(x: Any) -> int:
        """Number of set bits of a 64-bit word."""
        return int(x).bit_count()
