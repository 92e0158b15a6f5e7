"""schema_version reads the code's head revisions and the database's stamped ones without
Alembic; here both are checked against Alembic's own answers, and the app is checked to
start without Alembic (or the other modules only some processes need) in memory."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from grannsamverkan import create_app, schema_version
from grannsamverkan.extensions import db
from tests.test_migrations import _empty_database, keep_logging  # noqa: F401 - a fixture

# What a serving process (an API or push worker) never needs at start: the migration tool
# and its templates and highlighter (`flask db` only), and the password checker's word lists
# (only where a password is set).
LAZY_MODULES = ("flask_migrate", "alembic", "mako", "pygments", "zxcvbn")


def _alembic_heads(folder: Path) -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", str(folder))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def test_the_head_revisions_are_alembics():
    assert schema_version.head_revisions() == _alembic_heads(schema_version.migrations_directory())


REVISIONS = {
    "a": 'revision = "a"\ndown_revision = None\n',
    "b": 'from typing import Union\nrevision: str = "b"\ndown_revision: Union[str, None] = "a"\n',
    "c": "revision = 'c'\ndown_revision = 'a'\nbranch_labels = None\n",
    "d": '"""Merge."""\nrevision = "d"\ndown_revision = ("b", "c")\ndepends_on = None\n',
    "e": 'import sqlalchemy as sa\nrevision = "e"\ndown_revision = "a"\n',
}


def test_branches_and_merges_give_alembics_heads(tmp_path, monkeypatch):
    (tmp_path / "versions").mkdir()
    for name, source in REVISIONS.items():
        (tmp_path / "versions" / f"2026_12_04_{name}_step.py").write_text(source)
    monkeypatch.setattr(schema_version, "migrations_directory", lambda: tmp_path)
    heads = schema_version.head_revisions.__wrapped__()
    assert heads == {"d", "e"}
    assert heads == _alembic_heads(tmp_path)


def test_the_database_revisions_are_alembics(backend, tmp_path):
    with _empty_database(backend, tmp_path) as url:
        engine = create_engine(url)
        try:
            with engine.begin() as connection:
                alembic = MigrationContext.configure(connection).get_current_heads()
                assert schema_version.database_revisions(connection) == frozenset(alembic) == set()
                connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
                connection.execute(text("INSERT INTO alembic_version VALUES ('b'), ('c')"))
                alembic = MigrationContext.configure(connection).get_current_heads()
                assert schema_version.database_revisions(connection) == frozenset(alembic)
                assert schema_version.database_revisions(connection) == {"b", "c"}
        finally:
            engine.dispose()


def test_the_app_starts_without_the_modules_only_some_processes_need(tmp_path):
    script = textwrap.dedent(f"""
        import json, sys
        from grannsamverkan import create_app
        create_app({{"SQLALCHEMY_DATABASE_URI": "sqlite:///{tmp_path / "app.db"}",
                     "SECRET_KEY": "x", "GSV_DISPATCHER": "off"}})
        print(json.dumps(sorted({{name.partition(".")[0] for name in sys.modules}})))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    loaded = set(json.loads(done.stdout.splitlines()[-1]))
    assert "sqlalchemy" in loaded  # the check sees what the app imported
    assert loaded.isdisjoint(LAZY_MODULES), sorted(loaded & set(LAZY_MODULES))


@pytest.mark.usefixtures("keep_logging")
def test_flask_db_still_runs_alembic(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'db.db'}",
                      "SECRET_KEY": "x", "TESTING": True, "GSV_DISPATCHER": "off"})  # fmt: skip
    runner = app.test_cli_runner()
    assert runner.invoke(args=["db", "heads"]).exit_code == 0
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        connection = db.session.connection()
        assert schema_version.database_revisions(connection) == schema_version.head_revisions()
        assert schema_version.migration_problem(connection) is None
        db.session.remove()
        db.engine.dispose()
