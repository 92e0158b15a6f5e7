"""Backups as docs/deployment.md "Backups" tells them: PostgreSQL with ``pg_dump`` in the
custom format restored with ``pg_restore`` into an empty database, SQLite with the
``sqlite3`` shell's ``.backup``; the app started on the restored copy is ready and serves
the same tips to the same signed-in police (sessions are in the database too)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from grannsamverkan import create_app
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Membership
from grannsamverkan.services import accounts
from tests.conftest import PASSWORD, PG_ADMIN_URL
from tests.e2e.test_server_push import REPO
from tests.tips.conftest import SPOT, offset

SECRET_KEY = "backup-test-secret-key-0123456789abcdef"


def _pg_url(name: str, driver: str = "") -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    return f"{base.replace('postgresql://', f'postgresql{driver}://')}/{name}"


@pytest.fixture
def databases(backend: str, tmp_path: Path) -> Iterator[tuple[str, str, str]]:
    """(backend, source URL, restored URL): two databases of their own, dropped after."""
    if backend == "sqlite":
        yield backend, f"sqlite:///{tmp_path / 'live.db'}", f"sqlite:///{tmp_path / 'restored.db'}"
        return
    names = [f"gsv_backup_{uuid.uuid4().hex[:10]}", f"gsv_restored_{uuid.uuid4().hex[:10]}"]
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{names[0]}"')
    try:
        yield backend, _pg_url(names[0], "+psycopg"), _pg_url(names[1], "+psycopg")
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _flask(url: str, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
    env.update(GSV_DATABASE_URL=url, GSV_SECRET_KEY=SECRET_KEY)
    command = [sys.executable, "-m", "flask", "--app", "grannsamverkan", *args]
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def _app(url: str) -> Any:
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET_KEY,
                       "GSV_DISPATCHER": "off", "RATELIMIT_STORAGE_URI": "memory://"})  # fmt: skip


def _fill(app: Any) -> str:
    """An area, a member who files three tips, and police; returns the police's token."""
    with app.app_context():
        area = Area(name="Storgatan", municipality_code="0884", center_lat=SPOT[0],
                    center_lon=SPOT[1])  # fmt: skip
        member = accounts.create_user(email="m@example.se", password=PASSWORD, name="M")
        accounts.set_home(member, lat=SPOT[0], lon=SPOT[1], address="Storgatan 1")
        accounts.create_user(email="p@example.se", password=PASSWORD, name="P", role="police",
                             municipality_codes=["0884"])  # fmt: skip
        db.session.add_all([area, Membership(area=area, user=member, status="active")])
        db.session.commit()
        member_token, _ = accounts.sign_in(email="m@example.se", password=PASSWORD)
        police_token, _ = accounts.sign_in(email="p@example.se", password=PASSWORD)
        db.session.commit()
    client = app.test_client()
    for n, category in enumerate(("burglary", "vandalism", "traffic")):
        at = offset(SPOT, 100 + 100 * n)
        body = {"category": category, "description": f"Tips nummer {n}",
                "location": {"lat": at[0], "lon": at[1]}}  # fmt: skip
        if category == "traffic":
            body["traffic_kind"] = "speeding"
        answer = client.post("/api/v1/tips", json=body,
                             headers={"Authorization": f"Bearer {member_token}"})  # fmt: skip
        assert answer.status_code == 201, answer.get_data(as_text=True)
    return police_token


def _served_tips(app: Any, token: str) -> list[dict[str, Any]]:
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    answer = client.get("/api/v1/tips?limit=200", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["items"]


def _back_up_and_restore(backend: str, source: str, restored: str, tmp_path: Path) -> None:
    """The commands of docs/deployment.md "Backups", as an operator runs them."""
    if backend == "sqlite":
        backup = tmp_path / "gsv-backup.db"
        live, copy = source.removeprefix("sqlite:///"), restored.removeprefix("sqlite:///")
        subprocess.run(["sqlite3", live, f".backup '{backup}'"], check=True)
        subprocess.run(["cp", str(backup), copy], check=True)
        return
    dump = tmp_path / "gsv.dump"
    libpq_source = source.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_dump", "--format=custom", f"--file={dump}", libpq_source], check=True)
    name = restored.rsplit("/", 1)[1]
    admin = PG_ADMIN_URL.rsplit("/", 1)[0] + "/postgres"
    subprocess.run(["createdb", f"--maintenance-db={admin}", "--template=template0", name],
                   check=True)  # fmt: skip
    libpq_restored = restored.replace("postgresql+psycopg://", "postgresql://")
    subprocess.run(["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={libpq_restored}",
                    str(dump)], check=True)  # fmt: skip


def test_a_backup_restored_serves_the_same_tips(databases, tmp_path):
    backend, source, restored = databases
    _flask(source, "db", "upgrade")
    live = _app(source)
    token = _fill(live)
    before = _served_tips(live, token)
    assert len(before) == 3
    _back_up_and_restore(backend, source, restored, tmp_path)
    with live.app_context():
        db.engine.dispose()

    copy = _app(restored)
    try:
        assert _served_tips(copy, token) == before
        # The restored copy takes new tips: its sequences were restored with the rows.
        _fill_one_more(copy)
    finally:
        with copy.app_context():
            db.engine.dispose()


def _fill_one_more(app: Any) -> None:
    with app.app_context():
        token, _ = accounts.sign_in(email="m@example.se", password=PASSWORD)
        db.session.commit()
    body = {"category": "burglary", "description": "Efter återläsningen",
            "location": {"lat": SPOT[0], "lon": SPOT[1]}}  # fmt: skip
    answer = app.test_client().post(
        "/api/v1/tips", json=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert answer.get_json()["id"] == 4
