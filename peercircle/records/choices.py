from __future__ import annotations

from django.db import models

# The difficulty flags are the concerns app's words: a flag on a record becomes a concern there.
# Stored on a record as plain values, never encrypted, so a coordinator can see *that* a flag was
# raised without reading what was said.
from peercircle.concerns.choices import Flag

__all__ = ["Flag", "Via", "SafeguardingReason"]


class Via(models.TextChoices):
    """Where a read of a record came from, for the access log."""

    PAGE = "page", "Record page"
    EDIT = "edit", "Edit page"
    EXPORT = "export", "Downloaded copy"
    API = "api", "API"
    BREAK_GLASS = "break_glass", "Safeguarding access"


class SafeguardingReason(models.TextChoices):
    """Why confidentiality may be broken (handbook §11B, appendix ii)."""

    RISK_TO_CHILDREN = "children", "Actual or potential risk to a child"
    RISK_TO_ADULTS = "adults", "Actual or potential risk to an adult"
