"""``flask --app grannsamverkan check``: a production-like configuration passes; each kind of
mistake is named in plain words and makes the command exit non-zero."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_migrate
import pytest

from grannsamverkan import create_app
from grannsamverkan.cli import bind_migrations
from grannsamverkan.extensions import db
from tests import test_migrations
from tests.api.test_outages import _closed_port
from tests.notify.smtp_server import start_smtp_server
from tests.notify.test_fcm_sender import _service_account
from tests.test_migrations import _empty_database

# Alembic's env.py reconfigures logging (fileConfig): the fixture puts it back after a test.
keep_logging = test_migrations.keep_logging


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def migrated_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A database migrated to head, once per backend for the module."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    with _empty_database(request.param, tmp_path_factory.mktemp("check")) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True,
                          "GSV_DISPATCHER": "off"})  # fmt: skip
        bind_migrations(app)
        with app.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
        # Alembic's env.py reconfigures logging (fileConfig): put it back.
        root.handlers[:] = handlers
        root.setLevel(level)
        for logger in logging.root.manager.loggerDict.values():
            if isinstance(logger, logging.Logger):
                logger.disabled = False
        yield url


@pytest.fixture(scope="module")
def smtp_port() -> Iterator[int]:
    controller, _ = start_smtp_server()
    yield controller.port
    controller.stop()


@pytest.fixture
def good_config(migrated_url: str, smtp_port: int, tmp_path: Path) -> dict[str, Any]:
    """Everything as production wants it."""
    return {
        "SQLALCHEMY_DATABASE_URI": migrated_url,
        "SECRET_KEY": secrets.token_urlsafe(48),
        "GSV_DISPATCHER": "off",
        "GSV_PUSH_BACKEND": "fcm",
        "GSV_FIREBASE_CREDENTIALS": str(_service_account(tmp_path)),
        "GSV_FIREBASE_PROJECT_ID": "gsv-from-file",
        "GSV_REDIS_URL": "redis://127.0.0.1:6379/0",
        "RATELIMIT_STORAGE_URI": "memory://",
        "GSV_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
        "GSV_MAIL_FROM": "Grannsamverkan <noreply@grannsamverkan.example.se>",
        "GSV_TRUSTED_PROXIES": 1,
        "GSV_PUBLIC_URL": "https://grannsamverkan.example.se",
    }


def run_check(config: dict[str, Any], tmp_path: Path) -> tuple[int, str]:
    app = create_app(config)
    app.instance_path = str(tmp_path / "instance")
    try:
        result = app.test_cli_runner().invoke(args=["check"])
    finally:
        with app.app_context():
            db.engine.dispose()
    return result.exit_code, result.output


def problems(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        if line.startswith("PROBLEM  "):
            name, _, text = line.removeprefix("PROBLEM  ").partition(": ")
            found[name] = text
    return found


def test_a_good_configuration_passes(good_config, tmp_path, monkeypatch):
    monkeypatch.delenv("GSV_SECRET_KEY", raising=False)
    code, output = run_check(good_config, tmp_path)
    assert problems(output) == {}, output
    assert code == 0
    assert "The configuration is ready." in output
    assert output.count("ok       ") == 7


@pytest.mark.parametrize(
    ("change", "name", "words"),
    [
        ({"SECRET_KEY": "short-key"}, "secret key", "9 characters long"),
        ({"SECRET_KEY": "password" * 5}, "secret key", "easy to guess"),
        ({"GSV_PUSH_BACKEND": "log"}, "push (FCM)", "written to the log, not sent"),
        ({"GSV_FIREBASE_CREDENTIALS": None}, "push (FCM)", "GSV_FIREBASE_CREDENTIALS is not set"),
        ({"GSV_FIREBASE_CREDENTIALS": "/nowhere/key.json"}, "push (FCM)", "cannot read"),
        ({"GSV_FIREBASE_PROJECT_ID": "other-project"}, "push (FCM)", "'gsv-from-file'"),
        ({"GSV_REDIS_URL": "redis://127.0.0.1:{closed}/0"}, "Redis", "not reachable"),
        ({"GSV_SMTP_URL": "smtp://127.0.0.1:{closed}"}, "e-mail (SMTP)", "did not answer"),
        ({"GSV_PUBLIC_URL": None}, "public URL", "GSV_PUBLIC_URL is not set"),
        ({"GSV_PUBLIC_URL": "http://gsv.example.se"}, "public URL", "not https"),
        ({"GSV_METRICS_NETWORKS": "10.0.0.0/8,intranet"}, "metrics access", "'intranet'"),
        (
            {"SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://postgres@127.0.0.1:{closed}/x"},
            "database",
            "not reachable",
        ),
    ],
)
def test_each_mistake_is_named(good_config, tmp_path, change, name, words):
    closed = _closed_port()
    for key, value in change.items():
        good_config[key] = value.format(closed=closed) if isinstance(value, str) else value
    code, output = run_check(good_config, tmp_path)
    assert code == 1, output
    found = problems(output)
    assert list(found) == [name], output
    assert words in found[name]
    assert "problem(s): fix them before starting the app." in output


def test_a_credentials_file_that_is_no_service_account(good_config, tmp_path):
    key_file = tmp_path / "key.json"
    key_file.write_text(json.dumps({"type": "authorized_user", "project_id": "gsv-from-file"}))
    good_config["GSV_FIREBASE_CREDENTIALS"] = str(key_file)
    code, output = run_check(good_config, tmp_path)
    assert code == 1
    assert "is not a service-account key file" in problems(output)["push (FCM)"]


def test_a_generated_key_is_not_enough_for_production(good_config, tmp_path, monkeypatch):
    monkeypatch.delenv("GSV_SECRET_KEY", raising=False)
    good_config.pop("SECRET_KEY")  # create_app generates one into the instance folder
    app = create_app(good_config)
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "secret_key").write_text(app.config["SECRET_KEY"])
    app.instance_path = str(instance)
    try:
        result = app.test_cli_runner().invoke(args=["check"])
    finally:
        with app.app_context():
            db.engine.dispose()
    assert result.exit_code == 1
    assert "GSV_SECRET_KEY is not set" in problems(result.output)["secret key"]


def test_a_database_one_migration_behind(good_config, migrated_url, tmp_path, keep_logging):
    app = create_app(good_config)
    bind_migrations(app)
    try:
        with app.app_context():
            flask_migrate.downgrade(revision="-1")
        code, output = run_check(good_config, tmp_path)
        assert code == 1
        assert "run `flask db upgrade`" in problems(output)["database"]
    finally:
        with app.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
