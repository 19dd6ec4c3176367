from __future__ import annotations

from django.db import models


class Kind(models.TextChoices):
    MENTORING = "mentoring", "Mentoring"
    PEER_PAIR = "peer_pair", "Mutual peers"
    SUPPORT = "support", "One-way support"


class Purpose(models.TextChoices):
    """Why the relationship exists; sets the default planned length (handbook §9)."""

    NEW_CARER = "new_carer", "Support for a new carer"
    SPECIFIC = "specific", "A specific purpose"
    PEER = "peer", "Mutual peer support"
    PROBATION = "probation", "Support during probation"
    INVESTIGATION = "investigation", "Support during an investigation"


class Status(models.TextChoices):
    PROPOSED = "proposed", "Proposed"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Paused"
    ENDING = "ending", "Ending"
    ENDED = "ended", "Ended"


# Which status may follow which. Anything else is refused with a plain message.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.PROPOSED: frozenset({Status.ACTIVE, Status.ENDED}),
    Status.ACTIVE: frozenset({Status.SUSPENDED, Status.ENDING, Status.ENDED}),
    Status.SUSPENDED: frozenset({Status.ACTIVE, Status.ENDED}),
    # An ending relationship can still be paused, e.g. when an allegation is made (§12).
    Status.ENDING: frozenset({Status.ACTIVE, Status.SUSPENDED, Status.ENDED}),
    Status.ENDED: frozenset(),
}
# Statuses that count against a mentor's capacity.
OCCUPYING = (Status.PROPOSED, Status.ACTIVE, Status.SUSPENDED, Status.ENDING)
# Statuses in which the parties work together (meet, write records).
WORKING = (Status.ACTIVE, Status.ENDING)


class Side(models.TextChoices):
    """A participant's part in a relationship."""

    MENTOR = "mentor", "Mentor"
    MENTEE = "mentee", "Mentee"
    PEER = "peer", "Peer"
    SUPPORTER = "supporter", "Supporter"
    SUPPORTED = "supported", "Supported"


class EndReason(models.TextChoices):
    """Why a relationship ended, worded so that nobody is blamed (handbook §10)."""

    PLANNED = "planned", "The planned time came to an end"
    GOALS_MET = "goals_met", "The goals were met"
    CHANGE_ASKED = "change_asked", "A different supporter was asked for"
    NOT_A_FIT = "not_a_fit", "The match was not the right fit"
    CIRCUMSTANCES = "circumstances", "Circumstances changed"
    ROTATION = "rotation", "The peer rotation moved on"
    BREAK = "break", "A break from mentoring"
    INVESTIGATION = "investigation", "Ended after an investigation"
    PROPOSAL_WITHDRAWN = "withdrawn", "The proposal was withdrawn"


# Endings after which the pair should not be proposed again.
EXCLUDING_REASONS = frozenset({EndReason.CHANGE_ASKED, EndReason.NOT_A_FIT})
