"""The burst's reads without a transaction (api/read_only.py): on PostgreSQL GET /alerts and
GET /broadcasts/{id} run their statements in autocommit, so psycopg sends no BEGIN and no
ROLLBACK and keeps the statements it prepared (a ROLLBACK drops them all); the connection
goes back to the pool transactional, so the next request's writes are one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event, text

from grannsamverkan.extensions import db
from tests.broadcasts.conftest import API, warning
from tests.conftest import only_on

ALERTS = f"{API}/alerts"


@contextmanager
def autocommit_per_statement(app: Any) -> Iterator[list[bool]]:
    """For each statement the app sends inside the block: was its connection in autocommit."""
    with app.app_context():
        engine = db.engine
    modes: list[bool] = []

    def record(conn: Any, *_: Any) -> None:
        modes.append(conn.connection.dbapi_connection.autocommit)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield modes
    finally:
        event.remove(engine, "before_cursor_execute", record)


@only_on("postgresql")
def test_the_burst_reads_run_in_autocommit(app, client, town, send):
    sent = send(town.police, warning())
    for url in (ALERTS, f"{API}/broadcasts/{sent['id']}"):
        with autocommit_per_statement(app) as modes:
            answer = client.get(url, headers=town.anna.headers)
        assert answer.status_code == 200, answer.get_data(as_text=True)
        assert modes, url
        assert all(modes), (url, modes)


@only_on("postgresql")
def test_a_write_after_a_read_on_the_same_connection_is_a_transaction(app, client, town, send):
    sent = send(town.police, warning())
    assert client.get(ALERTS, headers=town.anna.headers).status_code == 200
    with autocommit_per_statement(app) as modes:
        read = client.post(f"{ALERTS}/{sent['alert_id']}/read", headers=town.anna.headers)
    assert read.status_code == 204
    assert modes
    assert not any(modes), modes
    assert client.get(ALERTS, headers=town.anna.headers).get_json()["items"][0]["read_at"]


@only_on("postgresql")
def test_the_inbox_statements_stay_prepared(app, client, town, send):
    """psycopg prepares a statement on its fifth run; a ROLLBACK at each request's end made
    it forget them all, so PostgreSQL parsed and planned the page on every request."""
    send(town.police, warning())
    with app.app_context():
        # One connection: the pool hands out its idle ones in turn, and the app may have
        # pooled several in earlier tests; prepared statements are per connection.
        db.engine.dispose()
    for _ in range(6):
        assert client.get(ALERTS, headers=town.anna.headers).status_code == 200
    with app.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements"))
        assert any("alert_recipients" in statement for statement in prepared)


def test_read_only_views_are_safe_methods(app):
    """A view marked read_only must not write: its flushes would commit one by one."""
    marked = {
        endpoint
        for endpoint, view in app.view_functions.items()
        if getattr(view, "read_only", False)
    }
    assert {"alerts.list_alerts", "broadcasts.get_broadcast"} <= marked
    for rule in app.url_map.iter_rules():
        if rule.endpoint in marked:
            assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule
