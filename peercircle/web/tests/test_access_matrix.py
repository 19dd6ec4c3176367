"""Every page against the whole cast: who gets in, and everyone else gets "not found".

A row names a page, how to build its URL from the cast, the HTTP method, and the cast members
allowed in. Everyone not allowed must get 404, never 403, so nobody learns what exists.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from peercircle.concerns.models import Concern
from peercircle.concerns.services import support_request_send
from peercircle.conftest import CAST_NAMES, Cast
from peercircle.notifications.services import notify
from peercircle.people import services
from peercircle.people.models import Membership, Person, TrainingRecord
from peercircle.schemes.models import Scheme


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[Cast], str]
    allowed: frozenset[str]
    method: str = "get"


def _membership(person: Person) -> Membership:
    return Membership.objects.get(person=person)


def _training(cast: Cast) -> TrainingRecord:
    from datetime import date

    return services.training_record_add(
        person=cast.mo, actor=None, title="Safeguarding refresher", completed_on=date(2026, 1, 5)
    )


def _mias_request(cast: Cast) -> Concern:
    return support_request_send(
        person=cast.mia, scheme=cast.scheme, message="Help", severity="medium", actor=None
    )


def _on_mias_request(view: str) -> Callable[[Cast], str]:
    return lambda c: reverse(view, args=[_mias_request(c).pk])


def _mias_notification(cast: Cast) -> int:
    notification = notify(person=cast.mia, kind="test", title="Hello", email=False)
    assert notification is not None
    return notification.pk


def _matching_run(cast: Cast) -> int:
    from peercircle.matching.services import run_start

    return run_start(scheme=cast.scheme, actor=None).pk


def _peer_groups(cast: Cast) -> Scheme:
    """A peer-group scheme Cora coordinates, with Mo and Mia kept apart (made once per test)."""
    from peercircle.groups.tests.helpers import add_peers, group_scheme
    from peercircle.relationships.models import PairExclusion

    existing = Scheme.objects.filter(organisation=cast.org, slug="peer-groups").first()
    if existing is not None:
        return existing
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 6)
    low, high = sorted((cast.mo, cast.mia), key=lambda p: p.pk)
    PairExclusion.objects.create(
        organisation=cast.org, scheme=scheme, person_low=low, person_high=high, reason="test"
    )
    return scheme


def _mias_group(cast: Cast) -> int:
    from peercircle.groups.models import GroupMembership
    from peercircle.groups.tests.helpers import confirmed

    scheme = _peer_groups(cast)
    if not GroupMembership.objects.filter(person=cast.mia).exists():
        confirmed(cast, scheme)
    return GroupMembership.objects.get(person=cast.mia).group_id


def _staff_peers(cast: Cast) -> Scheme:
    """A mutual peer scheme Cora coordinates, with Mo and Mia as peers (made once per test)."""
    from peercircle.conftest import join
    from peercircle.rotations.tests.helpers import add_peers, rotation_scheme

    existing = Scheme.objects.filter(organisation=cast.org, slug="peers").first()
    if existing is not None:
        return existing
    scheme = rotation_scheme(cast)
    join(cast.mo, scheme, "peer")
    join(cast.mia, scheme, "peer")
    add_peers(cast, scheme, 2)
    return scheme


def _rotation_round(cast: Cast) -> str:
    from peercircle.rotations.models import RotationRound
    from peercircle.rotations.services import round_preview

    scheme = _staff_peers(cast)
    existing = RotationRound.objects.filter(scheme=scheme).first()
    return (existing or round_preview(scheme=scheme, actor=None)).get_absolute_url()


def _group_formation(cast: Cast) -> int:
    from peercircle.groups.models import GroupFormation
    from peercircle.groups.tests.helpers import form

    scheme = _peer_groups(cast)
    existing = GroupFormation.objects.filter(scheme=scheme).first()
    return existing.pk if existing is not None else form(cast, scheme).pk


PAGES = [
    Page("home", lambda c: reverse("web:home"), frozenset(CAST_NAMES)),
    Page("people list", lambda c: reverse("people:list"), frozenset(CAST_NAMES)),
    Page(
        "mentee page",
        lambda c: reverse("people:detail", args=[c.mia.pk]),
        frozenset({"ada", "cora", "sam", "mia"}),
    ),
    Page(
        "mentor page",
        lambda c: reverse("people:detail", args=[c.mo.pk]),
        frozenset({"ada", "cora", "mo"}),
    ),
    Page(
        "outsider page",
        lambda c: reverse("people:detail", args=[c.oz.pk]),
        frozenset({"ada", "oz"}),
    ),
    Page(
        "edit mentee", lambda c: reverse("people:edit", args=[c.mia.pk]), frozenset({"ada", "cora"})
    ),
    Page(
        "mentee personal details",
        lambda c: reverse("people:sensitive", args=[c.mia.pk]),
        frozenset({"ada", "cora", "mia"}),
    ),
    Page(
        "add mentee to scheme",
        lambda c: reverse("people:membership_add", args=[c.mia.pk]),
        frozenset({"ada", "cora"}),
    ),
    Page(
        "record training",
        lambda c: reverse("people:training_add", args=[c.mo.pk]),
        frozenset({"ada", "cora"}),
    ),
    Page(
        "remove training",
        lambda c: reverse("people:training_delete", args=[c.mo.pk, _training(c).pk]),
        frozenset({"ada", "cora"}),
        method="post",
    ),
    Page(
        "invite mentee",
        lambda c: reverse("people:invite", args=[c.mia.pk]),
        frozenset({"ada", "cora"}),
        method="post",
    ),
    Page(
        "change status",
        lambda c: reverse("people:membership_status", args=[_membership(c.mia).pk]),
        frozenset({"ada", "cora"}),
        method="post",
    ),
    Page(
        "record recruitment step",
        lambda c: reverse("people:recruitment_step", args=[_membership(c.mo).pk]),
        frozenset({"ada", "cora"}),
        method="post",
    ),
    Page(
        "mentor application",
        lambda c: reverse("people:application", args=[_membership(c.mo).pk]),
        frozenset({"ada", "cora", "mo"}),
    ),
    Page(
        "reset two-factor",
        lambda c: reverse("people:two_factor_reset", args=[c.cora.pk]),
        frozenset({"ada"}),
        method="post",
    ),
    Page("add a person", lambda c: reverse("people:create"), frozenset({"ada", "cora", "olga"})),
    Page("import", lambda c: reverse("people:import"), frozenset({"ada", "cora", "olga"})),
    Page(
        "import template (CSV)",
        lambda c: reverse("people:import_template", args=["csv"]),
        frozenset({"ada", "cora", "olga"}),
    ),
    Page(
        "import template (Excel)",
        lambda c: reverse("people:import_template", args=["xlsx"]),
        frozenset({"ada", "cora", "olga"}),
    ),
    Page(
        "confirm import",
        lambda c: reverse("people:import_confirm"),
        frozenset({"ada", "cora", "olga"}),
        method="post",
    ),
    Page("concerns", lambda c: reverse("concerns:list"), frozenset(CAST_NAMES)),
    # The mentoring template lets supervisors read records, so Sam sees concerns about Mia.
    Page(
        "a mentee's request for support",
        lambda c: reverse("concerns:detail", args=[_mias_request(c).pk]),
        frozenset({"ada", "cora", "sam", "mia"}),
    ),
    *(
        Page(
            f"{action} a concern",
            _on_mias_request(view),
            frozenset({"ada", "cora"}),
            method="post",
        )
        for action, view in (
            ("take", "concerns:take"),
            ("assign", "concerns:assign"),
            ("change the status of", "concerns:status"),
            ("add a note to", "concerns:note"),
        )
    ),
    Page(
        "raise a concern", lambda c: reverse("concerns:create"), frozenset({"ada", "cora", "olga"})
    ),
    Page(
        "ask for support",
        lambda c: reverse("concerns:support"),
        frozenset({"cora", "sam", "mo", "mia", "olga"}),
    ),
    Page("notifications", lambda c: reverse("notifications:list"), frozenset(CAST_NAMES)),
    Page(
        "open a mentee's notification",
        lambda c: reverse("notifications:open", args=[_mias_notification(c)]),
        frozenset({"mia"}),
        method="post",
    ),
    Page(
        "mark a mentee's notification read",
        lambda c: reverse("notifications:read", args=[_mias_notification(c)]),
        frozenset({"mia"}),
        method="post",
    ),
    Page(
        "mark all notifications read",
        lambda c: reverse("notifications:read_all"),
        frozenset(CAST_NAMES),
        method="post",
    ),
    Page(
        "a matching run",
        lambda c: reverse("matching:run", args=[_matching_run(c)]),
        frozenset({"ada", "cora"}),
    ),
    Page("my groups", lambda c: reverse("groups:mine"), frozenset(CAST_NAMES)),
    Page(
        "a mentee's peer group",
        lambda c: reverse("groups:detail", args=[_mias_group(c)]),
        frozenset({"ada", "cora", "mia"}),
    ),
    Page(
        "a group formation",
        lambda c: reverse("groups:formation", args=[_group_formation(c)]),
        frozenset({"ada", "cora"}),
    ),
    Page("a rotation round", _rotation_round, frozenset({"ada", "cora"})),
    Page(
        "a peer's rotation history",
        lambda c: reverse("rotations:history", args=[_staff_peers(c).slug, c.mo.pk]),
        frozenset({"ada", "cora", "mo"}),
    ),
    Page("schemes", lambda c: reverse("schemes:list"), frozenset(CAST_NAMES)),
    Page("new scheme", lambda c: reverse("schemes:create"), frozenset({"ada"})),
    Page("organisation settings", lambda c: reverse("organisations:settings"), frozenset({"ada"})),
    Page(
        "save organisation settings",
        lambda c: reverse("organisations:settings"),
        frozenset({"ada"}),
        method="post",
    ),
]
# Olga's own scheme has the same slug as Tri-Borough's: her 200s must show her own scheme only.
SCHEME_PAGES = [
    Page(
        "scheme",
        lambda c: reverse("schemes:detail", args=["mentoring"]),
        frozenset({"ada", "cora", "sam", "mo", "mia", "olga"}),
    ),
    Page(
        "scheme settings",
        lambda c: reverse("schemes:settings", args=["mentoring"]),
        frozenset({"ada", "cora", "olga"}),
    ),
    Page(
        "eligibility rules",
        lambda c: reverse("schemes:eligibility", args=["mentoring"]),
        frozenset({"ada", "cora", "olga"}),
    ),
    Page(
        "matching runs",
        lambda c: reverse("matching:runs", args=["mentoring"]),
        frozenset({"ada", "cora", "olga"}),
    ),
    # Not a peer scheme: the page says so in words to those who run it.
    Page(
        "rotation rounds",
        lambda c: reverse("rotations:scheme", args=["mentoring"]),
        frozenset({"ada", "cora", "olga"}),
    ),
]


def _request(client: Client, page: Page, url: str) -> int:
    response = client.post(url, {}) if page.method == "post" else client.get(url)
    return response.status_code


@pytest.mark.parametrize("page", PAGES + SCHEME_PAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("who", CAST_NAMES)
def test_it_lets_in_only_the_allowed_cast(
    cast: Cast, client_for: Callable[[Person], Client], page: Page, who: str
) -> None:
    client = client_for(getattr(cast, who))
    status = _request(client, page, page.url(cast))
    if who in page.allowed:
        assert status in (200, 302), f"{who} should reach {page.name}, got {status}"
    else:
        assert status == 404, f"{who} must get 'not found' on {page.name}, got {status}"


@pytest.mark.parametrize("page", SCHEME_PAGES, ids=lambda p: p.name)
def test_it_shows_another_organisation_only_its_own_scheme(
    cast: Cast, client_for: Callable[[Person], Client], page: Page
) -> None:
    body = client_for(cast.olga).get(page.url(cast)).content.decode()
    assert "Northshire mentoring" in body
    assert "Carer mentoring" not in body


def test_it_sends_anonymous_visitors_to_sign_in(cast: Cast) -> None:
    for page in PAGES + SCHEME_PAGES:
        if page.method == "get":
            response = Client().get(page.url(cast))
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("account_login"))


def test_people_list_shows_each_viewer_only_whom_they_may_see(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    def names(who: Person) -> set[str]:
        response = client_for(who).get(reverse("people:list"))
        return {p.given_name for p, _ in response.context["rows"]}

    assert names(cast.cora) == {"Cora", "Sam", "Mo", "Mia"}
    assert names(cast.ada) == {"Ada", "Cora", "Sam", "Mo", "Mia", "Oz"}
    assert names(cast.sam) == {"Sam", "Mia"}
    assert names(cast.mo) == {"Mo"}
    assert names(cast.oz) == {"Oz"}
    assert names(cast.olga) == {"Olga"}
