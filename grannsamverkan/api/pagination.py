"""Keyset pagination: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out.

A cursor holds the sort key of the last item handed out, not an offset: the next page
starts after that item however many were added or removed meanwhile, and the database reads
one page (sqlakeyset turns a query's ORDER BY, which must end in a unique column, into the
WHERE clause). Cursors are signed and name the route that made them, so anything else, or
one older than CURSOR_MAX_AGE, is refused with a 422 problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from flask import request
from itsdangerous import BadData
from marshmallow import Schema, fields, validate
from sqlakeyset import InvalidPage, select_page
from sqlalchemy import Select

from grannsamverkan.errors import N_, Invalid
from grannsamverkan.extensions import db
from grannsamverkan.services import signing

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# A client that pages more slowly than this starts again from the first page.
CURSOR_MAX_AGE = 30 * 24 * 3600
NOT_A_CURSOR = N_("Not a cursor this API handed out for this list.")


class PageArgsSchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=1000))


def paginate_query(query: Select[Any], page: dict[str, Any]) -> dict[str, Any]:
    """One page of ``query`` (a select of one entity, ordered by a unique key)."""
    bookmark = _read_cursor(page.get("cursor"), "bookmark")
    try:
        result = select_page(db.session(), query, per_page=page["limit"], page=bookmark)
    except InvalidPage as error:
        raise Invalid("cursor", NOT_A_CURSOR) from error
    next_cursor = None
    if result.paging.has_next:
        next_cursor = _make_cursor("bookmark", result.paging.bookmark_next)
    return {"items": [row[0] for row in result], "next_cursor": next_cursor}


def paginate_ranked(ranked: Sequence[tuple[float, int, T]], page: dict[str, Any]) -> dict[str, Any]:
    """One page of items ranked in Python, as (rank, unique id, item) sorted by (rank, id):
    for orders SQL cannot give on every database (distances from a point)."""
    after = _read_cursor(page.get("cursor"), "ranked")
    if after is not None:
        if not (isinstance(after, list) and len(after) == 2):
            raise Invalid("cursor", NOT_A_CURSOR)
        ranked = [entry for entry in ranked if (entry[0], entry[1]) > tuple(after)]
    items = ranked[: page["limit"]]
    next_cursor = None
    if len(ranked) > page["limit"]:
        rank, item_id, _ = items[-1]
        next_cursor = _make_cursor("ranked", [rank, item_id])
    return {"items": [item for _, _, item in items], "next_cursor": next_cursor}


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
