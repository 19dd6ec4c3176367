"""Typed readers for settings from environment variables (healthchecks' envbool/envint)."""

from __future__ import annotations

import os
from pathlib import Path


class SettingsError(RuntimeError):
    """A setting from the environment that PeerCircle cannot use, with how to fix it."""


def env(name: str, default: str = "") -> str:
    """Read ``name``, or the contents of the file named by ``name_FILE`` (for Docker secrets)."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        return Path(file_name).read_text(encoding="utf-8").strip()
    return os.environ.get(name, default)


def envbool(name: str, default: bool) -> bool:
    raw = env(name, "")
    if raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name}={raw!r} is not a yes/no value: use 1 or 0.")


def envint(name: str, default: int) -> int:
    raw = env(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number.") from None


def envlist(name: str, default: list[str]) -> list[str]:
    raw = env(name, "")
    if raw == "":
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]
