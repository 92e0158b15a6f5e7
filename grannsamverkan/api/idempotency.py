"""Idempotency-Key handling at the request boundary: a retried POST gets the first response
and creates nothing new. It commits, as the request boundary does."""

from __future__ import annotations

import hashlib
import json as stdlib_json
from collections.abc import Callable
from typing import Any

from flask import Response as FlaskResponse
from flask import request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from grannsamverkan.api.responses import json_response
from grannsamverkan.errors import N_, Conflict, Invalid
from grannsamverkan.extensions import db
from grannsamverkan.models import IdempotencyKey, User

Response = tuple[dict[str, Any], int]


def request_fingerprint(body: Any) -> str:
    canonical = stdlib_json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(row: IdempotencyKey, fingerprint: str) -> Response:
    if row.request_hash != fingerprint:
        raise Invalid("Idempotency-Key", "This key was used with a different request body.")
    if row.response_status is None:
        raise Conflict("A request with this Idempotency-Key is still being processed.")
    return row.response_body or {}, row.response_status


def _find(user: User, scope: str, key: str) -> IdempotencyKey | None:
    return db.session.scalar(
        select(IdempotencyKey).where(
            IdempotencyKey.user_id == user.id,
            IdempotencyKey.scope == scope,
            IdempotencyKey.key == key,
        )
    )


def has_stored_response(*, user: User, scope: str, key: str, body: Any) -> bool:
    """Would this request be answered from a stored first response (a retry)?"""
    row = _find(user, scope, key)
    return (
        row is not None
        and row.response_status is not None
        and row.request_hash == request_fingerprint(body)
    )


def run_once(
    *, user: User, scope: str, key: str, body: Any, action: Callable[[], Response]
) -> tuple[Response, bool]:
    """Run ``action`` once per (user, scope, key) and commit; replay its response after.

    Returns (response, replayed). The key row is inserted before the work, in the same
    transaction: a concurrent twin blocks on the unique key (PostgreSQL) or on the write
    lock (SQLite) until this one commits, then finds the stored response.
    """
    user_id = user.id
    fingerprint = request_fingerprint(body)
    existing = _find(user, scope, key)
    if existing is not None:
        return _replay(existing, fingerprint), True
    row = IdempotencyKey(user_id=user_id, scope=scope, key=key, request_hash=fingerprint)
    db.session.add(row)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        user = db.session.get(User, user_id)  # type: ignore[assignment]
        winner = _find(user, scope, key)
        if winner is None:  # pragma: no cover - the twin rolled back; let the client retry
            raise Conflict("A request with this Idempotency-Key failed; retry it.") from None
        return _replay(winner, fingerprint), True
    response_body, status = action()
    row.response_body, row.response_status = response_body, status
    db.session.commit()
    return (response_body, status), False


HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200
# For @blp.doc(parameters=...) on every route that honours the header.
HEADER_DOC = {
    "in": "header",
    "name": HEADER,
    "schema": {"type": "string", "maxLength": MAX_KEY_LENGTH},
    "description": "Retries with the same key and body return the first response.",
}


def _key() -> str | None:
    key = request.headers.get(HEADER)
    if key and len(key) > MAX_KEY_LENGTH:
        too_long = N_("At most %(count)s characters.") % {"count": MAX_KEY_LENGTH}
        raise Invalid(HEADER, too_long)
    return key or None


def is_retry(*, user: User | None, scope: str) -> bool:
    """Will this request be answered from a stored first response (creating nothing)?"""
    key = request.headers.get(HEADER)
    if not key or len(key) > MAX_KEY_LENGTH or user is None:
        return False
    return has_stored_response(user=user, scope=scope, key=key, body=request.get_json(silent=True))


def respond_once(*, user: User, scope: str, action: Callable[[], Response]) -> FlaskResponse:
    """Run a creating POST once per Idempotency-Key (or plainly, without one) and commit."""
    key = _key()
    if key is None:
        body, status = action()
        db.session.commit()
    else:
        (body, status), _ = run_once(
            user=user, scope=scope, key=key, body=request.get_json(silent=True), action=action
        )
    return json_response(body, status)
