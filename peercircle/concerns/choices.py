"""The words of concerns: where one comes from, how serious it is, and where it stands."""

from __future__ import annotations

from datetime import timedelta

from django.db import models


class Source(models.TextChoices):
    FLAG = "flag", "Flag on a meeting record"
    SUPPORT_REQUEST = "support_request", "Request for support"
    INACTIVITY = "inactivity", "No meetings"
    MANUAL = "manual", "Raised by a coordinator"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# How long a coordinator has to pick a concern up before it goes to the organisation's admins.
# The same in every scheme on purpose: an urgent safeguarding flag is as urgent in a staff peer
# rotation as in carer mentoring (docs/concerns-and-reminders.md).
DUE_AFTER: dict[str, timedelta] = {
    Severity.URGENT: timedelta(days=1),
    Severity.HIGH: timedelta(days=3),
    Severity.MEDIUM: timedelta(days=7),
    Severity.LOW: timedelta(days=14),
}
SEVERITY_RANK: dict[str, int] = {
    Severity.LOW: 0,
    Severity.MEDIUM: 1,
    Severity.HIGH: 2,
    Severity.URGENT: 3,
}


class Flag(models.TextChoices):
    """Difficulties a party can flag on a meeting record (003 "Safety and Communication")."""

    OVERWORKED = "overworked", "Overworked"
    STRESSED = "stressed", "Stressed"
    NEEDS_SUPPORT = "needs_support", "Needs support"
    STRUGGLING = "struggling", "Struggling"
    IN_CONFLICT = "in_conflict", "In conflict with a colleague"
    SAFEGUARDING = "safeguarding", "Safeguarding concern"


# A concern raised by flags is as serious as its most serious flag.
FLAG_SEVERITY: dict[str, str] = {
    Flag.OVERWORKED: Severity.LOW,
    Flag.STRESSED: Severity.MEDIUM,
    Flag.IN_CONFLICT: Severity.MEDIUM,
    Flag.NEEDS_SUPPORT: Severity.HIGH,
    Flag.STRUGGLING: Severity.HIGH,
    Flag.SAFEGUARDING: Severity.URGENT,
}


class Status(models.TextChoices):
    NEW = "new", "New"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN = (Status.NEW, Status.IN_PROGRESS)

# Which status may follow which; anything else is refused with a plain message. A resolved
# concern can be reopened if it comes back; a closed one is finished (raise a new one instead).
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED}),
    Status.IN_PROGRESS: frozenset({Status.RESOLVED, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.IN_PROGRESS, Status.CLOSED}),
    Status.CLOSED: frozenset(),
}


def most_severe(severities: list[str]) -> str:
    return max(severities, key=SEVERITY_RANK.__getitem__)
