"""Group pages against the whole cast, page behaviour, bad input and query counts."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from peercircle.conftest import CAST_NAMES, Cast
from peercircle.groups.choices import FormationStatus
from peercircle.groups.models import GroupFormation, GroupMembership, PeerGroup
from peercircle.groups.tests.helpers import add_peers, confirmed, form, group_scheme
from peercircle.people.models import Person
from peercircle.relationships.models import PairExclusion
from peercircle.schemes.models import Scheme

pytestmark = pytest.mark.django_db
MANAGERS = frozenset({"ada", "cora"})


@dataclass
class World:
    scheme: Scheme
    mias_group: PeerGroup
    mos_group: PeerGroup
    formation: GroupFormation


def _apart(cast: Cast, scheme: Scheme, a: Person, b: Person) -> None:
    low, high = sorted((a, b), key=lambda p: p.pk)
    PairExclusion.objects.create(
        organisation=cast.org, scheme=scheme, person_low=low, person_high=high, reason="x"
    )


@pytest.fixture
def world(cast: Cast) -> World:
    """Mia and Mo in two different confirmed groups, and a new proposal for late joiners."""
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    _apart(cast, scheme, cast.mo, cast.mia)
    confirmed(cast, scheme)
    add_peers(cast, scheme, 8, prefix="Late")
    formation = form(cast, scheme)
    return World(
        scheme,
        GroupMembership.objects.get(person=cast.mia).group,
        GroupMembership.objects.get(person=cast.mo).group,
        formation,
    )


@dataclass(frozen=True)
class Page:
    name: str
    url: Callable[[World], str]
    allowed: frozenset[str]
    method: str = "get"


def _on_formation(view: str) -> Callable[[World], str]:
    return lambda w: reverse(view, args=[w.formation.pk])


PAGES = [
    Page("my groups", lambda w: reverse("groups:mine"), frozenset(CAST_NAMES)),
    Page(
        "Mia's group",
        lambda w: reverse("groups:detail", args=[w.mias_group.pk]),
        MANAGERS | {"mia"},
    ),
    Page(
        "Mo's group", lambda w: reverse("groups:detail", args=[w.mos_group.pk]), MANAGERS | {"mo"}
    ),
    Page("scheme groups", lambda w: reverse("groups:scheme", args=[w.scheme.slug]), MANAGERS),
    Page("form groups", lambda w: reverse("groups:form", args=[w.scheme.slug]), MANAGERS),
    Page(
        "run a formation",
        lambda w: reverse("groups:form", args=[w.scheme.slug]),
        MANAGERS,
        method="post",
    ),
    Page("a formation", lambda w: reverse("groups:formation", args=[w.formation.pk]), MANAGERS),
    Page(
        "a formation's progress",
        lambda w: reverse("groups:progress", args=[w.formation.pk]),
        MANAGERS,
    ),
    *(
        Page(name, _on_formation(view), MANAGERS, method="post")
        for name, view in (
            ("move someone", "groups:move"),
            ("re-run", "groups:rerun"),
            ("discard", "groups:discard"),
            ("confirm", "groups:confirm"),
        )
    ),
]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_who_may_open_each_group_page(
    page: Page, cast: Cast, world: World, client_for: Callable[[Person], Client]
) -> None:
    url = page.url(world)
    for name, person in cast.everyone().items():
        client = client_for(person)
        data = {"scope": "waiting", "w_area": "1", "person": "1", "to_group": "1"}
        response = client.post(url, data) if page.method == "post" else client.get(url)
        if name in page.allowed:
            assert response.status_code in (200, 302), f"{name} refused {page.name}"
        else:
            assert response.status_code == 404, f"{name} got {response.status_code} on {page.name}"


def test_a_scheme_without_groups_has_no_group_pages(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cast.cora)
    assert client.get(reverse("groups:scheme", args=[cast.scheme.slug])).status_code == 404
    assert client.get(reverse("groups:form", args=[cast.scheme.slug])).status_code == 404


def test_members_see_only_their_own_group_and_no_balance(
    cast: Cast, world: World, client_for: Callable[[Person], Client]
) -> None:
    mine = client_for(cast.mia).get(reverse("groups:mine")).content.decode()
    assert f'href="/groups/{world.mias_group.pk}/"' in mine
    assert f'href="/groups/{world.mos_group.pk}/"' not in mine
    page = client_for(cast.mia).get(reverse("groups:detail", args=[world.mias_group.pk]))
    text = page.content.decode()
    assert "Mia Example (you)" in text
    assert "Mo Example" not in text
    assert "balance" not in text.lower()
    assert "How these groups were formed" not in text


def test_a_coordinator_runs_a_formation_and_sees_the_proposal(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    client = client_for(cast.cora)

    page = client.get(reverse("groups:form", args=[scheme.slug]))
    assert "12 people take part" in page.content.decode()
    response = client.post(
        reverse("groups:form", args=[scheme.slug]),
        {"scope": "waiting", "w_area": "3", "w_role": "0", "w_experience": "1"},
    )
    formation = GroupFormation.objects.get()
    assert response.status_code == 302 and response["Location"] == formation.get_absolute_url()
    text = client.get(response["Location"]).content.decode()
    assert "Overall balance" in text
    assert "Town or area (matters most); Years of experience (a little)" in text
    assert re.search(
        r"Town or area: Hull \d \(fair share 1\.5\), Leeds \d \(fair share 2\.0\)", text
    )
    assert "not recorded 1 (fair share 1.0); balance" in text  # Mo and Mia have no town
    assert "Group 2" in text
    assert "Mia Example" in text


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"scope": "waiting"}, "Choose at least one thing to balance"),
        ({"scope": "waiting", "w_gender": "2"}, "Nobody being placed has “Gender” recorded"),
    ],
)
def test_bad_input_is_explained_on_the_form(
    cast: Cast, client_for: Callable[[Person], Client], data: dict[str, str], words: str
) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    response = client_for(cast.cora).post(reverse("groups:form", args=[scheme.slug]), data)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert 'role="alert"' in response.content.decode()
    assert not GroupFormation.objects.exists()


def test_too_few_people_is_explained_on_the_form(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    scheme = group_scheme(cast)  # Mo and Mia only; groups of 4-6
    response = client_for(cast.cora).post(
        reverse("groups:form", args=[scheme.slug]), {"scope": "waiting", "w_area": "1"}
    )
    assert response.status_code == 200
    assert "Only 2 people can be placed, but the smallest group is 4" in response.content.decode()


def test_a_refused_move_says_why_and_a_good_one_moves(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=6)
    add_peers(cast, scheme, 12)  # 5, 5, 4
    _apart(cast, scheme, cast.mo, cast.mia)
    formation = form(cast, scheme)
    groups = {g.number: g for g in formation.groups.all()}
    mias = next(n for n, g in groups.items() if str(cast.mia.pk) in g.members)
    client = client_for(cast.cora)
    url = reverse("groups:move", args=[formation.pk])

    refused = client.post(url, {"person": cast.mo.pk, "to_group": mias}, follow=True)
    assert "Mo Example must never be in a group with Mia Example (x)" in refused.content.decode()

    big = next(g for g in groups.values() if g.size == 5)
    small = next(g for g in groups.values() if g.size == 4)
    moved = next(int(m) for m in big.members if int(m) not in (cast.mo.pk, cast.mia.pk))
    done = client.post(url, {"person": moved, "to_group": small.number}, follow=True)
    assert f"Moved to group {small.number}." in done.content.decode()
    assert str(moved) in formation.groups.get(number=small.number).members
    name = Person.objects.get(pk=moved).full_name
    assert f"moved {name} from group {big.number} to group {small.number}" in done.content.decode()


def test_confirming_on_the_page_creates_groups(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    formation = form(cast, scheme)
    response = client_for(cast.cora).post(
        reverse("groups:confirm", args=[formation.pk]), follow=True
    )
    assert "Confirmed 2 groups" in response.content.decode()
    formation.refresh_from_db()
    assert formation.status == FormationStatus.CONFIRMED
    assert PeerGroup.objects.filter(scheme=scheme).count() == 2


def test_the_progress_fragment_polls_while_working_and_reloads_when_done(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    formation = form(cast, scheme)
    GroupFormation.objects.filter(pk=formation.pk).update(
        status=FormationStatus.RUNNING, progress=0.5, stage="Forming the groups"
    )
    client = client_for(cast.cora)
    url = reverse("groups:progress", args=[formation.pk])
    working = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 2s"' in working
    assert 'value="50"' in working
    page = client.get(reverse("groups:formation", args=[formation.pk])).content.decode()
    assert "You can leave this page and come back" in page

    GroupFormation.objects.filter(pk=formation.pk).update(status=FormationStatus.READY)
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.headers["HX-Refresh"] == "true"


# Query counts: list pages do not grow with their rows ------------------------------------------


def _queries(client: Client, url: str, django_assert_max_num_queries: Any, limit: int) -> None:
    with django_assert_max_num_queries(limit):
        assert client.get(url).status_code == 200


def test_group_list_pages_use_a_fixed_number_of_queries(
    cast: Cast,
    client_for: Callable[[Person], Client],
    django_assert_max_num_queries: Callable[[int], Any],
) -> None:
    scheme = group_scheme(cast, min_size=2, max_size=3)
    add_peers(cast, scheme, 60)
    groups = confirmed(cast, scheme)
    cora = client_for(cast.cora)
    mia = client_for(cast.mia)
    add_peers(cast, scheme, 90, prefix="Late")
    formation = form(cast, scheme)  # 30 proposed groups: one page of 20
    assert formation.groups.count() == 30
    # Mia in many groups (of other schemes' sizes it is one group, so add memberships by hand).
    for group in groups[:25]:
        GroupMembership.objects.get_or_create(
            organisation=cast.org,
            group=group,
            person=cast.mia,
            defaults={"joined_at": group.formed_at},
        )

    limit = 14  # session, user, viewer, scope and notifications, plus the page's own few
    _queries(
        cora, reverse("groups:scheme", args=[scheme.slug]), django_assert_max_num_queries, limit
    )
    _queries(
        cora, reverse("groups:formation", args=[formation.pk]), django_assert_max_num_queries, limit
    )
    _queries(
        cora, reverse("groups:detail", args=[groups[0].pk]), django_assert_max_num_queries, limit
    )
    _queries(mia, reverse("groups:mine"), django_assert_max_num_queries, limit)
    _queries(cora, reverse("groups:form", args=[scheme.slug]), django_assert_max_num_queries, limit)


def test_a_split_the_engine_cannot_find_is_shown_in_words_not_as_an_error_page(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    scheme = group_scheme(cast, min_size=4, max_size=6)
    peers = add_peers(cast, scheme, 10)  # 12 people: two groups of 6
    trio = [cast.mo, cast.mia, peers[0]]  # three people who must all be apart: two groups
    for x in range(3):
        for y in range(x + 1, 3):
            _apart(cast, scheme, trio[x], trio[y])
    client = client_for(cast.cora)

    response = client.post(
        reverse("groups:form", args=[scheme.slug]), {"scope": "waiting", "w_area": "1"}, follow=True
    )

    assert response.status_code == 200
    text = response.content.decode()
    formation = GroupFormation.objects.get()
    assert formation.status == FormationStatus.FAILED
    assert "The groups could not be formed" in text
    assert "Lower the largest group so that there are more groups" in text
    assert "Try again" in text
    assert not formation.groups.exists()
