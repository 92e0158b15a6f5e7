"""Counting the SQL statements a request sends, to catch N+1 queries in list routes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from sqlalchemy import event

from grannsamverkan.extensions import db


@contextmanager
def counted_statements(app: Flask) -> Iterator[list[str]]:
    """Every statement the app's engine executes inside the block, in order."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def statements_per_page(app: Flask, client: Any, url: str, headers: dict[str, str]) -> dict:
    """{page size: statements} for pages of 2 and of 20 items of a list route (each page
    checked to be full, so that a constant count means constant per page)."""
    client.get(url, headers=headers)  # warm-up: first-request work is not per item
    counts = {}
    for limit in (2, 20):
        joiner = "&" if "?" in url else "?"
        with counted_statements(app) as statements:
            response = client.get(f"{url}{joiner}limit={limit}", headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        assert len(response.get_json()["items"]) == limit, url
        counts[limit] = len(statements)
    return counts
