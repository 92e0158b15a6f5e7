"""Helpers the benchmark scripts share: fresh databases, the schema, gunicorn, results.

Each benchmark is one script run as ``.venv/bin/python bench/<name>.py``; these helpers keep
them short. Nothing here is imported by the app.
"""

from __future__ import annotations

import json
import math
import os
import platform
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from importlib import metadata
from pathlib import Path
from typing import Any

import psycopg
import requests

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "bench" / "results"
PG_ADMIN_URL = os.environ.get("GSV_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
BENCH_SECRET = "bench-secret-key"  # noqa: S105 - signs throwaway bench tokens only
# Where the benchmarks put their areas and tips: Storgatan, Vimmerby (as the tests do).
SPOT = (57.6663, 15.8557)


# --- databases --------------------------------------------------------------------------------


@contextmanager
def fresh_database(backend: str = "postgresql", tmp_dir: Path | None = None) -> Iterator[str]:
    """The SQLAlchemy URL of an empty database, dropped afterwards."""
    if backend == "sqlite":
        folder = tmp_dir or Path(tempfile.gettempdir())
        path = folder / f"gsv_bench_{uuid.uuid4().hex[:10]}.db"
        try:
            yield f"sqlite:///{path}"
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    name = f"gsv_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def app_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment for the app's processes: no inherited GSV_*, then ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
    env.update(GSV_DATABASE_URL=database_url, GSV_SECRET_KEY=BENCH_SECRET)
    env.update(settings)
    return env


def flask_cli(env: dict[str, str], *args: str) -> None:
    """Run ``flask --app grannsamverkan ARGS`` as an operator would (e.g. ``db upgrade``)."""
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "grannsamverkan", *args],
        cwd=REPO,
        env=env,
        check=True,
        capture_output=True,
    )


def bench_app(database_url: str) -> Any:
    """An app bound to the database for seeding (no dispatcher, same signing key)."""
    from grannsamverkan import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": BENCH_SECRET,
            "GSV_DISPATCHER": "off",
            "GSV_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def access_tokens(user_ids: Sequence[int]) -> list[str]:
    """Sign-in sessions for these users, inserted in bulk; their access tokens, in order.

    Runs inside an app context; the caller commits.
    """
    from sqlalchemy import insert

    from grannsamverkan.extensions import db
    from grannsamverkan.models import AuthSession
    from grannsamverkan.models.types import utcnow
    from grannsamverkan.services import signing

    now = utcnow()
    ids = [secrets.token_urlsafe(32) for _ in user_ids]
    db.session.execute(
        insert(AuthSession),
        [
            {"id": sid, "user_id": uid, "created_at": now, "expires_at": now + timedelta(days=30)}
            for sid, uid in zip(ids, user_ids, strict=True)
        ],
    )
    return [signing.sign(signing.ACCESS, {"sid": sid}) for sid in ids]


# --- servers ----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def recommended_workers() -> int:
    """gunicorn's documented starting point: (2 x cores) + 1."""
    return 2 * (os.cpu_count() or 1) + 1


@contextmanager
def gunicorn(
    env: dict[str, str],
    *,
    app: str = "grannsamverkan:create_app()",
    workers: int | None = None,
    worker_class: str = "sync",
    threads: int = 1,
    log_path: Path | None = None,
    extra: Sequence[str] = (),
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """(base URL, master process) of ``gunicorn APP`` on a free loopback port."""
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        app,
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers or recommended_workers()),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--backlog",
        "2048",
        *extra,
    ]
    log = open(log_path or os.devnull, "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base, process, log_path)
        wait_for_workers(process.pid, workers or recommended_workers())
        yield base, process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        log.close()


def wait_until_up(base: str, process: subprocess.Popen[bytes], log_path: Path | None) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=5).ok:
                return
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        if process.poll() is not None:
            detail = log_path.read_text() if log_path and log_path.exists() else ""
            raise RuntimeError(f"gunicorn exited with {process.returncode}\n{detail}")
        if time.monotonic() > deadline:
            raise RuntimeError("gunicorn did not answer /healthz within 60 s")
        time.sleep(0.2)


def worker_pids(master_pid: int) -> list[int]:
    """The gunicorn workers: the master's child processes."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return sorted(int(pid) for pid in children)


def wait_for_workers(master_pid: int, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(worker_pids(master_pid)) < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"gunicorn did not start {count} workers")
        time.sleep(0.1)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


# --- figures and results ----------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), interpolated linearly between closest ranks."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """A plain aligned text table on stdout."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    print(
        "  ".join(
            [headers[0].ljust(widths[0])]
            + [h.rjust(w) for h, w in zip(headers[1:], widths[1:], strict=True)]
        )
    )
    print("  ".join("-" * w for w in widths))
    for row in cells:
        first, rest = (
            row[0].ljust(widths[0]),
            [v.rjust(w) for v, w in zip(row[1:], widths[1:], strict=True)],
        )
        print("  ".join([first, *rest]))


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def write_results(name: str, data: dict[str, Any], path: Path | None = None) -> Path:
    """Write ``data`` (with the machine's description) as JSON; returns the path."""
    target = path or RESULTS / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"machine": machine_info(), **data}, indent=2, default=str))
    return target


