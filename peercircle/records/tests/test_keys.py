"""``peercircle rotate-keys`` and ``peercircle new-encryption-key``."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from peercircle.concerns.models import Concern
from peercircle.conftest import Cast
from peercircle.lib import crypto
from peercircle.meetings.tests.helpers import held_meeting, make_pair
from peercircle.ops.tests.test_cli import peercircle
from peercircle.records.keys import encrypted_columns
from peercircle.records.models import Record
from peercircle.records.tests.helpers import DISCUSSION, HELPFUL, write_record

pytestmark = pytest.mark.django_db

OLD = Fernet.generate_key().decode()
NEW = Fernet.generate_key().decode()


@pytest.fixture
def keys(settings: object) -> Iterator[Callable]:  # type: ignore[type-arg]
    def use(*names: str) -> None:
        settings.ENCRYPTION_KEYS = list(names)  # type: ignore[attr-defined]
        crypto.reset_keys()

    yield use
    crypto.reset_keys()


def _raw(pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT discussion FROM records_record WHERE id = %s", [pk])
        return str(cursor.fetchone()[0])


def _rotate() -> str:
    out = StringIO()
    call_command("rotate_keys", "--batch-size", "2", stdout=out)
    return out.getvalue()


def test_rotation_moves_every_value_to_the_newest_key(cast: Cast, keys: Callable) -> None:  # type: ignore[type-arg]
    keys(OLD)
    pair = make_pair(cast)
    records = [write_record(cast, held_meeting(pair, days_ago=d)) for d in (1, 2, 3)]
    before = _raw(records[0].pk)
    keys(NEW, OLD)
    assert Record.objects.get(pk=records[0].pk).discussion == DISCUSSION  # old key still reads
    report = _rotate()
    assert "records.Record.discussion: 3 re-encrypted, 0 already current, 0 unreadable" in report
    assert "records.ActionItem.text: 3 re-encrypted" in report
    assert _raw(records[0].pk) != before
    # With the old key gone, everything still opens: it was all re-encrypted.
    keys(NEW)
    for record in Record.objects.all():
        assert (record.discussion, record.helpful) == (DISCUSSION, HELPFUL)
    # Running it again changes nothing.
    again = _rotate()
    assert "records.Record.discussion: 0 re-encrypted, 3 already current" in again
    assert "Done: 0 values re-encrypted" in again


def test_without_rotation_the_old_values_are_unreadable_once_the_key_goes(
    cast: Cast,
    keys: Callable,  # type: ignore[type-arg]
) -> None:
    keys(OLD)
    record = write_record(cast, held_meeting(make_pair(cast)))
    keys(NEW)
    with pytest.raises(crypto.DecryptionError):
        Record.objects.get(pk=record.pk)
    with pytest.raises(CommandError, match="could not be opened with any configured key") as err:
        _rotate()
    assert err.value.returncode == 1
    # Nothing was changed: putting the old key back still reads the record.
    keys(NEW, OLD)
    assert Record.objects.get(pk=record.pk).discussion == DISCUSSION


def test_it_finds_encrypted_fields_of_every_app() -> None:
    found = {(model, field.name) for model, field in encrypted_columns()}
    assert (Record, "discussion") in found
    assert (Concern, "message") in found  # another app's field, found by encrypted_fields


def test_new_encryption_key_prints_a_usable_key() -> None:
    out = StringIO()
    call_command("new_encryption_key", stdout=out)
    key = out.getvalue().strip()
    assert Fernet(key.encode()).decrypt(Fernet(key.encode()).encrypt(b"x")) == b"x"


def test_a_bad_batch_size_is_refused() -> None:
    with pytest.raises(CommandError, match="at least 1"):
        call_command("rotate_keys", "--batch-size", "0")


def test_the_first_key_can_be_made_where_production_refuses_to_start(tmp_path: Path) -> None:
    env = {
        "PEERCIRCLE_PRODUCTION": "1",
        "SECRET_KEY": "s" * 64,
        "ALLOWED_HOSTS": "peercircle.example.org",
        "PEERCIRCLE_ENCRYPTION_KEYS": "",
    }
    refused = peercircle("migrate", data_dir=tmp_path, env=env)
    assert refused.returncode == 2
    assert "peercircle new-encryption-key" in refused.stderr
    made = peercircle("new-encryption-key", data_dir=tmp_path, env=env)
    assert made.returncode == 0, made.stderr
    Fernet(made.stdout.strip().encode())  # a valid key, or this raises


def test_rotate_keys_is_an_operator_command(tmp_path: Path) -> None:
    result = peercircle("help", "rotate-keys", data_dir=tmp_path)
    assert result.returncode == 0
    assert "usage: peercircle rotate_keys" in result.stdout and "--batch-size" in result.stdout
