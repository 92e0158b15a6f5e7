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


def _script_directory() -> ScriptDirectory:
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    return ScriptDirectory.from_config(config)


@cache
def head_revisions() -> frozenset[str]:
    """The revisions this running code was written for: read once per process (create_app
    reads them at start), so that a newer release installed beside a running process does
    not change what that process expects."""
    return frozenset(_script_directory().get_heads())


def database_revisions(connection: Connection) -> frozenset[str]:
    """The revisions stamped in the database (none for an empty or never-migrated one)."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def _is_ahead(current: frozenset[str], heads: frozenset[str]) -> bool:
    """Whether the database was migrated past this code's heads, by a newer release whose
    migration files are installed now (read afresh: the process's own are older)."""
    try:
        script = _script_directory()
        below = {
            revision.revision
            for current_revision in current
            for revision in script.iterate_revisions(current_revision, "base")
            if revision is not None
        }
    except Exception:  # noqa: BLE001 - a revision no installed file knows: not ahead
        return False
    return heads <= below


def migration_problem(connection: Connection) -> str | None:
    """None when the database is at the code's head revisions, or past them (a newer
    release migrated it: migrations keep the previous release working, see
    docs/deployment.md "Upgrades"); else what is wrong, in words."""
    current, heads = database_revisions(connection), head_revisions()
    if current == heads or (current and _is_ahead(current, heads)):
        return None
    if not current:
        return "the database has no migrations applied: run `flask db upgrade`"
    return (
        f"the database is at revision {', '.join(sorted(current))}, the code expects "
        f"{', '.join(sorted(heads))}: run `flask db upgrade`"
    )
