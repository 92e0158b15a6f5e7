"""Pages of a long list: the items of one page and the links to its neighbours."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import request, url_for
from sqlalchemy import Select

from grannsamverkan.extensions import db

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    items: list[Any]
    number: int
    pages: int
    total: int
    previous_url: str | None
    next_url: str | None


def paginate(query: Select[Any], *, per_page: int = PER_PAGE) -> Page:
    """The page ``?page=N`` of the request asks for (1 if absent or nonsense); links keep the
    request's other query arguments, so filters survive paging."""
    number = request.args.get("page", 1, type=int) or 1
    result = db.paginate(query, page=max(number, 1), per_page=per_page, error_out=False)
    # Any: url_for would otherwise match str values against its _external: bool | None.
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k != "page"}
    args.update(request.view_args or {})

    def link(page_number: int) -> str:
        return url_for(request.endpoint or "", **args, page=page_number)

    return Page(
        items=list(result.items),
        number=result.page,
        pages=max(result.pages, 1),
        total=result.total or 0,
        previous_url=link(result.page - 1) if result.has_prev else None,
        next_url=link(result.page + 1) if result.has_next else None,
    )
