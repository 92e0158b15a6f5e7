"""Password reset by e-mail: a signed link valid an hour, good for one reset only.

The token names the account and a fingerprint of its current password hash: once the
password changes (by this reset or otherwise) every earlier link stops working. Asking for a
reset answers the same whether or not the address has an account, and does the same work.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any
from urllib.parse import urlencode

from flask import current_app
from itsdangerous import BadData
from sqlalchemy import update

from grannsamverkan.config import public_base_url
from grannsamverkan.errors import N_, InvalidLink
from grannsamverkan.extensions import db
from grannsamverkan.models import AuthSession, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import signing
from grannsamverkan.services.accounts import find_user_by_email, hash_password
from grannsamverkan.services.emails import queue_email
from grannsamverkan.services.passwords import check_password_strength

RESET_LINK_INVALID = N_(
    "This password reset link is invalid, has expired or was already used. Ask for a new one."
)
# Where the link in the e-mail leads: the console's form (console/password_reset.py).
RESET_PATH = "/password-reset"

SUBJECT = {"sv": "Återställ ditt lösenord", "en": "Reset your password"}
BODY = {
    "sv": (
        "Hej {name}!\n\n"
        "Någon, förhoppningsvis du, har bett om att få återställa lösenordet till ditt konto "
        "i Grannsamverkan. Öppna länken inom en timme för att välja ett nytt lösenord:\n\n"
        "{link}\n\n"
        "Länken fungerar en gång. Har du inte bett om detta kan du bortse från meddelandet; "
        "ditt lösenord är oförändrat.\n"
    ),
    "en": (
        "Hello {name},\n\n"
        "Someone, hopefully you, asked to reset the password of your Grannsamverkan account. "
        "Open the link within an hour to choose a new password:\n\n"
        "{link}\n\n"
        "The link works once. If you did not ask for this, ignore this message; your "
        "password is unchanged.\n"
    ),
}


def _fingerprint(password_hash: str) -> str:
    """Binds a token to the password it may replace, without putting the hash in the link."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, password_hash.encode(), hashlib.sha256).hexdigest()[:32]


def reset_link(token: str) -> str:
    base = public_base_url(current_app.config.get("GSV_PUBLIC_URL"))
    return f"{base}{RESET_PATH}?{urlencode({'token': token})}"


def request_reset(email: str) -> None:
    """Queue a reset e-mail if an account has this address; otherwise nothing is sent."""
    user = find_user_by_email(email)
    if user is not None and (user.password_hash is None or user.email is None):
        user = None  # a household registered by a contact person has no password to reset
    # The token is made either way, so both paths do the same work before the insert.
    subject_hash = user.password_hash if user is not None and user.password_hash else email
    token = signing.sign(
        signing.PASSWORD_RESET,
        {"uid": user.id if user is not None else 0, "pw": _fingerprint(subject_hash)},
    )
    if user is None:
        return
    locale = user.locale if user.locale in SUBJECT else "sv"
    queue_email(
        to=email if user.email is None else user.email,
        subject=SUBJECT[locale],
        body=BODY[locale].format(name=user.name, link=reset_link(token)),
        purpose="password-reset",
        locale=locale,
    )


def user_for_token(token: str) -> User:
    """The account a reset token is for, while it works; else InvalidLink (400)."""
    try:
        payload: Any = signing.unsign(
            signing.PASSWORD_RESET,
            token,
            max_age=current_app.config["GSV_PASSWORD_RESET_MAX_AGE"],
        )
    except BadData:
        raise InvalidLink(RESET_LINK_INVALID) from None
    if not isinstance(payload, dict) or not isinstance(payload.get("uid"), int):
        raise InvalidLink(RESET_LINK_INVALID)
    user = db.session.get(User, payload["uid"])
    if (
        user is None
        or user.password_hash is None
        or not hmac.compare_digest(str(payload.get("pw")), _fingerprint(user.password_hash))
    ):
        raise InvalidLink(RESET_LINK_INVALID)
    return user


def confirm_reset(token: str, password: str) -> User:
    """Set the new password and revoke every session of the account."""
    user = user_for_token(token)
    check_password_strength(password, email=user.email or "", name=user.name)
    user.password_hash = hash_password(password)
    db.session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user.id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()
    return user
