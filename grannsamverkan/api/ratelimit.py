"""Rate limits of the API: the limiter and the key it counts requests under."""

from __future__ import annotations

from flask import Flask, current_app, g
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address


def rate_limit_key() -> str:
    """Per signed-in user where there is one (api.auth puts them on ``g``), else per client
    address."""
    user = g.get("user")
    return f"user:{user.id}" if user is not None else f"addr:{get_remote_address()}"


# Views limit with @limiter.limit(...); the storage and defaults come from the app config.
limiter = Limiter(key_func=rate_limit_key)


def _sign_in_limit() -> str:
    return current_app.config["GSV_LOGIN_LIMIT"]


# One budget per client for password checks, shared by the API's login and the console's
# sign-in, so a second door does not double the guesses an attacker gets.
sign_in_limit = limiter.shared_limit(_sign_in_limit, scope="sign-in")


def init_app(app: Flask) -> None:
    limiter.init_app(app)
