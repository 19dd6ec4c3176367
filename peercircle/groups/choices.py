from __future__ import annotations

from django.db import models

from peercircle.schemes.choices import Role


class GroupStatus(models.TextChoices):
    """A group's life. There is no "proposed" PeerGroup: a proposal lives in ``FormationGroup``
    and becomes a PeerGroup only when the coordinator confirms it."""

    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"


class FormationStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Forming groups"
    READY = "ready", "Ready to review"
    FAILED = "failed", "Could not form groups"
    CONFIRMED = "confirmed", "Confirmed"
    DISCARDED = "discarded", "Discarded"


class Scope(models.TextChoices):
    WAITING = "waiting", "Only people who are not in a group yet"
    EVERYONE = "everyone", "Everyone (the current groups close when the new ones are confirmed)"


# Roles that sit in groups. Coordinators, supervisors, experts and scheme admins run or advise
# the groups from outside; mentors in a peer-group scheme are its peer supporters and facilitate
# from inside a group (004), so they are placed too.
GROUP_ROLES = (Role.PEER, Role.MENTOR, Role.MENTEE)

# Weights in words: what the coordinator picks, and the number the engine receives.
WEIGHTS: tuple[tuple[int, str], ...] = (
    (0, "Not considered"),
    (1, "A little"),
    (2, "Matters"),
    (3, "Matters most"),
)