def machine_info() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kb = int(line.split()[1])
    versions: dict[str, str | None] = {}
    for package in ("flask", "sqlalchemy", "psycopg", "gunicorn", "firebase-admin"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    try:
        with psycopg.connect(PG_ADMIN_URL) as conn:
            versions["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
    except psycopg.Error:
        versions["postgresql"] = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(mem_kb / 1024 / 1024, 1),
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
        "versions": versions,
    }


# --- seeding ------------------------------------------------------------------------------------


def offset_m(origin: tuple[float, float], north_m: float, east_m: float) -> tuple[float, float]:
    """A point north_m / east_m metres from origin (flat-earth, fine within a few km)."""
    lat, lon = origin
    return (
        lat + north_m / 111_320,
        lon + east_m / (111_320 * math.cos(math.radians(lat))),
    )


@dataclass
class Neighbourhood:
    """What seed_neighbourhood made: ids and access tokens to drive the API with."""

    area_id: int
    member_ids: list[int]
    member_tokens: list[str]
    device_tokens: list[str]
    reporter_ids: list[int]
    reporter_tokens: list[str]


def seed_neighbourhood(
    *, members: int, reporters: int, spread_m: float = 300, seed: int = 1
) -> Neighbourhood:
    """One area at SPOT; ``members`` homes within ``spread_m`` of it, each with one phone;
    ``reporters`` more active members without a home or phone (they send the tips, and
    nobody's alert count depends on who reports). Bulk inserts; runs inside an app context
    and commits."""
    from sqlalchemy import insert, select

    from grannsamverkan.extensions import db
    from grannsamverkan.models import Area, Device, Membership, User
    from grannsamverkan.models.types import utcnow
    from grannsamverkan.services.accounts import hash_password

    rng = random.Random(seed)
    now = utcnow()
    tag = uuid.uuid4().hex[:8]
    area = Area(
        name=f"Bench {tag}", municipality_code="0884", center_lat=SPOT[0], center_lon=SPOT[1]
    )
    db.session.add(area)
    db.session.flush()
    password_hash = hash_password("bench-password")  # one hash for all: seeding stays fast
    users = []
    for i in range(members + reporters):
        home: tuple[float | None, float | None] = (None, None)
        if i < members:
            r = spread_m * math.sqrt(rng.random())
            a = rng.uniform(0, 2 * math.pi)
            home = offset_m(SPOT, r * math.cos(a), r * math.sin(a))
        users.append(
            {
                "email": f"{'m' if i < members else 'r'}{i}-{tag}@bench.example.se",
                "password_hash": password_hash,
                "name": f"Bench {i}",
                "role": "resident",
                "locale": "sv",
                "municipality_codes": [],
                "home_lat": home[0],
                "home_lon": home[1],
                "home_protected": False,
                "alert_radius_m": 1000,
                "created_at": now,
            }
        )
    db.session.execute(insert(User), users)
    ids = list(
        db.session.scalars(
            select(User.id).where(User.email.like(f"%-{tag}@bench.example.se")).order_by(User.id)
        )
    )
    member_ids, reporter_ids = ids[:members], ids[members:]
    db.session.execute(
        insert(Membership),
        [
            {
                "area_id": area.id,
                "user_id": uid,
                "role": "member",
                "status": "active",
                "created_at": now,
                "updated_at": now,
            }
            for uid in ids
        ],
    )
    device_tokens = [f"bench-{tag}-{i}-{secrets.token_hex(40)}" for i in range(members)]
    if members:
        db.session.execute(
            insert(Device),
            [
                {
                    "user_id": uid,
                    "token": token,
                    "platform": "android",
                    "created_at": now,
                    "last_seen_at": now,
                }
                for uid, token in zip(member_ids, device_tokens, strict=True)
            ],
        )
    tokens = access_tokens(ids)
    db.session.commit()
    return Neighbourhood(
        area_id=area.id,
        member_ids=member_ids,
        member_tokens=tokens[:members],
        device_tokens=device_tokens,
        reporter_ids=reporter_ids,
        reporter_tokens=tokens[members:],
    )


def create_schema(env: dict[str, str], database_url: str) -> str:
    """Build the schema as an operator does (``flask db upgrade``); says how it was built.

    If the migrations lag behind the models (a migration not written yet), the benchmark
    would only measure 500s, so it falls back to ``create_all`` and says so in its results.
    """
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from grannsamverkan.extensions import db

    flask_cli(env, "db", "upgrade")
    app = bench_app(database_url)
    with app.app_context():
        with db.engine.connect() as conn:
            drift = compare_metadata(MigrationContext.configure(conn), db.metadata)
        if drift:
            print(
                f"WARNING: flask db upgrade leaves {len(drift)} differences from the models "
                "(a migration is missing); rebuilding the schema with create_all",
                file=sys.stderr,
            )
            db.drop_all()
            with db.engine.begin() as conn:
                conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
            db.create_all()
        db.engine.dispose()
    return (
        f"create_all (migrations lag the models by {len(drift)} changes)"
        if drift
        else ("flask db upgrade")
    )
