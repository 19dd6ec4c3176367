"""Account pages of our own, where allauth's do not fit how PeerCircle gives out accounts."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


@login_required
def email_addresses(request: HttpRequest) -> HttpResponse:
    """Stands in for allauth's self-service e-mail page, which changes nothing here.

    The sign-in address is the one the invitation was sent to, which proved it belongs to the
    person. allauth's page would let anyone signed in add an unchecked address (verification
    is off, since invitations do that job) and make it their sign-in address, and an unverified
    address also stops two-factor set-up. Coordinators keep people's addresses instead.
    """
    return render(request, "account/email.html")
