"""The demo's clock: run the services as if it were some moment in the demo's past.

A lived-in demo needs a meeting booked in March, marked missed after its time, a concern raised
that evening and picked up the next morning. The services rightly refuse to book a meeting in
the past and stamp every row with the time of the call, so the demo writer tells each step of a
story at its own moment: inside ``demo_clock(moment)``, ``django.utils.timezone.now`` (which
every service, ``localdate`` and every ``auto_now`` field reads) returns that moment, moving on
as real time does. Only the demo writer uses it, in its own transaction, before any server runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.utils import timezone

_real_now = timezone.now


@contextmanager
def demo_clock(moment: datetime) -> Iterator[None]:
    """Within the block, it is ``moment`` (plus the real time spent in the block)."""
    started = _real_now()

    def now() -> datetime:
        return moment + (_real_now() - started)

    with mock.patch.object(timezone, "now", now):
        yield


def aware(moment: datetime) -> datetime:
    """A naive local time of the plan as an aware datetime in the site's time zone."""
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment
