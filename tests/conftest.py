"""Fixtures: an app per test on each database backend, a client, and object factories.

Every database test runs twice, on SQLite and on the PostgreSQL at 127.0.0.1. Each test
process (``./dev test`` runs several, with pytest-xdist) gets a database of its own on each
backend, emptied after every test.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import psycopg
import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from grannsamverkan import create_app
from grannsamverkan.api.ratelimit import limiter
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Device, Membership
from grannsamverkan.services import accounts, passwords
from mobile_client_stub.push_sink import PushSink

PG_ADMIN_URL = os.environ.get("GSV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = os.environ.get("GSV_TEST_BACKENDS", "sqlite,postgresql").split(",")
PASSWORD = "correct horse battery"
# Storgatan, Vimmerby: where tests put tips unless they say otherwise.
TIP_SPOT = (57.6663, 15.8557)


# --- no outside hosts -----------------------------------------------------------------------


def _is_local(address: Any) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths
        return True
    host = address[0]
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and not _is_local(args[1]):
        raise RuntimeError(f"test tried to reach an outside host: {args[1]!r}")
    if (
        event == "socket.getaddrinfo"
        and args[0] not in (None, "localhost")
        and not _is_local((args[0],))
    ):
        raise RuntimeError(f"test tried to resolve an outside host: {args[0]!r}")


sys.addaudithook(_audit)


# --- databases ------------------------------------------------------------------------------


@event.listens_for(Engine, "connect")
def _sqlite_without_fsync(dbapi_connection: Any, connection_record: Any) -> None:
    """Test databases are thrown away: SQLite commits need not wait for the disk."""
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        dbapi_connection.execute("PRAGMA synchronous=OFF")


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    urls: dict[str, str] = {}
    pg_name = None
    if "sqlite" in BACKENDS:
        urls["sqlite"] = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    if "postgresql" in BACKENDS:
        pg_name = f"gsv_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
            # Throw-away data: commits need not wait for the disk (also in worker processes).
            conn.execute(f'ALTER DATABASE "{pg_name}" SET synchronous_commit = off')
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        urls["postgresql"] = f"{base}/{pg_name}"
    for url in urls.values():
        app = create_app(_test_config(url))
        with app.app_context():
            db.create_all()
            db.engine.dispose()
    yield urls
    if pg_name:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def _test_config(url: str) -> dict[str, Any]:
    return {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "GSV_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        "RATELIMIT_STORAGE_URI": "memory://",
        # Tests drive dispatchers themselves (or start the thread/RQ modes on purpose).
        "GSV_DISPATCHER": "off",
    }


def _empty_all_tables() -> None:
    """Delete every row, children first, and restart the ids at 1.

    DELETE, not TRUNCATE: on PostgreSQL a TRUNCATE of all tables costs ~170 ms (new files
    for every table), DELETE of a test's few rows a few milliseconds. On PostgreSQL the
    DELETEs and the resets go as one string, one round trip (psycopg sends a query without
    parameters as a simple query, which may hold several statements): 0.7 ms of the test
    process's CPU instead of 3.2 ms, one statement per table.
    """
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name != "postgresql":
        for table in tables:
            db.session.execute(table.delete())
        db.session.commit()
        return
    sequences = db.session.scalars(
        text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
    ).all()
    dialect = db.engine.dialect
    statements = [str(table.delete().compile(dialect=dialect)) for table in tables]
    if sequences:
        resets = ", ".join(f"setval('{name}', 1, false)" for name in sequences)
        statements.append(f"SELECT {resets}")
    db.session.connection().exec_driver_sql("; ".join(statements))
    db.session.commit()


class EnglishApiClient(FlaskClient):
    """The suite's API tests read the English texts of error answers: requests to /api/
    prefer English unless a test names a language itself. The API's own default, Swedish, is
    tested in tests/api/test_problem_language.py."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        path = args[0] if args and isinstance(args[0], str) else kwargs.get("path", "")
        if isinstance(path, str) and path.startswith("/api/"):
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("Accept-Language", "en")
            kwargs["headers"] = headers
        return super().open(*args, **kwargs)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def only_on(name: str) -> pytest.MarkDecorator:
    """For a test of one backend's own behaviour (its query plans, psycopg's transactions):
    the test runs on that backend alone, instead of being skipped on the other."""
    return pytest.mark.parametrize("backend", [b for b in BACKENDS if b == name])


def without_database(test: Any) -> Any:
    """For a test whose app touches no database (the API's documentation page, say): there
    is nothing of a second backend's to test, so it runs on the first one only. It fails if
    a statement reaches a database during the test (fixtures that build or empty the
    app's tables aside), so a test that comes to need the database is run on both again."""
    test = pytest.mark.usefixtures("_no_statements")(test)
    return pytest.mark.parametrize("backend", BACKENDS[:1])(test)


@pytest.fixture
def _no_statements(app: Flask) -> Iterator[None]:
    """Fails the test if its app sends a SQL statement while it runs (``without_database``).
    Set up after ``app`` and torn down before it, so the emptying of the tables is not seen."""
    statements: list[str] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)
    assert statements == [], f"a test marked without_database sent SQL: {statements[:3]}"


@pytest.fixture
def app_config() -> dict[str, Any]:
    """Override in a test module to change the app's configuration."""
    return {}


# Apps kept per test process besides the default ones: a folder's own configuration (the
# console's, say) is built once, not once per test. Configurations that differ from test to
# test (a push sink's port) push the oldest out; its connections are closed.
SHARED_APPS_KEPT = 8
SharedKey = tuple[str, tuple[tuple[str, Any], ...]]


@pytest.fixture(scope="session")
def _shared_apps(database_urls: dict[str, str]) -> Iterator[dict[SharedKey, Flask]]:
    """Apps per backend and configuration, built on first use (oldest dropped first)."""
    apps: dict[SharedKey, Flask] = {}
    yield apps
    for app in apps.values():
        _dispose(app)


def _dispose(app: Flask) -> None:
    with app.app_context():
        db.engine.dispose()


# Settings an app hands to process-wide objects when it is built (flask-limiter's one
# limiter takes the storage of the app built last): an app with them is built for its test.
BUILT_FOR_ONE_TEST = {"RATELIMIT_STORAGE_URI", "GSV_REDIS_URL"}


def _shared_key(backend: str, app_config: dict[str, Any]) -> SharedKey | None:
    """What identifies an app built with ``app_config``; None for an app of the test's own:
    one handed an object, or one of ``BUILT_FOR_ONE_TEST``."""
    plain = (str, int, float, bool, type(None))
    if BUILT_FOR_ONE_TEST & app_config.keys() or not all(
        isinstance(value, plain) for value in app_config.values()
    ):
        return None
    return backend, tuple(sorted(app_config.items()))


def reset_rate_limits() -> None:
    """Empty the limiter's counters, in its storage and in its in-memory fallback. A test of a
    Redis outage has a storage nobody listens on: there is nothing in it to empty."""
    try:
        limiter.reset()
    except redis.exceptions.ConnectionError:
        pass
    fallback = getattr(limiter, "_fallback_storage", None)
    if fallback is not None:
        fallback.reset()


@pytest.fixture
def app(
    backend: str,
    database_urls: dict[str, str],
    app_config: dict[str, Any],
    tmp_path: Path,
    _shared_apps: dict[SharedKey, Flask],
) -> Iterator[Flask]:
    """The app on this test's backend; its tables are emptied after the test.

    Building an app (routes, the OpenAPI document) costs more than most tests, so apps are
    built once per backend and configuration (and test process) and reset for each test:
    configuration, rate limit counters, the push runner's mode. Only the default apps are
    kept for good; of the others, the last few used (``SHARED_APPS_KEPT``).
    """
    key = _shared_key(backend, app_config)
    shared = key is not None
    if key is not None and key in _shared_apps:
        app = _shared_apps.pop(key)
    else:
        app = create_app({**_test_config(database_urls[backend]), **app_config})
    if key is not None:
        _shared_apps[key] = app  # the most recently used last
        _drop_oldest(_shared_apps)
        # A test may add a route of its own (security headers on an error, say), which Flask
        # allows only before an app's first request: a shared app counts as new to each test,
        # and one that got a route is dropped after the test (below).
        app._got_first_request = False
    rules = len(app.url_map._rules)
    app.instance_path = str(tmp_path)
    app.test_client_class = EnglishApiClient
    config = dict(app.config)
    from grannsamverkan.notify.runner import EXTENSION

    runner = app.extensions[EXTENSION]
    mode = runner.mode
    with app.app_context():
        reset_rate_limits()
    # No app context stays pushed during the test: each request must get its own, as in
    # production, or requests would share one session and one ``g``.
    try:
        yield app
    finally:
        runner.stop()
        # The sender's connections (the aiohttp transport's session) go with the test: one
        # left to the garbage collector warns (an error here) in whichever test runs then.
        runner.close_sender()
        with app.app_context():
            _empty_all_tables()
            if not shared:
                db.engine.dispose()
        if shared:
            runner.mode = mode
            app.config.clear()
            app.config.update(config)
            if len(app.url_map._rules) != rules:
                _dispose(_shared_apps.pop(key))


def _drop_oldest(apps: dict[SharedKey, Flask]) -> None:
    """Keep the default apps and the ``SHARED_APPS_KEPT`` configured ones used last."""
    configured = [key for key in apps if key[1]]
    for key in configured[: max(0, len(configured) - SHARED_APPS_KEPT)]:
        _dispose(apps.pop(key))


@pytest.fixture
def client(app: Flask) -> Any:
    return app.test_client()


# --- factories ------------------------------------------------------------------------------


@dataclass
class Actor:
    """A user with a live access token."""

    id: int
    email: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


# ``check_password_strength`` once per process for each password, e-mail and name. The check
# is a pure function of the three (zxcvbn with the e-mail's and name's words), and
# ``make_user`` gives the same users the same ones in every test (user1, "User 1"): zxcvbn was
# ~3 ms of each user made, a tenth of tests/tips' and tests/broadcasts' CPU. A refusal raises
# and is not cached, so it is raised again each time.
_cached_strength_check = functools.cache(passwords.check_password_strength)


@pytest.fixture
def make_user(app: Flask) -> Any:
    counter = iter(range(1, 10_000))

    def make(
        *,
        role: str = "resident",
        municipality_codes: list[str] | None = None,
        home: tuple[float, float] | None = None,
        name: str | None = None,
        protected: bool = False,
        **settings: Any,
    ) -> Actor:
        n = next(counter)
        with app.app_context():
            return _make_user(n, role, municipality_codes, home, name, protected, settings)

    def _make_user(n, role, municipality_codes, home, name, protected, settings):
        with mock.patch.object(accounts, "check_password_strength", _cached_strength_check):
            user = accounts.create_user(
                email=f"user{n}@example.se",
                password=PASSWORD,
                name=name or f"User {n}",
                role=role,
                municipality_codes=municipality_codes,
            )
        if home is not None:
            accounts.set_home(user, lat=home[0], lon=home[1], address=f"Storgatan {n}")
        if protected:
            accounts.set_home(user, protected=True)
        for key, value in settings.items():
            setattr(user, key, value)
        token, _ = accounts.sign_in(email=user.email, password=PASSWORD)  # type: ignore[misc]
        # Read before the commit: after it, the first attribute read reloads the row.
        actor = Actor(id=user.id, email=user.email, token=token)
        db.session.commit()
        return actor

    return make


@dataclass
class AreaRef:
    id: int
    municipality_code: str
    center: tuple[float, float]


@pytest.fixture
def make_area(app: Flask) -> Any:
    def make(
        *,
        name: str = "Storgatan",
        municipality_code: str = "0884",
        center: tuple[float, float] = (57.6663, 15.8557),
        boundary: dict[str, Any] | None = None,
        tip_moderation: bool = False,
    ) -> AreaRef:
        with app.app_context():
            area = Area(
                name=name,
                municipality_code=municipality_code,
                center_lat=center[0],
                center_lon=center[1],
                boundary=boundary,
                tip_moderation=tip_moderation,
            )
            db.session.add(area)
            db.session.commit()
            return AreaRef(id=area.id, municipality_code=municipality_code, center=center)

    return make


@pytest.fixture
def add_member(app: Flask) -> Any:
    def add(actor: Actor, area: AreaRef, *, role: str = "member", status: str = "active") -> None:
        with app.app_context():
            db.session.add(Membership(area_id=area.id, user_id=actor.id, role=role, status=status))
            db.session.commit()

    return add


def problem_of(response: Any, status: int) -> dict[str, Any]:
    """Assert an RFC 9457 problem with this status and return its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= set(body)
    return body


# --- devices and tips (used across tips, notify, broadcasts) ------------------------------


@pytest.fixture
def add_device(app: Any) -> Any:
    def add(actor: Any, token: str, *, platform: str = "android", age_days: int = 0) -> None:
        with app.app_context():
            seen = datetime.now().astimezone() - timedelta(days=age_days)
            db.session.add(
                Device(user_id=actor.id, token=token, platform=platform, last_seen_at=seen)
            )
            db.session.commit()

    return add


@pytest.fixture
def post_tip(client: Any) -> Any:
    def post(
        actor: Any, category: str = "burglary", *, at=TIP_SPOT, status=201, **extra: Any
    ) -> Any:
        body = {
            "category": category,
            "description": extra.pop("description", "Someone broke a window at the back."),
            "location": {"lat": at[0], "lon": at[1]},
            **extra,
        }
        if category == "traffic":  # a traffic tip names its kind
            body.setdefault("traffic_kind", "speeding")
        response = client.post("/api/v1/tips", json=body, headers=actor.headers)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    return post


# --- push: the FCM look-alike and the real firebase-admin sender pointed at it -------------

PUSH_PROJECT = "gsv-test"


@pytest.fixture(scope="session")
def _push_sink() -> Iterator[PushSink]:
    """One push sink per test process. Its address goes into ``push_config``: a sink per
    test was an app built per test for every test that pushes (a new port, a new config)."""
    with PushSink() as running:
        yield running


@pytest.fixture
def sink(_push_sink: PushSink) -> Iterator[PushSink]:
    """The push sink, empty: no trays, failures or delay from an earlier test."""
    _push_sink.start()  # again if the last test stopped it (an endpoint that is down)
    _push_sink.reset()
    yield _push_sink
    _push_sink.reset()


@pytest.fixture
def push_config(sink: PushSink) -> dict[str, Any]:
    """App settings that send pushes through firebase-admin to ``sink``, retrying fast.

    A test folder turns them on with ``app_config = push_config`` in its conftest."""
    return {
        "GSV_PUSH_BACKEND": "fcm",
        "GSV_FCM_ENDPOINT": sink.base_url,
        "GSV_FIREBASE_PROJECT_ID": PUSH_PROJECT,
        "GSV_FCM_TIMEOUT_S": 2.0,
        "GSV_PUSH_BACKOFF_BASE_S": 0.05,
        "GSV_PUSH_BACKOFF_CAP_S": 0.2,
    }


@pytest.fixture
def dispatcher(app: Flask) -> Iterator[Any]:
    """A dispatcher with the app's configured sender; use it inside ``app.app_context()``."""
    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    runner = app.extensions[EXTENSION]
    yield dispatcher_for(app, runner.sender)
    runner.close_sender()


def send_all(app: Flask, dispatcher: Any, *, until_s: float = 10.0) -> None:
    """Run the dispatcher until no delivery is pending (retries included)."""
    from sqlalchemy import select

    from grannsamverkan.models import Delivery

    deadline = time.monotonic() + until_s
    with app.app_context():
        while time.monotonic() < deadline:
            dispatcher.run_until_idle()
            if db.session.scalar(select(Delivery.id).where(Delivery.state == "pending")) is None:
                return
            time.sleep(0.05)
    raise AssertionError("deliveries still pending")
