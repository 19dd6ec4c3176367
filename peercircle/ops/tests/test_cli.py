"""The ``peercircle`` command as an operator meets it: in a fresh process, with real settings."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from peercircle.accounts.models import User
from peercircle.audit.models import AuditEvent
from peercircle.ops.services import organisation_create_with_admin
from peercircle.organisations.models import Organisation
from peercircle.people.models import Person
from peercircle.people.services import invitation_find

REPO = Path(__file__).resolve().parents[3]
# Settings a developer's shell may hold that would change what the child process does.
_SCRUB = {
    "DATABASE_URL",
    "PEERCIRCLE_PRODUCTION",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "PEERCIRCLE_DEBUG",
    # The browser tests set it in their worker process; the deployment checks reject it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def peercircle(
    *args: str, data_dir: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    child_env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    child_env["PEERCIRCLE_DATA_DIR"] = str(data_dir)
    child_env.update(env or {})
    return subprocess.run(  # noqa: S603 - our interpreter, fixed arguments
        [sys.executable, "-m", "peercircle", *args],
        cwd=REPO,
        env=child_env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_without_a_command_it_lists_the_operator_commands(tmp_path: Path) -> None:
    result = peercircle(data_dir=tmp_path)
    assert result.returncode == 0
    for command in ("start", "serve", "worker", "demo", "import", "create-organisation"):
        assert f"\n  {command} " in result.stdout


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["frobnicate"], {}, "there is no command 'frobnicate'. Run 'peercircle'"),
        (["serve", "--port", "eighty"], {}, "argument --port: invalid int value: 'eighty'"),
        (["serve", "--port", "70000"], {}, "--port 70000 is not a port"),
        (["demo", "--people", "3"], {}, "--people 3 is out of range"),
        (["check"], {"PEERCIRCLE_PRODUCTION": "1"}, "SECRET_KEY is not set"),
        (["check"], {"PEERCIRCLE_DEBUG": "perhaps"}, "PEERCIRCLE_DEBUG='perhaps' is not a yes/no"),
        (["create-organisation", "--name", "X"], {}, "required: --slug, --admin-email"),
    ],
)
def test_bad_input_gets_a_plain_message_and_exit_code_2(
    tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    result = peercircle(*args, data_dir=tmp_path, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    # Port 9 (discard) on loopback refuses connections: nothing listens there.
    url = "postgres://postgres@127.0.0.1:9/peercircle"
    result = peercircle("migrate", data_dir=tmp_path, env={"DATABASE_URL": url})
    assert result.returncode == 1
    assert "the database could not be used" in result.stderr
    assert "Check DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_production_settings_pass_the_deployment_checks(tmp_path: Path) -> None:
    env = {
        "PEERCIRCLE_PRODUCTION": "1",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "PEERCIRCLE_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "peercircle.example.org",
        "DATABASE_URL": "postgres://peercircle@db.internal:5432/peercircle",
        "SITE_URL": "https://peercircle.example.org",
    }
    result = peercircle("check", "--deploy", "--fail-level", "WARNING", data_dir=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("friendly", "command", "option"),
    [
        ("create-organisation", "create_organisation", "--admin-email"),
        ("import", "import_people", "--dry-run"),
    ],
)
def test_django_commands_pass_through_under_the_friendly_names(
    tmp_path: Path, friendly: str, command: str, option: str
) -> None:
    result = peercircle("help", friendly, data_dir=tmp_path)
    assert result.returncode == 0
    assert f"usage: peercircle {command}" in result.stdout
    assert option in result.stdout


@pytest.mark.django_db
def test_create_organisation_makes_the_first_admin_and_an_invitation(
    django_capture_on_commit_callbacks: Any,
) -> None:
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command(
            "create_organisation",
            "--name=Northshire Fostering",
            "--slug=northshire",
            "--admin-email=Priya.Shah@Northshire.example",
            "--admin-name=Priya Shah",
            stdout=out,
        )
    org = Organisation.objects.get(slug="northshire")
    admin = Person.objects.get(organisation=org)
    assert (admin.given_name, admin.family_name) == ("Priya", "Shah")
    assert admin.is_org_admin
    assert admin.email == "priya.shah@northshire.example"
    link = out.getvalue().split("/invite/")[1].split("/")[0]
    invitation = invitation_find(link)
    assert invitation is not None
    assert invitation.person == admin
    assert mail.outbox[0].to == ["priya.shah@northshire.example"]
    assert AuditEvent.objects.filter(organisation=org, action="organisation.create").exists()


@pytest.mark.django_db
def test_create_organisation_refuses_duplicates_and_creates_nothing() -> None:
    organisation_create_with_admin(
        name="Northshire Fostering", slug="northshire", admin_email="priya@northshire.example"
    )
    with pytest.raises(CommandError) as refused:
        call_command(
            "create_organisation",
            "--name=Northshire Again",
            "--slug=northshire",
            "--admin-email=PRIYA@northshire.example",
        )
    assert refused.value.returncode == 2
    assert "The slug 'northshire' is taken by the organisation 'Northshire Fostering'" in str(
        refused.value
    )
    # The invited admin has no account yet, but their address is on their person's record.
    assert "priya@northshire.example belongs to a person in 'Northshire Fostering'" in str(
        refused.value
    )
    assert Organisation.objects.count() == 1


@pytest.mark.django_db
def test_an_address_with_an_account_cannot_become_another_admin() -> None:
    User.objects.create_user("sam@elsewhere.example", "a long enough password")
    with pytest.raises(CommandError, match="sam@elsewhere.example exists already") as refused:
        call_command(
            "create_organisation",
            "--name=Westvale",
            "--slug=westvale",
            "--admin-email=sam@elsewhere.example",
        )
    assert refused.value.returncode == 2
    assert not Organisation.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("slug", "email", "name", "problem"),
    [
        ("no spaces", "a@b.example", "", "'no spaces' cannot be a slug"),
        ("ok", "not-an-address", "", "'not-an-address' is not an e-mail address"),
        ("ok", "a@b.example", "Priya", "Give the admin's first and last name"),
    ],
)
def test_create_organisation_explains_bad_values(
    slug: str, email: str, name: str, problem: str
) -> None:
    with pytest.raises(CommandError, match=problem):
        call_command(
            "create_organisation",
            "--name=Westvale",
            f"--slug={slug}",
            f"--admin-email={email}",
            f"--admin-name={name}",
        )
    assert not Organisation.objects.exists()


@pytest.mark.django_db
def test_a_password_set_at_creation_must_pass_the_password_rules() -> None:
    with pytest.raises(Exception, match="too short"):
        organisation_create_with_admin(
            name="Westvale", slug="westvale", admin_email="a@westvale.example", password="short"
        )
    assert not Organisation.objects.exists()
    created = organisation_create_with_admin(
        name="Westvale",
        slug="westvale",
        admin_email="a@westvale.example",
        password="a long and unusual passphrase",
    )
    assert created.invitation_token is None
    user = User.objects.get(email="a@westvale.example")
    assert user.check_password("a long and unusual passphrase")
    assert created.admin.user == user


@pytest.mark.django_db
def test_set_password_needs_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False)
    with pytest.raises(CommandError, match="needs a terminal") as refused:
        call_command(
            "create_organisation",
            "--name=Westvale",
            "--slug=westvale",
            "--admin-email=a@westvale.example",
            "--set-password",
        )
    assert refused.value.returncode == 2
    assert not Organisation.objects.exists()
