"""Inserting many new rows at once: PostgreSQL's COPY, ``bulk_create`` elsewhere.

Django 5.2's ``bulk_create`` on PostgreSQL sends each column as one array (``UNNEST``), and psycopg
quotes arrays of text in Python, one regular-expression substitution per quote character. A
matching proposal carries a JSON explanation per pair, so saving 8,000 pairs cost about two
seconds in quoting alone. ``COPY ... FROM STDIN`` streams the rows in psycopg's own format
instead. Rows come as plain mappings of field names to values rather than model instances
(building 9,000 instances cost a quarter of a second for nothing) and are written as
``bulk_create`` would write them: fields left out take their defaults (a callable default is
called for each row), every value goes through its field's ``get_db_prep_save`` (or is one it
would return unchanged: ``None``, and ints, floats, bools and text for such fields), fields whose
``pre_save`` sets a value (``auto_now_add``) take it once for the whole insert, all in the
caller's transaction, and, as with ``bulk_create``, no signals are sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import connections, models, router


def bulk_insert(model: type[models.Model], rows: Iterable[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (field attname -> value) as new ``model`` rows; returns how many."""
    rows = list(rows)
    if not rows:
        return 0
    using = router.db_for_write(model)
    connection = connections[using]
    meta = model._meta
    # Every column but a generated primary key (the database numbers new rows itself).
    fields = [
        f for f in meta.concrete_fields if not (f.primary_key and getattr(f, "db_returning", False))
    ]
    known = {f.attname for f in fields}
    for row in rows:
        if not row.keys() <= known:
            unknown = sorted(set(row) - known)
            raise ValueError(f"{meta.label} has no field {unknown[0]!r} to insert")
    stamped = [f for f in fields if type(f).pre_save is not models.Field.pre_save]
    for f in stamped:
        if any(f.attname in row for row in rows):
            raise ValueError(f"{meta.label}.{f.attname} is set on saving; leave it out")
    if connection.vendor != "postgresql":
        objs = [model(**row) for row in rows]
        model._default_manager.db_manager(using).bulk_create(objs, batch_size=2000)
        return len(rows)
    blank = model()
    fixed = {f.attname: f.pre_save(blank, True) for f in stamped}
    # Per field: a fixed value, or a callable default called for each row.
    fill: list[tuple[str, Any, Any]] = []
    for f in fields:
        if f.attname in fixed:
            fill.append((f.attname, fixed[f.attname], None))
        elif f.has_default() and callable(f.default):
            fill.append((f.attname, None, f.get_default))
        else:
            fill.append((f.attname, f.get_default(), None))
    passthrough = [_plain_types(f) for f in fields]
    quote = connection.ops.quote_name
    sql = "COPY {} ({}) FROM STDIN".format(
        quote(meta.db_table), ", ".join(quote(f.column) for f in fields)
    )
    with connection.cursor() as cursor:
        raw: Any = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(sql) as copy:
            for row in rows:
                values = [
                    row[name] if name in row else (default() if default is not None else value)
                    for name, value, default in fill
                ]
                copy.write_row(
                    [
                        x if type(x) in plain else f.get_db_prep_save(x, connection)
                        for f, plain, x in zip(fields, passthrough, values, strict=True)
                    ]
                )
    return len(rows)


def _plain_types(field: models.Field[Any, Any]) -> frozenset[type]:
    """Value types the field's ``get_db_prep_save`` returns unchanged (None always is).

    Skipping the call for them is most of the cost of a wide row of numbers and keys; any
    other value still goes through it.
    """
    target = field.target_field if isinstance(field, models.ForeignKey) else field
    if isinstance(target, models.BooleanField):
        return frozenset({type(None), bool})
    if isinstance(target, (models.IntegerField, models.AutoField)):
        return frozenset({type(None), int})
    if isinstance(target, models.FloatField):
        return frozenset({type(None), float})
    if type(target) in (models.CharField, models.TextField):
        return frozenset({type(None), str})
    return frozenset()
