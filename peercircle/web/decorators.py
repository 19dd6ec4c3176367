from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peercircle.people.viewer import Viewer

P = ParamSpec("P")


def viewer_required(
    view: Callable[Concatenate[HttpRequest, Viewer, P], HttpResponse],
) -> Callable[Concatenate[HttpRequest, P], HttpResponse]:
    """Sign-in required, and the account must belong to a person; the view receives the Viewer."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponse:
        viewer: Viewer | None = getattr(request, "viewer", None)
        if viewer is None:
            return render(request, "web/no_person.html", status=403)
        return view(request, viewer, *args, **kwargs)

    protected: Callable[Concatenate[HttpRequest, P], HttpResponse] = login_required(wrapper)
    return protected


def paginate(request: HttpRequest, items: Any, per_page: int) -> dict[str, Any]:
    """A page of ``items`` and the query string to keep filters across pages."""

    paginator = Paginator(items, per_page)
    page = paginator.get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    encoded = query.urlencode()
    return {"page": page, "query_without_page": f"{encoded}&" if encoded else ""}
