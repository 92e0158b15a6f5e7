"""Is the database's schema the one this code expects? Alembic's head revisions (from the
migrations folder) against the revisions stamped in the database's ``alembic_version``.
Used by ``/readyz`` and ``flask check``; imports nothing from the application."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

PACKAGE = Path(__file__).parent


def migrations_directory() -> Path:
    """Alembic's folder: inside the package when installed from a wheel (setup.py maps it
    there), the top-level ``migrations/`` beside the package in a source checkout."""
    installed = PACKAGE / "migrations"
    return installed if (installed / "env.py").is_file() else PACKAGE.parent / "migrations"


@cache
def head_revisions() -> frozenset[str]:
    """The revisions ``flask db upgrade`` leads to (read once per process: the files do not
    change under a running process)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def database_revisions(connection: Connection) -> frozenset[str]:
    """The revisions stamped in the database (none for an empty or never-migrated one)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def migration_problem(connection: Connection) -> str | None:
    """None when the database is at the code's head revisions, else what is wrong, in words."""
    current, heads = database_revisions(connection), head_revisions()
    if current == heads:
        return None
    if not current:
        return "the database has no migrations applied: run `flask db upgrade`"
    return (
        f"the database is at revision {', '.join(sorted(current))}, the code expects "
        f"{', '.join(sorted(heads))}: run `flask db upgrade`"
    )
