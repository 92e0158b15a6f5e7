"""The one itsdangerous serializer; each purpose has its own salt and a max age."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from itsdangerous import URLSafeTimedSerializer

ACCESS = "access"
INVITE = "invite"
# Password reset links (services/password_reset.py).
PASSWORD_RESET = "password-reset"  # noqa: S105 - a salt's name, not a password
# One-click unsubscribe links in list e-mails (services/unsubscribe.py).
UNSUBSCRIBE = "unsubscribe"
# Page cursors of lists (api/pagination.py): only cursors the API made are accepted.
CURSOR = "cursor"


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"gsv-{purpose}")


def sign(purpose: str, payload: Any) -> str:
    return _serializer(purpose).dumps(payload)


def unsign(purpose: str, token: str, *, max_age: int) -> Any:
    """Raises itsdangerous.BadData when the token is forged, for another purpose or too old."""
    return _serializer(purpose).loads(token, max_age=max_age)


def unsign_dated(purpose: str, token: str, *, max_age: int) -> tuple[Any, datetime]:
    """As ``unsign``, with the time (UTC) the token was signed."""
    payload, signed_at = _serializer(purpose).loads(token, max_age=max_age, return_timestamp=True)
    return payload, signed_at
