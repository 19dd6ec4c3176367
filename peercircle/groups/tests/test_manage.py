"""Running confirmed groups: rename, close, add and remove members; services, then pages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse

from peercircle.audit.models import AuditEvent
from peercircle.conftest import CAST_NAMES, Cast
from peercircle.groups import services
from peercircle.groups.choices import GroupStatus
from peercircle.groups.models import GroupMembership, PeerGroup
from peercircle.groups.tests.helpers import add_peers, confirmed, group_scheme
from peercircle.notifications.models import Notification
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
    late: Person


def _apart(cast: Cast, scheme: Scheme, a: Person, b: Person) -> None:
    low, high = sorted((a, b), key=lambda p: p.pk)
    PairExclusion.objects.create(
        organisation=cast.org, scheme=scheme, person_low=low, person_high=high, reason="conflict"
    )


def _max(scheme: Scheme, high: int) -> None:
    Scheme.objects.filter(pk=scheme.pk).update(group_max_size=high)


@pytest.fixture
def world(cast: Cast) -> World:
    """Twelve peers in two full groups of six (Mia and Mo apart), and one late joiner waiting."""
    scheme = group_scheme(cast)
    add_peers(cast, scheme, 10)
    _apart(cast, scheme, cast.mo, cast.mia)
    confirmed(cast, scheme)
    (late,) = add_peers(cast, scheme, 1, prefix="Late")
    return World(
        scheme,
        GroupMembership.objects.get(person=cast.mia).group,
        GroupMembership.objects.get(person=cast.mo).group,
        late,
    )


def _current(group: PeerGroup) -> set[int]:
    return set(
        GroupMembership.objects.filter(group=group, left_at=None).values_list(
            "person_id", flat=True
        )
    )


def _refused(call: Callable[[], object], *words: str) -> None:
    events = AuditEvent.objects.count()
    with pytest.raises(services.GroupRefused) as exc:
        call()
    text = " ".join(exc.value.messages)
    for word in words:
        assert word in text, text
    assert AuditEvent.objects.count() == events  # nothing recorded, nothing half-saved


# Rename ---------------------------------------------------------------------------------------


def test_rename_changes_the_name_and_is_audited(cast: Cast, world: World) -> None:
    group = services.group_rename(
        group=world.mias_group, name="  Tuesday   evenings ", actor=cast.cora.user
    )
    group.refresh_from_db()
    assert group.name == "Tuesday evenings"
    event = AuditEvent.objects.get(action="groups.group_renamed")
    assert event.actor == cast.cora.user
    assert "Tuesday evenings" in event.summary


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("   ", ("Type a name",)),
        ("x" * 101, ("101 characters", "100 or fewer")),
    ],
)
def test_rename_refuses_a_blank_or_long_name(
    cast: Cast, world: World, name: str, words: tuple[str, ...]
) -> None:
    before = world.mias_group.name
    _refused(
        lambda: services.group_rename(group=world.mias_group, name=name, actor=cast.cora.user),
        *words,
    )
    world.mias_group.refresh_from_db()
    assert world.mias_group.name == before


def test_rename_refuses_the_same_name_or_another_groups_name(cast: Cast, world: World) -> None:
    mine, other = world.mias_group, world.mos_group
    _refused(
        lambda: services.group_rename(group=mine, name=mine.name, actor=None), "already called"
    )
    _refused(
        lambda: services.group_rename(group=mine, name=other.name.upper(), actor=None),
        "Another group",
        "different name",
    )


# Close ----------------------------------------------------------------------------------------


def test_close_ends_memberships_keeps_the_group_and_tells_members(cast: Cast, world: World) -> None:
    group = world.mias_group
    members = _current(group)
    services.group_close(group=group, actor=cast.cora.user)
    group.refresh_from_db()
    assert group.status == GroupStatus.CLOSED
    assert group.closed_at is not None
    assert _current(group) == set()
    left = GroupMembership.objects.filter(group=group)
    assert set(left.values_list("person_id", flat=True)) == members
    assert all(m.left_at == group.closed_at for m in left)
    notes = Notification.objects.filter(kind="groups.closed")
    assert set(notes.values_list("person_id", flat=True)) == members
    others = Person.objects.filter(pk__in=members).exclude(pk=cast.mia.pk)
    mias = notes.get(person=cast.mia)
    for person in others:  # nothing about anyone else in it
        assert person.given_name not in mias.body + mias.title
    assert _current(world.mos_group)  # the other group is untouched
    assert AuditEvent.objects.filter(action="groups.group_closed").count() == 1


def test_a_closed_group_cannot_be_closed_renamed_or_changed(cast: Cast, world: World) -> None:
    group = world.mias_group
    services.group_close(group=group, actor=None)
    _max(world.scheme, 10)
    for call in (
        lambda: services.group_close(group=group, actor=None),
        lambda: services.group_rename(group=group, name="New", actor=None),
        lambda: services.group_add_member(group=group, person_id=world.late.pk, actor=None),
        lambda: services.group_remove_member(group=group, person_id=cast.mia.pk, actor=None),
    ):
        _refused(call, "is closed")


# Add a member ---------------------------------------------------------------------------------


def test_add_a_waiting_person_to_a_group_with_room(cast: Cast, world: World) -> None:
    _max(world.scheme, 7)
    group = world.mias_group
    services.group_add_member(group=group, person_id=world.late.pk, actor=cast.cora.user)
    assert world.late.pk in _current(group)
    assert AuditEvent.objects.filter(action="groups.member_added").count() == 1
    note = Notification.objects.get(person=world.late, kind="groups.joined")
    assert group.name in note.body


def test_add_refuses_a_full_group(cast: Cast, world: World) -> None:
    group = world.mias_group
    _refused(
        lambda: services.group_add_member(group=group, person_id=world.late.pk, actor=None),
        "already has 6 members",
        "Remove someone first",
    )
    assert world.late.pk not in _current(group)


def test_add_refuses_someone_who_must_not_be_grouped_with_a_member(
    cast: Cast, world: World
) -> None:
    _max(world.scheme, 7)
    _apart(cast, world.scheme, world.late, cast.mia)
    _refused(
        lambda: services.group_add_member(
            group=world.mias_group, person_id=world.late.pk, actor=None
        ),
        "must never be in a group with Mia Example (conflict)",
    )
    assert world.late.pk not in _current(world.mias_group)


def test_add_refuses_someone_in_an_active_group_of_the_scheme(cast: Cast, world: World) -> None:
    _max(world.scheme, 7)
    _refused(
        lambda: services.group_add_member(group=world.mias_group, person_id=cast.mo.pk, actor=None),
        f"already in {world.mos_group.name}",
        "Remove them from",
    )
    _refused(
        lambda: services.group_add_member(
            group=world.mias_group, person_id=cast.mia.pk, actor=None
        ),
        f"already in {world.mias_group.name}",
    )


@pytest.mark.parametrize("who", ["cora", "oz", "olga"])
def test_add_refuses_someone_not_taking_part_in_the_scheme(
    cast: Cast, world: World, who: str
) -> None:
    _max(world.scheme, 7)
    person = getattr(cast, who)
    _refused(
        lambda: services.group_add_member(group=world.mias_group, person_id=person.pk, actor=None),
        "does not take part",
    )
    assert person.pk not in _current(world.mias_group)


# Remove a member ------------------------------------------------------------------------------


def test_remove_sets_the_left_date_and_keeps_the_group(cast: Cast, world: World) -> None:
    group = world.mias_group
    services.group_remove_member(group=group, person_id=cast.mia.pk, actor=cast.cora.user)
    membership = GroupMembership.objects.get(group=group, person=cast.mia)
    assert membership.left_at is not None
    group.refresh_from_db()
    assert group.status == GroupStatus.ACTIVE
    assert len(_current(group)) == 5
    assert AuditEvent.objects.filter(action="groups.member_removed").count() == 1


def test_remove_refuses_someone_not_in_the_group(cast: Cast, world: World) -> None:
    _refused(
        lambda: services.group_remove_member(
            group=world.mias_group, person_id=cast.mo.pk, actor=None
        ),
        "not in",
    )
    assert cast.mo.pk in _current(world.mos_group)


def test_a_removed_member_can_join_another_group_or_come_back(cast: Cast, world: World) -> None:
    _max(world.scheme, 7)
    services.group_remove_member(group=world.mias_group, person_id=cast.mia.pk, actor=None)
    services.group_add_member(group=world.mias_group, person_id=cast.mia.pk, actor=None)
    assert cast.mia.pk in _current(world.mias_group)
    assert GroupMembership.objects.filter(person=cast.mia).count() == 1


# Pages ----------------------------------------------------------------------------------------


ACTIONS = ("rename", "close", "add_member", "remove_member")


@pytest.mark.parametrize("action", ACTIONS)
def test_only_the_schemes_coordinators_and_admins_may_run_a_group(
    action: str, cast: Cast, world: World, client_for: Callable[[Person], Client]
) -> None:
    url = reverse(f"groups:{action}", args=[world.mias_group.pk])
    data = {"name": "Renamed", "person": str(world.late.pk)}
    outsiders = [n for n in CAST_NAMES if n not in MANAGERS]
    for name in outsiders:  # members of the group included: they are refused too
        response = client_for(getattr(cast, name)).post(url, data)
        assert response.status_code == 404, f"{name} got {response.status_code} on {action}"
    group = PeerGroup.objects.get(pk=world.mias_group.pk)
    assert group.name == world.mias_group.name and group.status == GroupStatus.ACTIVE
    assert not AuditEvent.objects.filter(action__startswith="groups.group_").exists()
    assert not AuditEvent.objects.filter(action__startswith="groups.member_").exists()
    for name in sorted(MANAGERS):
        response = client_for(getattr(cast, name)).post(url, data)
        assert response.status_code == 302, f"{name} refused {action}"
        assert client_for(getattr(cast, name)).get(url).status_code == 405


def test_the_group_page_offers_the_controls_to_managers_only(
    cast: Cast, world: World, client_for: Callable[[Person], Client]
) -> None:
    url = reverse("groups:detail", args=[world.mias_group.pk])
    page = client_for(cast.cora).get(url).content.decode()
    assert "Rename the group" in page and "Close " in page
    assert f'<option value="{world.late.pk}">Late0000 Example</option>' in page
    assert f'<option value="{cast.mo.pk}">' not in page  # in another group already
    member = client_for(cast.mia).get(url).content.decode()
    assert "Rename the group" not in member and "Remove" not in member


def test_a_refusal_on_the_page_says_why_and_a_good_change_is_made(
    cast: Cast, world: World, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cast.cora)
    group = world.mias_group
    response = client.post(
        reverse("groups:add_member", args=[group.pk]), {"person": world.late.pk}, follow=True
    )
    assert "already has 6 members" in response.content.decode()
    response = client.post(
        reverse("groups:remove_member", args=[group.pk]), {"person": cast.mia.pk}, follow=True
    )
    assert "Removed them from the group" in response.content.decode()
    response = client.post(reverse("groups:rename", args=[group.pk]), {"name": ""}, follow=True)
    assert "Type a new name" in response.content.decode()
    response = client.post(reverse("groups:close", args=[group.pk]))
    assert response["Location"] == reverse("groups:scheme", args=[world.scheme.slug])
    group.refresh_from_db()
    assert group.status == GroupStatus.CLOSED


def test_the_group_page_uses_a_fixed_number_of_queries(
    cast: Cast,
    world: World,
    client_for: Callable[[Person], Client],
    django_assert_max_num_queries: object,
) -> None:
    add_peers(cast, world.scheme, 40, prefix="More")
    client = client_for(cast.cora)
    url = reverse("groups:detail", args=[world.mias_group.pk])
    client.get(url)
    with django_assert_max_num_queries(10):  # type: ignore[operator]
        assert client.get(url).status_code == 200
