"""Cursor pagination: ``?limit=&cursor=`` in, ``{"items", "next_cursor"}`` out."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from typing import Any, TypeVar

from marshmallow import Schema, fields, validate
from sqlalchemy import Select

from grannsamverkan.errors import Invalid
from grannsamverkan.extensions import db

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class PageArgsSchema(Schema):
    limit = fields.Integer(
        load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT)
    )
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


def _decode(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(cursor.encode()))["o"]
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise Invalid("cursor", "Not a cursor this API handed out.") from exc
    if not isinstance(offset, int) or offset < 0:
        raise Invalid("cursor", "Not a cursor this API handed out.")
    return offset


def _encode(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _page(rows: Sequence[T], offset: int, limit: int) -> dict[str, Any]:
    has_more = len(rows) > limit
    return {
        "items": list(rows[:limit]),
        "next_cursor": _encode(offset + limit) if has_more else None,
    }


def paginate_query(query: Select[Any], page: dict[str, Any]) -> dict[str, Any]:
    offset = _decode(page.get("cursor"))
    rows = list(db.session.scalars(query.offset(offset).limit(page["limit"] + 1)))
    return _page(rows, offset, page["limit"])


def paginate_list(items: Sequence[T], page: dict[str, Any]) -> dict[str, Any]:
    offset = _decode(page.get("cursor"))
    return _page(items[offset : offset + page["limit"] + 1], offset, page["limit"])
