"""Access gate for the organisation's own settings: its admins only, everyone else "not found"."""

from __future__ import annotations

from typing import Protocol

from django.http import Http404

from peercircle.organisations.models import Organisation


class OrganisationViewer(Protocol):
    @property
    def is_admin(self) -> bool: ...
    @property
    def organisation(self) -> Organisation: ...


def access_organisation_settings(viewer: OrganisationViewer) -> Organisation:
    """The viewer's own organisation, if they are one of its admins; otherwise 404."""
    if not viewer.is_admin:
        raise Http404("No such page.")
    return viewer.organisation
