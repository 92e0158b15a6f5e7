"""Keyset pagination: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out.

A cursor holds the sort key of the last item handed out, not an offset: the next page
starts after that item however many were added or removed meanwhile, and the database reads
one page (sqlakeyset turns a query's ORDER BY, which must end in a unique column, into the
WHERE clause). Cursors are signed and name the route that made them, so anything else, or
one older than CURSOR_MAX_AGE, is refused with a 422 problem.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, TypeVar

from flask import request
from itsdangerous import BadData
from marshmallow import Schema, fields, validate
from sqlakeyset import InvalidPage, Marker, select_page, unserialize_bookmark
from sqlalchemy import Select

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
    """One page of ``query``, ordered by a unique key: a select of one entity (the items are
    the entities) or of columns (the items are the rows)."""
    bookmark = _read_bookmark(page.get("cursor"))
    try:
        result = select_page(db.session(), query, per_page=page["limit"], page=bookmark)
    except InvalidPage as error:
        raise Invalid("cursor", NOT_A_CURSOR) from error
    next_cursor = None
    if result.paging.has_next:
        next_cursor = _make_cursor("bookmark", result.paging.bookmark_next)
    items = list(result)
    if len(query.column_descriptions) == 1:
        items = [row[0] for row in items]
    return {"items": items, "next_cursor": next_cursor}


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
