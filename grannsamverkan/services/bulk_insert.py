"""Many rows of one table in one statement: an alert's inbox and outbox rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Column, Table, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY

from grannsamverkan.extensions import db
from grannsamverkan.models import AlertRecipient, Delivery


def insert_rows(
    model: type[AlertRecipient] | type[Delivery],
    rows: list[dict[str, Any]],
    returning: Sequence[str] = ("id",),
) -> Sequence[Any]:
    """Insert ``rows`` (all with the same keys) in one statement; the ``returning`` columns
    of the new rows, in no particular order.

    On PostgreSQL ``INSERT … SELECT FROM unnest(array, array, …)``: one array per column,
    so the statement's text depends on the columns alone. psycopg then converts it once and
    PostgreSQL plans it once (prepared), where the ``INSERT … VALUES (…), (…)`` that
    SQLAlchemy renders for N rows ("insertmanyvalues") is a new statement of 13 × N
    placeholders each time, too long for psycopg's cache: parsing the two 50-row inserts of
    a tip cost 2 ms of the request's 14.6 ms CPU (BENCHMARKS.md, "Tip → first push (issue
    14, fourth pass)"). SQLite keeps the VALUES form."""
    table = cast(Table, model.__table__)
    keys = list(rows[0])
    if db.engine.dialect.name != "postgresql":
        # Asking for values back makes SQLAlchemy render the rows into one statement, where
        # a plain executemany sends the statement once per row.
        statement = insert(table).returning(*(table.c[name] for name in returning))
        return db.session.execute(statement, rows).all()
    columns: list[Column[Any]] = [table.c[key] for key in keys]
    arrays = [
        bindparam(f"new_{key}", [row[key] for row in rows], type_=ARRAY(column.type))
        for key, column in zip(keys, columns, strict=True)
    ]
    source = func.unnest(*arrays).table_valued(*keys).render_derived(name="new_rows")
    statement = (
        insert(table)
        .from_select(keys, select(*(source.c[key] for key in keys)))
        .returning(*(table.c[name] for name in returning))
    )
    return db.session.execute(statement).all()
