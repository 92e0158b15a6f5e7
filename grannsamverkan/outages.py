"""The database or Redis not answering: what such an outage raises, and how long a client
is asked to wait. The API answers 503 problem+json with Retry-After (api/errors.py), the
console a 503 page (console/errors.py): never a 500 (README "Outages")."""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from grannsamverkan.extensions import db

# A connection refused or lost, the pool exhausted, a time-out.
OUTAGES: tuple[type[Exception], ...] = (
    OperationalError,
    DisconnectionError,
    PoolTimeoutError,
    RedisConnectionError,
    RedisTimeoutError,
)
RETRY_AFTER_S = 30


def forget_session() -> None:
    """Drop the request's session; with the database gone its rollback may fail too."""
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - nothing more to undo on a dead connection
        db.session.close()
