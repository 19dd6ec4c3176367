"""Reads of a person's notifications."""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from peercircle.notifications.models import Notification
from peercircle.people.models import Person


def notifications_of(person: Person) -> QuerySet[Notification]:
    """The person's notifications, newest first (the index on person, read_at, created_at)."""
    return Notification.objects.filter(person=person).order_by("-created_at", "-id")


def unread_count(person: Person) -> int:
    return Notification.objects.filter(person=person, read_at=None).count()


def unread_count_subquery() -> Coalesce:
    """A person's unread count as an expression, to annotate the query that loads them."""
    unread = (
        Notification.objects.filter(person=OuterRef("pk"), read_at=None)
        .order_by()
        .values("person")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(unread, output_field=IntegerField()), 0)
