"""Invitations: a coordinator invites a person; the one-time link sets up their account."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peercircle.accounts.models import User
from peercircle.audit.models import AuditEvent
from peercircle.conftest import Cast
from peercircle.people import services
from peercircle.people.models import Invitation, Person

if TYPE_CHECKING:
    # Only in django-stubs: the test client's response type.
    from django.test.client import _MonkeyPatchedWSGIResponse

GOOD_PASSWORD = "lantern orchard velvet 42"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield


@pytest.fixture
def newcomer(cast: Cast) -> Person:
    """Nia, a new mentee with sensitive details on file and no account yet."""
    return services.person_create_in_scheme(
        scheme=cast.scheme,
        role="mentee",
        status="active",
        actor=None,
        data={
            "given_name": "Nia",
            "family_name": "Okafor",
            "email": "nia@example.org",
            "needs": "Support after a placement ended suddenly",
            "place": "Hammersmith",
        },
        sensitive={
            "ethnicity": "Black British",
            "relationship_status": "Separated",
            "gender": "Woman",
        },
    )


Invite = Callable[[Client, Person], str]


@pytest.fixture
def invite(django_capture_on_commit_callbacks: Any) -> Invite:
    """Press the person page's "Invite to sign in" button; return the path of the e-mailed link."""

    def press(client: Client, person: Person) -> str:
        # The e-mail leaves when the invitation commits; a test's transaction never commits.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("people:invite", args=[person.pk]), follow=True)
        assert f"Invitation sent to {person.email}" in response.content.decode()
        found = re.search(r"https?://\S+(/invite/\S+/)", str(mail.outbox[-1].body))
        assert found is not None
        assert mail.outbox[-1].to == [person.email]
        return found.group(1)

    return press


def _accept(
    client: Client, path: str, password: str = GOOD_PASSWORD, again: str | None = None
) -> _MonkeyPatchedWSGIResponse:
    return client.post(path, {"password1": password, "password2": again or password})


