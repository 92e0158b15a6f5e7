"""Liveness for load balancers."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue
from sqlalchemy import text

from grannsamverkan.api.errors import problem
from grannsamverkan.extensions import db

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz() -> ResponseReturnValue:
    """Answers ok when the database is reachable."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001 - any failure means "not healthy"
        db.session.rollback()
        return problem(503, "The database is not reachable.")
    return {"status": "ok"}
