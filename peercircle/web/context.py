from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from peercircle.notifications.selectors import unread_count
from peercircle.people.models import Person


def _unread(person: Person) -> int | Callable[[], int]:
    """Loaded with the person on each request (``viewer_for_user``); else counted if shown."""
    loaded = getattr(person, "unread_notifications", None)
    return loaded if isinstance(loaded, int) else partial(unread_count, person)


def navigation(request: HttpRequest) -> dict[str, Any]:
    """The main menu, showing only what the signed-in person can use."""
    viewer = getattr(request, "viewer", None)
    if viewer is None:
        return {"nav_items": [], "nav_organisation": None, "nav_unread": 0}
    items = [("Home", reverse("web:home"))]
    if viewer.is_coordinator or viewer.supervises_in:
        items.append(("People", reverse("people:list")))
    items.append(("Schemes", reverse("schemes:list")))
    items.append(("Relationships", reverse("relationships:list")))
    if viewer.is_coordinator or viewer.supervises_in:
        items.append(("Concerns", reverse("concerns:list")))
    if viewer.is_coordinator:
        items.append(("Import", reverse("people:import")))
    if viewer.is_admin:
        items.append(("Organisation", reverse("organisations:settings")))
    path = request.path
    return {
        "nav_organisation": viewer.organisation,
        "nav_unread": _unread(viewer.person),
        "nav_items": [
            {
                "label": label,
                "url": url,
                "current": path == url if url == "/" else path.startswith(url),
            }
            for label, url in items
        ],
    }
