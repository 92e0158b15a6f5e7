"""Grannsamverkan: the backend of a neighbourhood-watch app."""

from __future__ import annotations

import logging
import math
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from werkzeug.middleware.proxy_fix import ProxyFix

from grannsamverkan import logs
from grannsamverkan.config import Settings, load_secret_key, public_base_url
from grannsamverkan.failure_log import App
from grannsamverkan.schema_version import head_revisions

log = logging.getLogger(__name__)


# What a process built by create_app serves: "web" the API and the console (and, with the
# default GSV_DISPATCHER, a dispatcher thread); "push" only what ``flask push worker`` runs.
APP_ROLES = ("web", "push")


def create_app(config: dict[str, Any] | None = None, *, role: str = "web") -> Flask:
    """The application factory: environment settings, then ``config`` overrides.

    ``role="push"`` makes the push worker's app (notify/worker.py ``PUSH_WORKER_APP``):
    the database, the dispatcher with its chores and the commands, without the API, the
    console and what only they use (OpenAPI, schemas, rate limits, request hooks): ~20 MiB
    less in every push worker (BENCHMARKS.md, "Push worker memory").
    """
    if role not in APP_ROLES:
        raise ValueError(f"role must be one of {APP_ROLES}, not {role!r}")
    app = App(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(Settings().as_flask_config())
    if app.config["SQLALCHEMY_DATABASE_URI"] is None:
        db_file = Path(app.instance_path) / "grannsamverkan.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    if config:
        app.config.update(config)
    app.config["GSV_APP_ROLE"] = role
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(app.instance_path)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logs.configure(app.config)
    if not app.config.get("GSV_PUBLIC_URL"):
        log.warning(
            "GSV_PUBLIC_URL is not set: feeds, CAP alerts and calendar files link to %s",
            public_base_url(None),
        )
    app.config["GSV_PUBLIC_URL"] = public_base_url(app.config.get("GSV_PUBLIC_URL") or None)

    _init_database(app)
    _init_dispatching(app)
    if role == "web":
        _init_web(app)

    from grannsamverkan import cli

    cli.register(app)
    return app


def _init_web(app: Flask) -> None:
    """What serves requests: the hooks every request passes through, the API, the console."""
    _trust_proxies(app)
    from grannsamverkan import failure_log, request_input
    from grannsamverkan.api import monitoring, security_headers

    request_input.init_app(app)  # before any route: it brings the id converter
    failure_log.init_app(app)
    monitoring.init_app(app)
    _init_api(app)
    security_headers.init_app(app)
    _register_blueprints(app)


def _trust_proxies(app: Flask) -> None:
    """Behind GSV_TRUSTED_PROXIES reverse proxies, take the client's address and scheme from
    the X-Forwarded-For/-Proto entries those proxies added; never from a client's own."""
    proxies = int(app.config["GSV_TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]


def _init_database(app: Flask) -> None:
    from grannsamverkan import models  # noqa: F401 - registers the tables
    from grannsamverkan.extensions import db

    db.init_app(app)
    head_revisions()  # what this code expects, read now (see schema_version.py)


def _init_api(app: Flask) -> None:
    from grannsamverkan.api import errors, openapi, ratelimit
    from grannsamverkan.api.auth import SECURITY_SCHEME
    from grannsamverkan.extensions import api

    ratelimit.init_app(app)
    openapi.configure(api)
    api.init_app(app, spec_kwargs=openapi.spec_kwargs())
    errors.init_app(app)  # after api.init_app: replaces its HTTPException handler
    from grannsamverkan.geo import geocoding

    app.teardown_request(geocoding.keep_misses)
    api.spec.components.security_scheme("bearerAuth", SECURITY_SCHEME)


def _init_dispatching(app: Flask) -> None:
    from grannsamverkan.notify import open311_status, runner
    from grannsamverkan.notify.chores import in_background
    from grannsamverkan.services import police_events
    from grannsamverkan.services.broadcasts import queue_due_reminders
    from grannsamverkan.services.digests import queue_due_digests
    from grannsamverkan.services.notices import escalate_unmoderated_tips
    from grannsamverkan.services.unsubscribe import unsubscribe_links

    # notify/ knows nothing of broadcasts, tips, digests, retention or signed links: the
    # reminder, escalation, digest and purge sweeps and the unsubscribe links are handed to it
    # here, with the periodic import and read-back (one dispatcher per interval runs each, in
    # a thread of its own: they wait on other hosts, pushes must not).
    runner.init_app(
        app,
        chores=[
            queue_due_reminders,
            escalate_unmoderated_tips,
            queue_due_digests,
            *_purge_chores(app),
            in_background(open311_status.read_back_now, due=open311_status.read_back_due),
            in_background(police_events.import_now, due=police_events.import_due),
        ],
        unsubscribe_links=unsubscribe_links,
    )


def _purge_chores(app: Flask) -> list[Any]:
    """The retention purge as a daily chore of every dispatcher (0 hours: none)."""
    from datetime import timedelta

    from grannsamverkan.services.retention import ScheduledPurge

    hours = float(app.config["GSV_PURGE_INTERVAL_H"])
    if hours <= 0:
        return []
    every = timedelta(hours=hours)
    return [ScheduledPurge(retention_days=app.config["GSV_RETENTION_DAYS"], every=every)]


def _register_blueprints(app: Flask) -> None:
    from grannsamverkan.api import (
        accounts,
        alerts,
        areas,
        audit,
        broadcasts,
        health,
        help,
        households,
        police_events,
        stats,
        tips,
        traffic,
        warning_documents,
    )
    from grannsamverkan.extensions import api

    app.register_blueprint(health.blp)
    for module in (
        accounts,
        areas,
        households,
        tips,
        alerts,
        broadcasts,
        warning_documents,
        help,
        stats,
        traffic,
        police_events,
        audit,
    ):
        api.register_blueprint(module.blp, url_prefix="/api/v1")

    from grannsamverkan import console

    console.init_app(app)


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Make the embedded SQLite default safe for several threads and processes.

    Foreign keys (and their ON DELETE rules) are enforced only when asked; WAL lets readers
    run beside the writer; the driver's own transaction handling is switched off so that the
    ``begin`` hook below decides how transactions start.
    """
    if not type(dbapi_connection).__module__.startswith("sqlite3"):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
    # SQLite's own lower() folds ASCII only; tip search ("SKÅPBIL" finds "skåpbil") needs the
    # Unicode folding PostgreSQL's lower() has.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
    _ensure_math_functions(dbapi_connection)


def _unicode_lower(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


# The database's triggers write a home's unit vector with cos, sin and radians
# (models/home_vector.py), and the radius search measures with asin and sqrt
# (geo/radius.py). SQLite has them only when built with SQLITE_ENABLE_MATH_FUNCTIONS
# (Debian's and python.org's are); without them every write of a home would fail, so
# Python's stand in.
_MATH_FUNCTIONS: dict[str, Callable[[float], float]] = {
    "cos": math.cos,
    "sin": math.sin,
    "radians": math.radians,
    "asin": math.asin,
    "sqrt": math.sqrt,
}


def _ensure_math_functions(dbapi_connection: Any) -> None:
    try:
        dbapi_connection.execute("SELECT cos(0), sin(0), radians(0), asin(0), sqrt(0)")
    except sqlite3.OperationalError:  # no such function
        add_math_functions(dbapi_connection)


def add_math_functions(dbapi_connection: Any) -> None:
    """Register Python's math functions on a SQLite connection (NULL stays NULL)."""
    for name, function in _MATH_FUNCTIONS.items():
        dbapi_connection.create_function(name, 1, _null_safe(function), deterministic=True)


def _null_safe(function: Callable[[float], float]) -> Callable[[float | None], float | None]:
    return lambda value: None if value is None else function(value)


@event.listens_for(Engine, "before_cursor_execute", named=True)
def _binary_results(conn: Any, cursor: Any, context: Any, **_: Any) -> None:
    """PostgreSQL: rows in binary for a statement run with ``binary_results=True``.

    psycopg reads numbers as text by default; for the radius search's thousands of
    distances the text round trip (PostgreSQL formats each float, psycopg parses it) cost
    about a fifth of the 2 km search (BENCHMARKS.md, section 1). The option is for
    statements whose columns are numbers: the values are the same in either format.
    """
    if context is not None and context.execution_options.get("binary_results"):
        if conn.dialect.name == "postgresql":
            from psycopg.pq import Format  # loaded already: this connection is psycopg's

            cursor.format = Format.BINARY


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    """SQLite: take the write lock when a transaction starts (BEGIN IMMEDIATE).

    A deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer committed in between; IMMEDIATE waits its turn instead,
    which gives row-lock-like behaviour (the outbox claim, idempotency keys).
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
