"""Signing in: by e-mail, no self sign-up, throttled failures, password reset that tells nobody
whether an address has an account."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from peercircle.accounts.models import User
from peercircle.conftest import Cast

PASSWORD = "correct horse battery staple"


def _sign_in(client: Client, email: str, password: str) -> str:
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    return response.content.decode() if response.status_code == 200 else ""


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_it_signs_in_with_email_and_password(cast: Cast) -> None:
    client = Client()
    response = client.post(
        reverse("account_login"), {"login": "MO@tri-borough.example", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert _signed_in(client)
    assert client.get(reverse("web:home")).context["person"] == cast.mo


def test_it_refuses_a_wrong_password_plainly(cast: Cast) -> None:
    client = Client()
    body = _sign_in(client, "mo@tri-borough.example", "not the password")
    assert "The e-mail address or the password is not right" in body
    assert "There is a problem" in body
    assert not _signed_in(client)


def test_it_says_plainly_that_nobody_can_sign_themselves_up(db: None) -> None:
    response = Client().get(reverse("account_signup"))
    body = response.content.decode()
    assert "You cannot sign yourself up" in body
    assert "invitation" in body
    assert 'name="password1"' not in body


def test_it_creates_no_account_when_someone_posts_to_sign_up(db: None) -> None:
    Client().post(
        reverse("account_signup"),
        {"email": "new@example.org", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not User.objects.filter(email="new@example.org").exists()


def test_it_refuses_the_sixth_attempt_within_five_minutes_even_with_the_right_password(
    cast: Cast,
) -> None:
    email = "mo@tri-borough.example"
    for _ in range(5):
        body = _sign_in(Client(), email, "a wrong guess")
        assert "not right" in body
    attacker_free_client = Client()
    body = _sign_in(attacker_free_client, email, PASSWORD)
    assert "Signing in to this account is paused" in body
    assert "reset your password" in body
    assert not _signed_in(attacker_free_client)


def test_it_lets_the_person_in_again_after_five_minutes(cast: Cast) -> None:
    email = "mo@tri-borough.example"
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _sign_in(Client(), email, "a wrong guess")
        assert "paused" in _sign_in(Client(), email, PASSWORD)
    with time_machine.travel(start + timedelta(minutes=5, seconds=1), tick=False):
        client = Client()
        _sign_in(client, email, PASSWORD)
        assert _signed_in(client)


def test_it_throttles_per_account_not_for_everyone(cast: Cast) -> None:
    for _ in range(5):
        _sign_in(Client(), "mo@tri-borough.example", "a wrong guess")
    client = Client()
    _sign_in(client, "mia@tri-borough.example", PASSWORD)
    assert _signed_in(client)


def test_a_successful_sign_in_does_not_reset_the_count_of_failures(cast: Cast) -> None:
    # Otherwise an attacker who knows one password could interleave sign-ins to keep guessing.
    email = "mo@tri-borough.example"
    for _ in range(4):
        _sign_in(Client(), email, "a wrong guess")
    _sign_in(Client(), email, PASSWORD)
    _sign_in(Client(), email, "a wrong guess")
    assert "paused" in _sign_in(Client(), email, PASSWORD)


@pytest.fixture
def database_cache(settings: pytest.FixtureRequest) -> Iterator[None]:
    settings.CACHES = {  # type: ignore[attr-defined]
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "peercircle_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    yield


def _cache_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM peercircle_cache")
        (count,) = cursor.fetchone()
    return int(count)


def test_the_throttle_is_kept_in_the_database_every_web_process_shares(
    cast: Cast, database_cache: None
) -> None:
    assert _cache_rows() == 0
    for _ in range(5):
        _sign_in(Client(), "mo@tri-borough.example", "a wrong guess")
    # The failures are rows in the shared database, not in this process's memory...
    assert _cache_rows() > 0
    # ...so a process that has never seen them (fresh cache connections) still refuses.
    from django.core.cache import caches

    caches["default"].close()
    assert "paused" in _sign_in(Client(), "mo@tri-borough.example", PASSWORD)


def test_it_uses_the_database_cache_outside_tests(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PEERCIRCLE_TESTING"}
    env["PEERCIRCLE_DATA_DIR"] = str(tmp_path)
    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'peercircle.settings'; "
        "from django.conf import settings; c = settings.CACHES['default']; "
        "print(c['BACKEND'], c['LOCATION'])"
    )
    out = subprocess.run(  # noqa: S603 - a fixed command line, no user input
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout.split()
    assert out == ["django.core.cache.backends.db.DatabaseCache", "peercircle_cache"]


def _reset(email: str) -> tuple[int, str, str]:
    response = Client().post(reverse("account_reset_password"), {"email": email}, follow=True)
    body = response.content.decode()
    main = body[body.index("<main") : body.index("</main>")]
    return response.status_code, response.redirect_chain[-1][0], main


def test_password_reset_answers_the_same_whether_or_not_the_address_has_an_account(
    cast: Cast,
) -> None:
    known = _reset("mo@tri-borough.example")
    unknown = _reset("nobody-here@example.org")
    assert known[0] == unknown[0] == 200
    assert known[1] == unknown[1] == reverse("account_reset_password_done")
    assert known[2] == unknown[2]


def test_password_reset_mails_a_link_only_to_an_account_holder(cast: Cast) -> None:
    _reset("nobody-here@example.org")
    _reset("mo@tri-borough.example")
    links = [
        (m.to, re.findall(r"http\S+/accounts/password/reset/key/\S+", str(m.body)))
        for m in mail.outbox
    ]
    with_links = [to for to, found in links if found]
    assert with_links == [["mo@tri-borough.example"]]


def _reset_link() -> str:
    body = str(mail.outbox[-1].body)
    url = re.search(r"http\S+/accounts/password/reset/key/\S+", body)
    assert url is not None
    return urlsplit(url.group(0)).path


def test_the_reset_link_sets_a_new_password_that_passes_the_rules(cast: Cast) -> None:
    _reset("mo@tri-borough.example")
    client = Client()
    form_url = client.get(_reset_link(), follow=True).redirect_chain[-1][0]
    weak = client.post(form_url, {"password1": "short", "password2": "short"})
    assert "There is a problem" in weak.content.decode()
    assert "too short" in weak.content.decode()
    new = "lantern orchard velvet 42"
    done = client.post(form_url, {"password1": new, "password2": new})
    assert done.status_code == 302
    user = User.objects.get(email="mo@tri-borough.example")
    user.refresh_from_db()
    assert user.check_password(new)


def test_a_used_reset_link_says_so_plainly(cast: Cast) -> None:
    _reset("mo@tri-borough.example")
    link = _reset_link()
    client = Client()
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "lantern orchard velvet 42"
    client.post(form_url, {"password1": new, "password2": new})
    again = Client().get(link, follow=True).content.decode()
    assert "This password reset link does not work" in again
    assert reverse("account_reset_password") in again


def test_a_reset_clears_the_throttle_so_the_owner_can_sign_in(cast: Cast) -> None:
    email = "mo@tri-borough.example"
    for _ in range(5):
        _sign_in(Client(), email, "a wrong guess")
    _reset(email)
    client = Client()
    form_url = client.get(_reset_link(), follow=True).redirect_chain[-1][0]
    new = "lantern orchard velvet 42"
    client.post(form_url, {"password1": new, "password2": new})
    fresh = Client()
    _sign_in(fresh, email, new)
    assert _signed_in(fresh)


def test_nobody_changes_their_sign_in_address_themselves(cast: Cast) -> None:
    from allauth.account.models import EmailAddress

    client = Client()
    _sign_in(client, "mo@tri-borough.example", PASSWORD)
    page = client.get(reverse("account_email"))
    assert "ask your scheme coordinator" in page.content.decode()
    client.post(reverse("account_email"), {"action_add": "", "email": "someone@else.org"})
    assert not EmailAddress.objects.filter(email="someone@else.org").exists()
    assert User.objects.get(email__iexact="mo@tri-borough.example").pk == cast.mo.user_id
    assert not User.objects.filter(email="someone@else.org").exists()
