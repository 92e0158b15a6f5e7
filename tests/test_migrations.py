"""The Alembic migrations build the models' schema on an empty database, and take it down."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import current_app
from sqlalchemy import inspect, text

from grannsamverkan import create_app
from grannsamverkan.cli import bind_migrations
from grannsamverkan.extensions import db
from tests.conftest import PG_ADMIN_URL


@contextmanager
def _empty_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new, empty database of its own (never the suite's shared one); dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.db'}"
        return
    name = f"gsv_mig_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def keep_logging() -> Iterator[None]:
    """Alembic's env.py runs logging.config.fileConfig, which disables existing loggers."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    loggers = {
        name: (logger.disabled, logger.level)
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, (disabled, logger_level) in loggers.items():
        logger = logging.getLogger(name)
        logger.disabled, logger.level = disabled, logger_level


def _tables() -> set[str]:
    return set(inspect(db.engine).get_table_names())


def _pending_changes() -> list[object]:
    """What ``flask db migrate`` would still generate: nothing, if the models match."""
    # Compare as `flask db migrate` does: with the options the app gives Flask-Migrate.
    compare_type = current_app.extensions["migrate"].configure_args.get("compare_type", True)
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": compare_type})
        return compare_metadata(context, db.metadata)


def _home_vector_is_written() -> bool:
    """The triggers behind users.home_x/y/z are there (models/home_vector.py)."""
    with db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO users (id, name, role, locale, municipality_codes, home_lat,"
                " home_lon, home_protected, alert_radius_m, created_at, police_lead, channels,"
                " digest, digest_week, police_events_in_inbox) VALUES (1, 'A', 'resident',"
                " 'sv', '[]', 90, 0, false, 1000, CURRENT_TIMESTAMP, false, '[]', false, '',"
                " false)"
            )
        )
        home_z = connection.execute(text("SELECT home_z FROM users")).scalar()
        connection.execute(text("DELETE FROM users"))
    return home_z == 1.0


# migrations/env.py (Flask-Migrate's template) still tries db.get_engine() first.
def test_upgrade_downgrade_upgrade_matches_models(backend, tmp_path, keep_logging):
    with _empty_database(backend, tmp_path) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True})
        bind_migrations(app)
        try:
            with app.app_context():
                assert _tables() == set()
                flask_migrate.upgrade()
                model_tables = set(db.metadata.tables)
                assert _tables() == model_tables | {"alembic_version"}

                flask_migrate.downgrade(revision="base")
                assert _tables() <= {"alembic_version"}

                flask_migrate.upgrade()
                assert _tables() == model_tables | {"alembic_version"}
                assert _pending_changes() == []
                assert _home_vector_is_written()
        finally:
            with app.app_context():
                db.engine.dispose()
