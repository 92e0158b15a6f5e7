"""Liveness and readiness for load balancers and orchestrators (docs/deployment.md)."""

from __future__ import annotations

from flask import Blueprint, current_app
from flask.typing import ResponseReturnValue
from redis import Redis
from sqlalchemy import text

from grannsamverkan.api.errors import problem
from grannsamverkan.extensions import db
from grannsamverkan.outages import forget_session
from grannsamverkan.schema_version import migration_problem

blp = Blueprint("health", __name__)

# A readiness probe must answer within the balancer's own time-out (typically 2-5 s).
REDIS_TIMEOUT_S = 1.0


@blp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answers ok when the database is reachable."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db.session.rollback()
        return problem(503, "The database is not reachable.")
    return {"status": "ok"}


@blp.get("/readyz")
def readyz() -> ResponseReturnValue:
    """Ready to serve: the database answers and is migrated to this code's head, and Redis
    answers when configured. 200 with each check "ok", else 503 naming what failed."""
    checks = {"database": _database(), "redis": _redis()}
    ready = all(state in ("ok", "not configured") for state in checks.values())
    body = {"status": "ready" if ready else "not ready", "checks": checks}
    return body, 200 if ready else 503


def _database() -> str:
    try:
        problem_text = migration_problem(db.session.connection())
        db.session.commit()
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        forget_session()
        return "not reachable"
    return "ok" if problem_text is None else "not migrated to this version"


def _redis() -> str:
    url = current_app.config.get("GSV_REDIS_URL")
    if not url:
        return "not configured"
    client = Redis.from_url(url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=1)
    try:
        client.ping()
    except Exception:  # noqa: BLE001 - refused, timed out, wrong password: not ready
        return "not reachable"
    finally:
        client.close()
    return "ok"
