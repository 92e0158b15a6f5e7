"""Column types shared by the models."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from grannsamverkan.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


def point(lat: float | None, lon: float | None) -> dict[str, float] | None:
    """A {"lat", "lon"} point from two nullable columns; None unless both are set."""
    if lat is None or lon is None:
        return None
    return {"lat": lat, "lon": lon}


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no time zone type and hands back naive values; this makes both
    backends return the same aware ``datetime``.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utc_isoformat(dialect: Dialect) -> Callable[[Any], str | None]:
    """ISO 8601 text of a UTCDateTime column's value as the driver hands it over, what
    ``process_result_value(value).isoformat()`` gives, without the type's processing (for rows
    read at the driver level: services/precompiled.py). SQLite's driver gives the naive UTC
    text SQLAlchemy stored; psycopg an aware datetime in the connection's time zone."""
    if dialect.name == "sqlite":
        return _sqlite_isoformat
    return _aware_isoformat


def _sqlite_isoformat(value: str | None) -> str | None:
    return None if value is None else datetime.fromisoformat(value).isoformat() + "+00:00"


def _aware_isoformat(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def id_among(column: Any, ids: list[int]) -> Any:
    """``column IN ids``; on PostgreSQL as ``= ANY(array)``, one parameter for them all.

    An IN list binds one parameter per id: for 500 ids SQLAlchemy expands and psycopg
    converts 500 placeholders in each statement. An array is one value: the outbox's claim +
    record of a 500-row batch took 21 instead of 36 ms CPU, 53 instead of 74 ms wall, and the
    e-mail rows of 20,000 alert targets 136 instead of 603 ms (BENCHMARKS.md). The plan is
    the same (an index scan).
    """
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, ids, type_=ARRAY(Integer)))
    return column.in_(ids)
