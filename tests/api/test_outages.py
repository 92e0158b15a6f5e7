"""The database or Redis down: 503 with Retry-After, for the API and the console, never a
500. And a request that fails never logs the values of its SQL statement."""

from __future__ import annotations

import logging
import re
import socket
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import text

from grannsamverkan import create_app
from grannsamverkan.extensions import db
from grannsamverkan.services import accounts
from tests.api.app_per_module import app_per_module
from tests.conftest import problem_of

backend, app, _fresh_state = app_per_module()


def _closed_port() -> int:
    """A loopback port nobody listens on: bound for a moment, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _app(database_url: str, **config: Any) -> Any:
    return create_app(
        {
            "TESTING": True,
            "PROPAGATE_EXCEPTIONS": False,  # as in production: errors go to the handlers
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "RATELIMIT_STORAGE_URI": "memory://",
            "GSV_DISPATCHER": "off",
            "WTF_CSRF_ENABLED": False,
            **config,
        }
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def dead_database_app(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if request.param == "sqlite":  # a file in a folder that does not exist
        url = f"sqlite:///{tmp_path / 'gone' / 'nowhere.db'}"
    else:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/gone"
    app = _app(url)
    yield app
    with app.app_context():
        db.engine.dispose()


def test_database_down_is_503_with_retry_after_in_the_api(dead_database_app):
    client = dead_database_app.test_client()
    for response in (
        client.post("/api/v1/auth/login", json={"email": "a@b.se", "password": "x" * 10}),
        client.get("/api/v1/help-resources"),
        client.get("/api/v1/help-resources/1"),
    ):
        problem_of(response, 503)
        assert int(response.headers["Retry-After"]) > 0


def test_database_down_is_503_with_retry_after_in_the_console(dead_database_app):
    client = dead_database_app.test_client()
    form = client.get("/sign-in").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = client.post(
        "/sign-in", data={"email": "a@b.se", "password": "x" * 10, "csrf_token": token}
    )
    assert response.status_code == 503
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0


def test_redis_down_is_503(app, client, monkeypatch):
    """A Redis call that fails in a request (the rate limiter has a memory fallback and push
    jobs wait for the sweep, but anything else) is an outage, not a 500."""
    app.config["PROPAGATE_EXCEPTIONS"] = False
    dead_redis = Redis.from_url(
        f"redis://127.0.0.1:{_closed_port()}/0", socket_connect_timeout=1, socket_timeout=1
    )
    monkeypatch.setattr(accounts, "find_user_by_email", lambda email: dead_redis.get(email))
    response = client.post("/api/v1/auth/login", json={"email": "a@b.se", "password": "x" * 10})
    problem_of(response, 503)
    assert int(response.headers["Retry-After"]) > 0


SECRET = "hemligt-Lösenord-57.6663"


def test_a_failing_statement_never_logs_its_values(app, client, make_user, caplog, monkeypatch):
    """A 500 (or an outage) logs the error's class and the request id, not the statement's
    parameters (an e-mail, a password hash, coordinates) nor the driver's message."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    def failing_lookup(email: str) -> Any:
        db.session.execute(
            text("SELECT no_such_function(:email, :secret)"), {"email": email, "secret": SECRET}
        )

    monkeypatch.setattr(accounts, "find_user_by_email", failing_lookup)
    caplog.set_level(logging.INFO)
    email = "anna.andersson@example.se"
    response = client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": SECRET},
        headers={"X-Request-Id": "req-42"},
    )
    assert response.status_code in (500, 503)
    assert response.headers["X-Request-Id"] == "req-42"
    logged = "\n".join(
        [record.getMessage() for record in caplog.records]
        + [caplog.text]
        + [str(record.exc_info) for record in caplog.records if record.exc_info]
    )
    assert "req-42" in logged
    assert "Error" in logged  # the error's class
    assert SECRET not in logged
    assert email not in logged
