"""Loading the compiled kernels in the background as soon as the engine is imported.

The first call of numba-compiled code in a process costs about a quarter to half a second, even
from numba's disk cache (starting LLVM, loading each kernel). A program that imports the engine
usually has other work before its first solve (reading the problem, starting a web worker), so
a background thread pays that cost meanwhile: ``wait`` (called by ``solve_mentoring``) then finds
the kernels loaded, or waits only for what is left. Set ``MATCHENGINE_PRELOAD=0`` to load them
on first use instead.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from matchengine._jit import HAVE_JIT

_thread: threading.Thread | None = None

#: A tiny problem that runs every P1 kernel: travel limits (ring scans), a shared language, a
#: full mentor (the auction and the exact solver), an unmatched mentee (its explanation).
_TINY: dict[str, Any] = {
    "mentees": [
        {"id": f"e{k}", "languages": ["English"], "location": {"lat": 51.5, "lon": -0.1 + k / 100},
         "travel_limit": 20}
        for k in range(3)
    ],
    "mentors": [
        {"id": "m0", "languages": ["English"], "location": {"lat": 51.5, "lon": -0.1},
         "travel_limit": 20, "capacity": 2},
    ],
}  # fmt: skip


def _load() -> None:
    from matchengine.jsonio import parse_mentoring_problem
    from matchengine.mentoring import solve_mentoring

    try:
        solve_mentoring(parse_mentoring_problem(_TINY))
    except Exception:  # noqa: BLE001 - a real solve will raise it again, with its own input
        return


def start() -> None:
    """Start loading the kernels in a daemon thread (once, and only when numba is in use)."""
    global _thread
    if _thread is not None or not HAVE_JIT or os.environ.get("MATCHENGINE_PRELOAD") == "0":
        return
    _thread = threading.Thread(target=_load, name="matchengine-preload", daemon=True)
    _thread.start()


def wait() -> None:
    """Block until the background loading is done (no-op inside that thread, or without it)."""
    thread = _thread
    if thread is not None and thread is not threading.current_thread():
        thread.join()
