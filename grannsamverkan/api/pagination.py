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
from sqlalchemy import BindParameter, ColumnElement, Row, Select, bindparam, tuple_
from sqlalchemy.orm import QueryableAttribute

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
    unique), as two statements built once: the first page, and the page after a cursor
    (``(keys) < (the cursor's)``). What paginate_query does through sqlakeyset, without its
    preparation of the query on every request (an eighth of GET /alerts: BENCHMARKS.md,
    section 7). The cursors are sqlakeyset's bookmarks, so either reads the other's."""

    def __init__(
        self, query: Select[Any], keys: Sequence[ColumnElement[Any] | QueryableAttribute[Any]]
    ) -> None:
        leading = [column.key for column in list(query.selected_columns)[: len(keys)]]
        if leading != [key.key for key in keys]:
            raise ValueError(f"the select must start with its keys, not {leading}")
        self.width = len(keys)
        self.types = [key.type for key in keys]
        ordered = query.order_by(*(key.desc() for key in keys))
        limit: BindParameter[int] = bindparam("keyset_limit")
        after = tuple_(
            *(bindparam(f"keyset_after_{i}", type_=key.type) for i, key in enumerate(keys))
        )
        self.first = ordered.limit(limit)
        self.after = ordered.where(tuple_(*keys) < after).limit(limit)

    def page(self, params: dict[str, Any], page: dict[str, Any]) -> dict[str, Any]:
        """One page as ``{"items": rows, "next_cursor"}``; ``params``: the query's own bound
        values."""
        params = {**params, "keyset_limit": page["limit"] + 1}
        statement = self.first
        place = self._place(page.get("cursor"))
        if place is not None:
            statement = self.after
            params.update((f"keyset_after_{i}", value) for i, value in enumerate(place))
        rows = list(db.session.connection().execute(statement, params).all())
        next_cursor = None
        if len(rows) > page["limit"]:
            del rows[page["limit"] :]
            next_cursor = _make_cursor("bookmark", self._bookmark(rows[-1]))
        return {"items": rows, "next_cursor": next_cursor}

    def _bookmark(self, row: Row[Any]) -> str:
        return serialize_bookmark((tuple(row[: self.width]), False))

    def _place(self, cursor: str | None) -> tuple[Any, ...] | None:
        """The keys a cursor names: as many as this list has, each of its column's type."""
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
