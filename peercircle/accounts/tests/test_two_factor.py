"""Two-factor sign-in: required for the roles the organisation names, TOTP plus recovery codes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from peercircle.accounts.testing import totp_code
from peercircle.conftest import Cast, join, make_person
from peercircle.people.models import Person
from peercircle.schemes.choices import Role

PASSWORD = "correct horse battery staple"


@pytest.fixture
def cy(cast: Cast) -> Person:
    """A second coordinator of Carer mentoring who has not set up two-factor sign-in yet."""
    person = make_person(cast.org, "Cy")
    join(person, cast.scheme, Role.COORDINATOR)
    return person


def _pages(cast: Cast) -> list[str]:
    return [
        reverse("web:home"),
        reverse("people:list"),
        reverse("people:detail", args=[cast.mia.pk]),
        reverse("people:create"),
        reverse("people:import"),
        reverse("schemes:list"),
        reverse("schemes:detail", args=[cast.scheme.slug]),
        reverse("schemes:settings", args=[cast.scheme.slug]),
    ]


ACCOUNT_PAGES = ["mfa_index", "mfa_activate_totp", "account_change_password", "account_logout"]


def _sign_in(client: Client, email: str, password: str = PASSWORD) -> str:
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def test_a_coordinator_without_two_factor_is_sent_to_set_it_up_from_every_page(
    cast: Cast, cy: Person, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cy)
    for url in _pages(cast):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == reverse("mfa_activate_totp"), url
    # Posting is refused too: nothing is changed on the way to the set-up page.
    response = client.post(reverse("people:invite", args=[cast.mia.pk]))
    assert response["Location"] == reverse("mfa_activate_totp")
    assert not cast.mia.invitations.exists()


def test_htmx_requests_are_sent_to_set_it_up_as_a_whole_page(
    cast: Cast, cy: Person, client_for: Callable[[Person], Client]
) -> None:
    response = client_for(cy).get(reverse("people:list"), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("mfa_activate_totp")


def test_a_coordinator_without_two_factor_can_still_use_the_account_pages(
    cy: Person, client_for: Callable[[Person], Client]
) -> None:
    client = client_for(cy)
    for name in ACCOUNT_PAGES:
        response = client.get(reverse(name))
        assert response.status_code != 302 or response["Location"] != reverse(
            "mfa_activate_totp"
        ), name


def test_a_mentor_is_not_forced(cast: Cast, client_for: Callable[[Person], Client]) -> None:
    assert not Authenticator.objects.filter(user=cast.mo.user).exists()
    response = client_for(cast.mo).get(reverse("web:home"))
    assert response.status_code == 200


def test_the_organisation_decides_which_roles_must_use_it(
    cast: Cast, cy: Person, client_for: Callable[[Person], Client]
) -> None:
    cast.org.two_factor_roles = ["mentor"]
    cast.org.save(update_fields=["two_factor_roles"])
    assert client_for(cy).get(reverse("web:home")).status_code == 200
    response = client_for(cast.mo).get(reverse("web:home"))
    assert response["Location"] == reverse("mfa_activate_totp")


def test_an_organisation_admin_counts_as_admin_without_any_scheme_role(
    cast: Cast, client_for: Callable[[Person], Client]
) -> None:
    admin = make_person(cast.org, "Abe", is_org_admin=True)
    response = client_for(admin).get(reverse("web:home"))
    assert response["Location"] == reverse("mfa_activate_totp")


def test_setting_up_two_factor_with_a_real_code_opens_the_dashboard(cy: Person) -> None:
    client = Client()
    # Straight from sign-in to set-up, without being asked for the password a second time.
    assert _sign_in(client, "cy@tri-borough.example") == reverse("web:home")
    page = client.get(reverse("web:home"), follow=True)
    assert page.redirect_chain == [(reverse("mfa_activate_totp"), 302)]
    body = page.content.decode()
    assert "Set up two-factor sign-in" in body
    secret = page.context["form"].secret
    assert f'value="{secret}"' in body  # shown to type in when the picture cannot be scanned

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert "That code is not right" in wrong.content.decode()
    assert not Authenticator.objects.filter(user=cy.user).exists()

    done = client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)}, follow=True)
    assert done.redirect_chain[-1][0] == reverse("mfa_view_recovery_codes")
    assert len(done.context["unused_codes"]) == 10
    dashboard = client.get(reverse("web:home"))
    assert dashboard.status_code == 200
    assert "web/dashboard.html" in [t.name for t in dashboard.templates]


def _with_totp(person: Person) -> str:
    secret = str(generate_totp_secret())
    assert person.user is not None
    TOTP.activate(person.user, secret)
    return secret


def test_signing_in_with_two_factor_asks_for_the_code(cy: Person) -> None:
    secret = _with_totp(cy)
    client = Client()
    assert _sign_in(client, "cy@tri-borough.example") == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("account_login"))

    wrong = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert "That code is not right" in wrong.content.decode()
    assert "_auth_user_id" not in client.session

    right = client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    assert right.status_code == 302
    assert client.get(reverse("web:home")).status_code == 200


def test_a_recovery_code_works_once(cy: Person) -> None:
    _with_totp(cy)
    assert cy.user is not None
    codes = RecoveryCodes.activate(cy.user)
    code = codes.get_unused_codes()[0]

    first = Client()
    _sign_in(first, "cy@tri-borough.example")
    first.post(reverse("mfa_authenticate"), {"code": code})
    assert first.get(reverse("web:home")).status_code == 200

    second = Client()
    _sign_in(second, "cy@tri-borough.example")
    again = second.post(reverse("mfa_authenticate"), {"code": code})
    assert "That code is not right" in again.content.decode()
    assert "_auth_user_id" not in second.session
    stored = Authenticator.objects.get(user=cy.user, type=Authenticator.Type.RECOVERY_CODES)
    assert code not in stored.wrap().get_unused_codes()


def _signed_in_with_code(person: Person, secret: str) -> Client:
    client = Client()
    _sign_in(client, person.email)
    client.post(reverse("mfa_authenticate"), {"code": totp_code(secret)})
    return client


def test_a_role_that_requires_two_factor_cannot_turn_it_off(cy: Person) -> None:
    secret = _with_totp(cy)
    client = _signed_in_with_code(cy, secret)
    response = client.post(reverse("mfa_deactivate_totp"), {})
    assert "cannot be turned off" in response.content.decode()
    assert Authenticator.objects.filter(user=cy.user, type="totp").exists()


def test_a_mentor_may_turn_it_off(cast: Cast) -> None:
    secret = _with_totp(cast.mo)
    client = _signed_in_with_code(cast.mo, secret)
    response = client.post(reverse("mfa_deactivate_totp"), {})
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=cast.mo.user, type="totp").exists()


def test_an_unverified_address_does_not_block_setting_up_two_factor(cy: Person) -> None:
    # Invitations prove the address, so allauth's "verify your e-mail first" must not apply.
    from allauth.account.models import EmailAddress

    assert cy.user is not None
    EmailAddress.objects.create(user=cy.user, email=cy.user.email, verified=False, primary=True)
    client = Client()
    _sign_in(client, "cy@tri-borough.example")
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = page.context["form"].secret
    client.post(reverse("mfa_activate_totp"), {"code": totp_code(secret)})
    assert Authenticator.objects.filter(user=cy.user, type="totp").exists()
