"""One entry point for all three problem kinds, from their JSON form to theirs.

The ``"problem"`` key picks the kind: ``mentoring`` (P1, here), ``rotation`` (P2) or ``groups``
(P3). P2 and P3 live in ``rotation.py`` and ``groups.py`` and are imported only when asked for,
so each kind works on its own.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any

from matchengine.errors import ProblemError
from matchengine.jsonio import parse_mentoring_problem
from matchengine.mentoring import solve_mentoring

#: Progress callback shared by all kinds: a stage label and the fraction of it done (0..1).
Progress = Callable[[str, float], None]

KINDS = ("mentoring", "rotation", "groups")


def solve_json(data: Any, *, progress: Progress | None = None) -> dict[str, Any]:
    """Solve a problem given as parsed JSON and return the result as JSON-ready data.

    Raises ``ProblemError`` for anything wrong with the input.
    """
    if not isinstance(data, Mapping):
        raise ProblemError("problem", "the top level must be a JSON object")
    kind = data.get("problem")
    if kind not in KINDS:
        raise ProblemError("problem", f"must be one of {', '.join(KINDS)}, got {kind!r}")
    if kind == "mentoring":
        return solve_mentoring(parse_mentoring_problem(data), progress=progress).to_json()
    try:
        module = importlib.import_module(f"matchengine.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name != f"matchengine.{kind}":
            raise
        raise ProblemError(
            "problem", f"{kind!r} problems are not available in this version"
        ) from exc
    parse = getattr(module, f"parse_{kind}_problem")
    solver = getattr(module, f"solve_{kind}")
    result = solver(parse(dict(data)), progress=progress)
    out: dict[str, Any] = result.to_json()
    return out
