"""A person's own notifications. Nobody, not even an admin, reads another person's."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from peercircle.notifications.models import Notification
from peercircle.notifications.selectors import notifications_of
from peercircle.notifications.services import notification_mark_read
from peercircle.people.viewer import Viewer
from peercircle.web.decorators import paginate, viewer_required


@viewer_required
def notification_list(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    context = paginate(request, notifications_of(viewer.person), settings.PAGE_SIZE)
    return render(request, "notifications/list.html", context)


def _own(viewer: Viewer, pk: int) -> Notification:
    notification = Notification.objects.filter(pk=pk, person=viewer.person).first()
    if notification is None:
        raise Http404("No such notification.")
    return notification


@require_POST
@viewer_required
def notification_open(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    """Mark the notification read and go where it points (only ever inside PeerCircle)."""
    notification = _own(viewer, pk)
    notification_mark_read(person=viewer.person, notification_id=notification.pk)
    link = notification.link
    if link and url_has_allowed_host_and_scheme(link, allowed_hosts=None) and link.startswith("/"):
        return redirect(link)
    return _back_to_list(request)


@require_POST
@viewer_required
def notification_read(request: HttpRequest, viewer: Viewer, pk: int) -> HttpResponse:
    notification_mark_read(person=viewer.person, notification_id=_own(viewer, pk).pk)
    return _back_to_list(request)


def _back_to_list(request: HttpRequest) -> HttpResponse:
    """Back to the page of the list the person was on."""
    page = request.POST.get("page", "")
    url = reverse("notifications:list")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@require_POST
@viewer_required
def notification_read_all(request: HttpRequest, viewer: Viewer) -> HttpResponse:
    marked = notification_mark_read(person=viewer.person)
    messages.success(
        request,
        f"Marked {marked} notification{'s' if marked != 1 else ''} as read."
        if marked
        else "Nothing was unread.",
    )
    return _back_to_list(request)
