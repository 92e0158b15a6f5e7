"""Keys that flask-limiter counts requests under."""

from __future__ import annotations

from flask import g
from flask_limiter.util import get_remote_address


def rate_limit_key() -> str:
    """Per signed-in user where there is one, else per client address."""
    user = g.get("user")
    return f"user:{user.id}" if user is not None else f"addr:{get_remote_address()}"
