"""Reading people's attributes from text typed in a form or a spreadsheet cell.

Each parser returns the clean value or raises ``ValueError`` with a message that says what is
wrong and what to write instead.
"""

from __future__ import annotations

import re

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_DAY_INDEX = {d.lower(): i for i, d in enumerate(DAYS)}
_HOURS_RE = re.compile(
    r"^(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+(?P<start>\d{1,2})\s*-\s*(?P<end>\d{1,2})$"
)
HOURS_EXAMPLE = "Mon-Fri 9-17, Sat 10-14"


def parse_list(text: object) -> list[str]:
    """ "English; Polish, Urdu" -> ["English", "Polish", "Urdu"] (no duplicates, order kept)."""
    if text is None:
        return []
    items = text if isinstance(text, list) else str(text).replace(";", ",").split(",")
    result: list[str] = []
    seen: set[str] = set()
    for item in items:
        cleaned = " ".join(str(item).split())
        if cleaned and cleaned.lower() not in seen:
            seen.add(cleaned.lower())
            result.append(cleaned)
    return result


def parse_hours(text: object) -> list[list[int]]:
    """ "Mon-Fri 9-17, Sat 10-14" -> [[0, 9, 17], ..., [4, 9, 17], [5, 10, 14]]."""
    if text is None or str(text).strip() == "":
        return []
    intervals: list[list[int]] = []
    for part in str(text).replace(";", ",").split(","):
        chunk = " ".join(part.lower().split())
        if not chunk:
            continue
        match = _HOURS_RE.match(chunk)
        if match is None:
            raise ValueError(
                f"'{part.strip()}' is not a working-hours entry. Write days and hours like "
                f"'{HOURS_EXAMPLE}'."
            )
        first, last = match["first"], match["last"] or match["first"]
        if first not in _DAY_INDEX or last not in _DAY_INDEX:
            raise ValueError(
                f"'{part.strip()}': days are written Mon, Tue, Wed, Thu, Fri, Sat, Sun."
            )
        start, end = int(match["start"]), int(match["end"])
        if not (0 <= start < end <= 24):
            raise ValueError(
                f"'{part.strip()}': hours run from 0 to 24 and must end after they start."
            )
        d0, d1 = _DAY_INDEX[first], _DAY_INDEX[last]
        if d1 < d0:
            raise ValueError(f"'{part.strip()}': write the days in order, e.g. Mon-Fri.")
        intervals.extend([day, start, end] for day in range(d0, d1 + 1))
    return intervals


def format_hours(intervals: list[list[int]]) -> str:
    """The inverse of ``parse_hours``, joining runs of days with the same hours."""
    runs: list[tuple[int, int, int, int]] = []
    for day, start, end in sorted(intervals):
        if runs and runs[-1][1] == day - 1 and runs[-1][2:] == (start, end):
            runs[-1] = (runs[-1][0], day, start, end)
        else:
            runs.append((day, day, start, end))
    parts = []
    for first, last, start, end in runs:
        days = DAYS[first] if first == last else f"{DAYS[first]}-{DAYS[last]}"
        parts.append(f"{days} {start}-{end}")
    return ", ".join(parts)
