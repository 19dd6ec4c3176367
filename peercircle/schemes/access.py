"""Access gates for schemes: the only way views, exports and commands reach a Scheme.

A refused request gets "not found", exactly as for a scheme that does not exist.
"""

from __future__ import annotations

from typing import Literal, Protocol

from django.db.models import QuerySet
from django.http import Http404

from peercircle.schemes.models import Scheme

SchemePurpose = Literal["view", "manage"]


class SchemeViewer(Protocol):
    @property
    def is_admin(self) -> bool: ...
    @property
    def manages(self) -> frozenset[int]: ...
    @property
    def member_of(self) -> frozenset[int]: ...


def can_access_scheme(viewer: SchemeViewer, scheme: Scheme, purpose: SchemePurpose) -> bool:
    if viewer.is_admin:
        return True
    if purpose == "manage":
        return scheme.pk in viewer.manages
    return scheme.pk in viewer.member_of


def access_scheme(viewer: SchemeViewer, slug: str, *, purpose: SchemePurpose) -> Scheme:
    """The scheme ``slug`` if ``viewer`` may use it for ``purpose``; otherwise 404."""
    scheme = Scheme.objects.filter(slug=slug).first()
    if scheme is None or not can_access_scheme(viewer, scheme, purpose):
        raise Http404("No such scheme.")
    return scheme


def schemes_visible_to(viewer: SchemeViewer) -> QuerySet[Scheme]:
    if viewer.is_admin:
        return Scheme.objects.all()
    return Scheme.objects.filter(pk__in=viewer.member_of)


def schemes_managed_by(viewer: SchemeViewer) -> QuerySet[Scheme]:
    if viewer.is_admin:
        return Scheme.objects.all()
    return Scheme.objects.filter(pk__in=viewer.manages)
