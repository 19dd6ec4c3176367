"""Re-encrypt every encrypted value with the newest key (``peercircle rotate-keys``).

Works on raw column values, so no plaintext is ever held longer than one value's rotation, and
on every model with an ``EncryptedTextField`` (found with ``encrypted_fields``), whichever app
defines it. Each batch is its own transaction and each write is conditional on the value being
unchanged since it was read, so running it while PeerCircle is in use never overwrites a newer
edit, and running it twice does nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction

from peercircle.lib import crypto


@dataclass
class FieldReport:
    model: str
    field: str
    rotated: int = 0
    current: int = 0
    unreadable: int = 0

    @property
    def total(self) -> int:
        return self.rotated + self.current + self.unreadable


def encrypted_columns() -> list[tuple[type[models.Model], models.Field]]:  # type: ignore[type-arg]
    """Every (model, field) pair stored encrypted, in a stable order."""
    found = []
    for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
        names = set(crypto.encrypted_fields(model))
        for field in model._meta.concrete_fields:
            if field.attname in names:
                found.append((model, field))
    return found


def _newest() -> Fernet:
    keys = [k.strip() for k in settings.ENCRYPTION_KEYS if k.strip()]
    return Fernet(keys[0].encode())


def _is_current(newest: Fernet, stored: str) -> bool:
    try:
        newest.decrypt(stored[len(crypto.PREFIX) :].encode("ascii"))
    except InvalidToken:
        return False
    return True


def rotate_column(
    model: type[models.Model],
    field: models.Field,  # type: ignore[type-arg]
    *,
    batch_size: int = 500,
) -> FieldReport:
    report = FieldReport(model=model._meta.label, field=field.name)
    newest = _newest()
    quote = connection.ops.quote_name
    table, column, pk = (
        quote(model._meta.db_table),
        quote(field.column),
        quote(model._meta.pk.column),
    )
    # Identifiers come from the models, never from input; values are parameters.
    select = (
        f"SELECT {pk}, {column} FROM {table} "  # noqa: S608
        f"WHERE {pk} > %s AND {column} IS NOT NULL AND {column} <> '' ORDER BY {pk} LIMIT %s"
    )
    update = f"UPDATE {table} SET {column} = %s WHERE {pk} = %s AND {column} = %s"  # noqa: S608
    last = 0  # every PeerCircle model has a positive integer primary key
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(select, [last, batch_size])
            rows = cursor.fetchall()
            updates = []
            for row_pk, stored in rows:
                if not str(stored).startswith(crypto.PREFIX):
                    report.unreadable += 1
                elif _is_current(newest, stored):
                    report.current += 1
                else:
                    try:
                        updates.append((crypto.rotate(stored), row_pk, stored))
                    except (InvalidToken, crypto.DecryptionError):
                        report.unreadable += 1
            if updates:
                # One round trip per batch (psycopg pipelines executemany).
                cursor.executemany(update, updates)
                written = max(cursor.rowcount, 0)
                report.rotated += written
                # A row changed since it was read holds a newer value, written with the newest
                # key already: count it as current.
                report.current += len(updates) - written
        if len(rows) < batch_size:
            return report
        last = rows[-1][0]


def rotate_all(
    *, batch_size: int = 500, progress: Callable[[FieldReport], None] | None = None
) -> list[FieldReport]:
    """Rotate every encrypted column; returns a report per column."""
    crypto.reset_keys()
    reports = []
    for model, field in encrypted_columns():
        report = rotate_column(model, field, batch_size=batch_size)
        reports.append(report)
        if progress is not None:
            progress(report)
    return reports