def test_a_coordinator_invites_and_the_link_sets_up_a_signed_in_account(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    path = invite(client_for(cast.cora), newcomer)
    assert mail.outbox[-1].to == ["nia@example.org"]

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    assert "Tri-Borough Fostering has invited Nia" in page.content.decode()

    response = _accept(visitor, path)
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.user is not None
    assert newcomer.user.email == "nia@example.org"
    assert newcomer.user.check_password(GOOD_PASSWORD)
    home = visitor.get(reverse("web:home"))
    assert home.status_code == 200
    assert home.context["person"] == newcomer
    # The new person signs in with the password they chose from then on.
    assert Client().login(username="nia@example.org", password=GOOD_PASSWORD)


def test_the_email_holds_no_sensitive_attributes(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    invite(client_for(cast.cora), newcomer)
    message = mail.outbox[-1]
    text = f"{message.subject}\n{message.body}"
    for private in ("Black British", "Separated", "Woman", "placement ended", "Hammersmith"):
        assert private not in text
    assert "Okafor" not in text  # the greeting uses the given name only
    assert f"{settings.INVITATION_DAYS} days" in text


def test_weak_or_mismatched_passwords_are_explained_and_change_nothing(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    path = invite(client_for(cast.cora), newcomer)
    visitor = Client()
    cases = [
        ("short", None, "This password is too short"),
        ("123456789012345", None, "entirely numeric"),
        ("password1234", None, "too common"),
        ("nia@example.org!", None, "too similar to the e-mail address"),
        (GOOD_PASSWORD, "something else entirely", "The two passwords are different"),
    ]
    for password, again, message in cases:
        response = _accept(visitor, path, password, again)
        body = response.content.decode()
        assert response.status_code == 200, message
        assert "There is a problem" in body
        assert message in body, message
        assert 'aria-invalid="true"' in body
    newcomer.refresh_from_db()
    assert newcomer.user is None
    assert not User.objects.filter(email="nia@example.org").exists()
    assert "_auth_user_id" not in visitor.session


def test_a_used_link_says_so_plainly(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    path = invite(client_for(cast.cora), newcomer)
    _accept(Client(), path)
    response = Client().get(path)
    assert response.status_code == 410
    assert "has been used already" in response.content.decode()
    again = _accept(Client(), path, "another good passphrase 9")
    assert again.status_code == 410
    user = User.objects.get(email="nia@example.org")
    assert user.check_password(GOOD_PASSWORD)


def test_a_second_invitation_revokes_the_first_and_the_first_link_says_so(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    cora = client_for(cast.cora)
    first = invite(cora, newcomer)
    second = invite(cora, newcomer)
    assert first != second
    response = Client().get(first)
    assert response.status_code == 410
    assert "replaced by a newer invitation" in response.content.decode()
    assert _accept(Client(), first).status_code == 410
    assert _accept(Client(), second).status_code == 302
    states = sorted(
        ("accepted" if i.accepted_at else "revoked" if i.revoked_at else "open")
        for i in Invitation.objects.filter(person=newcomer)
    )
    assert states == ["accepted", "revoked"]


def test_an_expired_link_says_so_plainly(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    path = invite(client_for(cast.cora), newcomer)
    later = timezone.now() + timedelta(days=settings.INVITATION_DAYS, minutes=1)
    with time_machine.travel(later, tick=False):
        response = Client().get(path)
        assert response.status_code == 410
        assert "expired" in response.content.decode()
        assert _accept(Client(), path).status_code == 410
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_an_unknown_link_is_not_found(db: None) -> None:
    response = Client().get(reverse("invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert "This invitation link does not work" in response.content.decode()


def test_a_link_sent_to_an_address_that_has_since_changed_is_refused(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    path = invite(client_for(cast.cora), newcomer)
    services.person_update(person=newcomer, actor=None, changes={"email": "nia.new@example.org"})
    response = _accept(Client(), path)
    assert "address that is no longer" in response.content.decode()
    assert not User.objects.filter(email__in=["nia@example.org", "nia.new@example.org"]).exists()


def test_an_address_that_already_has_an_account_is_refused_plainly(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    path = invite(client_for(cast.cora), newcomer)
    User.objects.create_user("NIA@example.org", "some other password 1")
    response = _accept(Client(), path)
    assert response.status_code == 200
    assert "An account with this e-mail address already exists" in response.content.decode()
    newcomer.refresh_from_db()
    assert newcomer.user is None


def test_invitations_are_audited(
    cast: Cast, newcomer: Person, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    cora = client_for(cast.cora)
    invite(cora, newcomer)
    path = invite(cora, newcomer)
    _accept(Client(), path)
    events = AuditEvent.objects.filter(target_type="people.person", target_id=str(newcomer.pk))
    actions = [(e.action, e.actor_label) for e in events.order_by("at", "id")]
    assert actions[-3:] == [
        ("invitation.create", "cora@tri-borough.example"),
        ("invitation.create", "cora@tri-borough.example"),
        ("invitation.accept", "nia@example.org"),
    ]
    second = events.filter(action="invitation.create").order_by("-id").first()
    assert second is not None and second.changes == {"revoked_earlier": 1}


def test_someone_with_an_account_cannot_be_invited_again(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    response = client_for(cast.cora).post(reverse("people:invite", args=[cast.mia.pk]), follow=True)
    assert "already has a sign-in account" in response.content.decode()
    assert mail.outbox == []


def test_a_coordinator_who_accepts_is_sent_straight_to_two_factor_set_up(
    cast: Cast, client_for: Callable[[Person], Client], invite: Invite
) -> None:
    coordinator = services.person_create_in_scheme(
        scheme=cast.scheme,
        role="coordinator",
        status="active",
        actor=None,
        data={"given_name": "Cal", "family_name": "Example", "email": "cal@example.org"},
    )
    path = invite(client_for(cast.ada), coordinator)
    visitor = Client()
    _accept(visitor, path)
    response = visitor.get(reverse("web:home"), follow=True)
    # No second password prompt: the password just chosen counts as a fresh sign-in.
    assert [url for url, _ in response.redirect_chain] == [reverse("mfa_activate_totp")]
    assert "Set up two-factor sign-in" in response.content.decode()
