"""Keyset pagination: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out.

A cursor holds the sort key of the last item handed out, not an offset: the next page
starts after that item however many were added or removed meanwhile, and the database reads
one page (sqlakeyset turns a query's ORDER BY, which must end in a unique column, into the
WHERE clause; a Keyset does the same for a list read in bursts, its statements built once).
Cursors are signed and name the route that made them, so anything else, or one older than
CURSOR_MAX_AGE, is refused with a 422 problem.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, TypeVar

from flask import request
from itsdangerous import BadData
from marshmallow import Schema, fields, validate
from sqlakeyset import InvalidPage, Marker, select_page, serialize_bookmark, unserialize_bookmark
from sqlalchemy import BindParameter, ColumnElement, Select, bindparam, tuple_
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import QueryableAttribute

from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.errors import N_, Invalid
from grannsamverkan.extensions import db
from grannsamverkan.schemas.input_fields import (
    EARLIEST_YEAR,
    FORBIDDEN_CHARACTERS,
    LATEST_YEAR,
    MAX_ID,
    Text,
)
from grannsamverkan.services import signing
from grannsamverkan.services.precompiled import Precompiled

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A client that pages more slowly than this starts again from the first page.
CURSOR_MAX_AGE = 30 * 24 * 3600
NOT_A_CURSOR = N_("Not a cursor this API handed out for this list.")
# Floats in sort keys are distances and coordinates; anything larger is not one of ours.
MAX_SORT_FLOAT = 1e12


class PageArgsSchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = Text(blank=True, load_default=None, validate=validate.Length(max=1000))


_PAGE_ARGS = PageArgsSchema()


def page_args() -> dict[str, Any]:
    """``?limit=&cursor=`` as ``@blp.arguments(PageArgsSchema, location="query")`` reads
    them, for a view that reads its own (GET /alerts: webargs took 4 % of it): without
    either, the defaults at once; otherwise through the schema, 422 for a bad value."""
    if not request.args:
        return {"limit": DEFAULT_LIMIT, "cursor": None}
    parsed: dict[str, Any] = Blueprint.ARGUMENTS_PARSER.parse(_PAGE_ARGS, request, location="query")
    return parsed


def paginate_query(query: Select[Any], page: dict[str, Any]) -> dict[str, Any]:
    """One page of ``query`` (a select of one entity, ordered by a unique key)."""
    bookmark = _read_bookmark(page.get("cursor"))
    try:
        result = select_page(db.session(), query, per_page=page["limit"], page=bookmark)
    except InvalidPage as error:
        raise Invalid("cursor", NOT_A_CURSOR) from error
    next_cursor = None
    if result.paging.has_next:
        next_cursor = _make_cursor("bookmark", result.paging.bookmark_next)
    return {"items": [row[0] for row in result], "next_cursor": next_cursor}


class Keyset:
    """The pages of ``query``, newest first by ``keys`` (its leading columns, the last one
    unique), as two statements built once and run at the driver level
    (services/precompiled.py): the first page, and the page after a cursor (``(keys) <
    (the cursor's)``). What paginate_query does through sqlakeyset, without its preparation
    of the query on every request (an eighth of GET /alerts: BENCHMARKS.md, section 7). The
    cursors are sqlakeyset's bookmarks, so either reads the other's. ``cursors=False``: a
    query whose rows do not start with the keys (a 304's versions), which makes no cursors."""

    def __init__(
        self,
        query: Select[Any],
        keys: Sequence[ColumnElement[Any] | QueryableAttribute[Any]],
        *,
        cursors: bool = True,
    ) -> None:
        leading = [column.key for column in list(query.selected_columns)[: len(keys)]]
        if cursors and leading != [key.key for key in keys]:
            raise ValueError(f"the select must start with its keys, not {leading}")
        self.width = len(keys)
        self.types = [key.type for key in keys]
        self._by_dialect: dict[str, list[Any]] = {}
        ordered = query.order_by(*(key.desc() for key in keys))
        limit: BindParameter[int] = bindparam("keyset_limit")
        after = tuple_(
            *(bindparam(f"keyset_after_{i}", type_=key.type) for i, key in enumerate(keys))
        )
        self.first = Precompiled(ordered.limit(limit))
        self.after = Precompiled(ordered.where(tuple_(*keys) < after).limit(limit))

    def rows(self, params: dict[str, Any], limit: int, place: tuple[Any, ...] | None) -> list[Any]:
        """The rows of the page of ``limit`` after ``place`` (None: the first page), and of
        the next one if there is one: ``limit`` + 1 at most, as the driver gives them;
        ``params``: the query's own bound values."""
        params = {**params, "keyset_limit": limit + 1}
        if place is None:
            return self.first.rows(params)
        params.update((f"keyset_after_{i}", value) for i, value in enumerate(place))
        return self.after.rows(params)

    def next_cursor(self, rows: Sequence[Sequence[Any]], limit: int) -> str | None:
        """The cursor of the page after the first ``limit`` of ``rows``, None if none
        follows."""
        if len(rows) <= limit:
            return None
        readers = self._readers(db.session.get_bind().dialect)
        keys = rows[limit - 1][: self.width]
        place = tuple(read(key) if read else key for read, key in zip(readers, keys, strict=True))
        return _make_cursor("bookmark", serialize_bookmark((place, False)))

    def _readers(self, dialect: Dialect) -> list[Any]:
        """What the keys' types make of the driver's values (an aware time), per dialect."""
        readers = self._by_dialect.get(dialect.name)
        if readers is None:
            readers = self._by_dialect[dialect.name] = [
                column_type.dialect_impl(dialect).result_processor(dialect, None)
                for column_type in self.types
            ]
        return readers

    def place(self, cursor: str | None) -> tuple[Any, ...] | None:
        """The keys a cursor names: as many as this list has, each of its column's type;
        None for the first page. A cursor that is not a place in this list is 422."""
        marker = _read_bookmark(cursor)
        if marker is None:
            return None
        place = marker.place
        if marker.backwards or place is None or len(place) != self.width:
            raise Invalid("cursor", NOT_A_CURSOR)
        if not all(map(_of_type, place, self.types)):
            raise Invalid("cursor", NOT_A_CURSOR)
        return place


def _of_type(value: Any, column_type: Any) -> bool:
    """A cursor's key is of its column's Python type (not None: keys are never null), a time
    with its zone (the columns hold UTC; a naive one could not be compared)."""
    expected = getattr(column_type, "impl_instance", column_type).python_type
    if isinstance(value, bool) and expected is not bool:
        return False
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return False
    return isinstance(value, expected)


def paginate_ranked(ranked: Sequence[tuple[float, int, T]], page: dict[str, Any]) -> dict[str, Any]:
    """One page of items ranked in Python, as (rank, unique id, item) sorted by (rank, id):
    for orders SQL cannot give on every database (distances from a point)."""
    after = _read_cursor(page.get("cursor"), "ranked")
    if after is not None:
        if not (isinstance(after, list) and len(after) == 2 and all(map(_sane_key, after))):
            raise Invalid("cursor", NOT_A_CURSOR)
        ranked = [entry for entry in ranked if (entry[0], entry[1]) > tuple(after)]
    items = ranked[: page["limit"]]
    next_cursor = None
    if len(ranked) > page["limit"]:
        rank, item_id, _ = items[-1]
        next_cursor = _make_cursor("ranked", [rank, item_id])
    return {"items": [item for _, _, item in items], "next_cursor": next_cursor}


def _read_bookmark(cursor: str | None) -> Marker | None:
    """sqlakeyset's place marker from a cursor, every value of it one the database can
    compare (a cursor signed with a leaked key could hold anything)."""
    bookmark = _read_cursor(cursor, "bookmark")
    if bookmark is None:
        return None
    if not isinstance(bookmark, str):
        raise Invalid("cursor", NOT_A_CURSOR)
    try:
        marker = unserialize_bookmark(bookmark)
    except Exception as error:  # noqa: BLE001 - sqlakeyset raises several kinds
        raise Invalid("cursor", NOT_A_CURSOR) from error
    if not all(map(_sane_key, marker.place or ())):
        raise Invalid("cursor", NOT_A_CURSOR)
    return marker


def _sane_key(value: Any) -> bool:
    """A sort key value within what the columns hold (ids are PostgreSQL integers)."""
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_ID - 1 <= value <= MAX_ID
    if isinstance(value, float):
        return math.isfinite(value) and abs(value) <= MAX_SORT_FLOAT
    if isinstance(value, str):
        return len(value) <= 1000 and not FORBIDDEN_CHARACTERS.search(value)
    if isinstance(value, dt.date):
        return EARLIEST_YEAR <= value.year < LATEST_YEAR
    return False


def _make_cursor(kind: str, key: Any) -> str:
    return signing.sign(signing.CURSOR, {"list": request.endpoint, kind: key})


def _read_cursor(cursor: str | None, kind: str) -> Any:
    """The sort key a cursor holds (None for the first page); 422 unless this route made it."""
    if not cursor:
        return None
    try:
        payload = signing.unsign(signing.CURSOR, cursor, max_age=CURSOR_MAX_AGE)
    except BadData as error:
        raise Invalid("cursor", NOT_A_CURSOR) from error
    if not isinstance(payload, dict) or payload.get("list") != request.endpoint:
        raise Invalid("cursor", NOT_A_CURSOR)
    if kind not in payload:
        raise Invalid("cursor", NOT_A_CURSOR)
    return payload[kind]
