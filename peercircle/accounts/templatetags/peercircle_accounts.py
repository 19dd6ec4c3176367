from __future__ import annotations

from typing import Any

from django import template

from peercircle.accounts import twofactor

register = template.Library()


@register.simple_tag(takes_context=True)
def two_factor_required(context: dict[str, Any]) -> bool:
    """Whether the signed-in person's organisation requires two-factor sign-in for their role."""
    viewer = getattr(context.get("request"), "viewer", None)
    return viewer is not None and twofactor.two_factor_required(viewer)
