"""Is the database's schema the one this code expects? Alembic's head revisions (from the
migrations folder) against the revisions stamped in the database's ``alembic_version``.
Used by ``/readyz`` and ``flask check``; imports nothing from the application.

Alembic itself is imported only when the database differs from the code: with it come Mako
and Pygments, ~11 MiB resident in every API and push worker that never migrates. The usual
case reads the revision files' two assignments and the ``alembic_version`` table directly;
tests/test_schema_version.py checks that both agree with Alembic."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

PACKAGE = Path(__file__).parent
VERSION_TABLE = "alembic_version"  # Alembic's default; migrations/env.py keeps it


def migrations_directory() -> Path:
    """Alembic's folder: inside the package when installed from a wheel (setup.py maps it
    there), the top-level ``migrations/`` beside the package in a source checkout."""
    installed = PACKAGE / "migrations"
    return installed if (installed / "env.py").is_file() else PACKAGE.parent / "migrations"


def _script_directory() -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    return ScriptDirectory.from_config(config)


@cache
def head_revisions() -> frozenset[str]:
    """The revisions this running code was written for: read once per process (create_app
    reads them at start), so that a newer release installed beside a running process does
    not change what that process expects. A head is a revision no other one revises."""
    revisions: set[str] = set()
    revised: set[str] = set()
    for path in (migrations_directory() / "versions").glob("*.py"):
        assigned = _revision_assignments(path)
        revisions.add(assigned["revision"])
        down = assigned.get("down_revision")
        revised.update([down] if isinstance(down, str) else down or ())
    return frozenset(revisions - revised)


def _revision_assignments(path: Path) -> dict[str, Any]:
    """``revision`` and ``down_revision`` of a revision file: the literals assigned to them at
    module level (with or without a type annotation), read without running the file."""
    assigned: dict[str, Any] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            assigned[target.id] = ast.literal_eval(value)
    return assigned


def database_revisions(connection: Connection) -> frozenset[str]:
    """The revisions stamped in the database (none for an empty or never-migrated one)."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return frozenset()
    return frozenset(connection.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())  # noqa: S608 - a constant


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
