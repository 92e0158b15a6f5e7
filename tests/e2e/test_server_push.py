"""End to end: the real server started as a user starts it, the push sink, three stub phones."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import requests

from mobile_client_stub.client import GrannsamverkanClient
from mobile_client_stub.phone import StubPhone
from mobile_client_stub.push_sink import PushSink
from tests.conftest import BACKENDS, PG_ADMIN_URL
from tests.tips.conftest import SPOT, offset

REPO = Path(__file__).resolve().parents[2]
POLICE = ("polis@example.se", "polis-password-1")
# werkzeug's start-up line, with the port it bound.
SERVING_AT = re.compile(r"Running on (http://127\.0\.0\.1:\d+)")


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database that only the server's own ``db upgrade`` fills."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    name = f"gsv_e2e_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    yield f"{base}/{name}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def served_at(
    process: subprocess.Popen[bytes], log_path: Path, started: re.Pattern[str], *, timeout_s: float
) -> str:
    """The base URL of a server ``process`` started on port 0, once it answers /healthz: the
    one its start-up line in ``log_path`` names (``started``'s group 1). A port picked in
    advance could be taken by another test's server first, which would then answer this
    test (a login refused: no such account there)."""
    deadline = time.monotonic() + timeout_s
    while not (line := started.search(log_path.read_text())):
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.1)
    base = line.group(1)
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=5).ok:
                return base
        except requests.RequestException:
            pass
        assert process.poll() is None, log_path.read_text()
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flask(env: dict[str, str], *args: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "grannsamverkan", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def server(fresh_database_url: str, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(API base URL, push sink URL) of a server started with ``flask run``."""
    with PushSink() as sink:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
        env.update(
            GSV_DATABASE_URL=fresh_database_url,
            GSV_SECRET_KEY="e2e-secret",
            GSV_PUSH_BACKEND="fcm",
            GSV_FCM_ENDPOINT=sink.base_url,
            GSV_FIREBASE_PROJECT_ID="gsv-e2e",
            PYTHONWARNINGS="ignore::DeprecationWarning",
        )
        flask(env, "db", "upgrade")
        flask(env, "users", "create", "--email", POLICE[0], "--password", POLICE[1],
              "--name", "Områdespolis", "--role", "police", "--municipality", "0884")  # fmt: skip
        log_path = tmp_path / "server.log"
        log = log_path.open("wb")
        # Port 0: the server binds a free port itself and says which (served_at).
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "grannsamverkan", "run", "--port", "0"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            # A loaded machine starts slowly.
            yield served_at(process, log_path, SERVING_AT, timeout_s=90), sink.base_url
        finally:
            process.terminate()
            process.wait(10)
            log.close()


def phone_at(base: str, sink_url: str, police: GrannsamverkanClient, area_id: int, n: int,
             home: tuple[float, float]) -> StubPhone:  # fmt: skip
    phone = StubPhone.connect(base, sink_url)
    email = f"phone{n}@example.se"
    user = phone.register(email=email, password="phone-password", name=f"Phone {n}")
    phone.login(email, "phone-password")
    phone.set_home(lat=home[0], lon=home[1])
    phone.request_to_join(area_id)
    police.set_member(area_id, user["id"], "active")
    phone.register_for_push()
    return phone


def test_tip_reaches_the_neighbours_phone_only(server):
    base, sink_url = server
    police = GrannsamverkanClient(base)
    police.login(*POLICE)
    area = police.create_area("Centrum – Storgatan", "0884", SPOT)
    reporter = phone_at(base, sink_url, police, area["id"], 1, SPOT)
    neighbour = phone_at(base, sink_url, police, area["id"], 2, offset(SPOT, 300))
    far = phone_at(base, sink_url, police, area["id"], 3, offset(SPOT, 4000))

    answer = reporter.send_tip("burglary", "Två personer bär ut en tv genom ett fönster.",
                               lat=SPOT[0], lon=SPOT[1])  # fmt: skip
    assert "112" in answer["guidance"]
    alert_id = answer["alert"]["id"]

    push = neighbour.wait_for_push(alert_id, timeout=15)
    assert push["data"]["kind"] == "tip"
    assert push["data"]["status"] == "active"
    assert [a["id"] for a in neighbour.alerts()["items"]] == [alert_id]
    time.sleep(1.0)  # give a wrong push time to arrive before checking none did
    assert far.tray() == []
    assert reporter.tray() == []
    assert len(neighbour.notifications_for(alert_id)) == 1
