"""Rate limits: the keys flask-limiter counts requests under, and the sign-in limits that
every sign-in form (the API's login and register, the console's sign-in page) shares."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar, cast

from flask import Flask, current_app, g, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from grannsamverkan.api.openapi import document_problem
from grannsamverkan.services.accounts import normalise_email

F = TypeVar("F", bound=Callable[..., Any])

# One budget for all sign-in forms: trying passwords on the console does not add to the
# tries left on the API, and the other way round.
SIGN_IN_ACCOUNT_SCOPE = "sign-in:account"
SIGN_IN_ADDRESS_SCOPE = "sign-in:address"
# Invitations e-mailed to addresses their maker types (the API's and the console's share it):
# a contact person's account must not become a way to mail strangers in bulk.
INVITATION_EMAIL_SCOPE = "invitation-email"


def rate_limit_key() -> str:
    """Per signed-in user where there is one (api.auth puts them on ``g``: the User, or
    under identity_required who they are), else per client address."""
    user = g.get("user")
    if user is not None:
        return f"user:{user.id}"
    signed_in = g.get("signed_in")
    return f"user:{signed_in.user_id}" if signed_in is not None else client_address_key()


# Views limit with @rate_limited(...); the storage and defaults come from the app config.
limiter = Limiter(key_func=rate_limit_key)


def init_app(app: Flask) -> None:
    limiter.init_app(app)


def client_address_key() -> str:
    """The client's address: the peer's, or with GSV_TRUSTED_PROXIES set the one the
    trusted proxies put in X-Forwarded-For (ProxyFix, see create_app)."""
    return f"addr:{get_remote_address()}"


def _posted_email() -> str:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else request.form.get("email")
    return email if isinstance(email, str) else ""


def sign_in_account_key() -> str:
    """The account a sign-in names: its normalised e-mail, hashed so that the limiter's
    storage (Redis) holds no e-mail addresses. Bodies without one share one key."""
    digest = hashlib.sha256(normalise_email(_posted_email()).encode()).hexdigest()
    return f"account:{digest[:32]}"


def _account_limit() -> str:
    return current_app.config["GSV_LOGIN_LIMIT"]


def _address_limit() -> str:
    return current_app.config["GSV_LOGIN_ADDRESS_LIMIT"]


def sign_in_limits(view: F) -> F:
    """Limit a sign-in view's POSTs per account (GSV_LOGIN_LIMIT) and per client address
    (GSV_LOGIN_ADDRESS_LIMIT). Every try counts, right or wrong, so that parallel guesses
    cannot slip through before the wrong ones are counted."""
    for limit, scope, key in (
        (_account_limit, SIGN_IN_ACCOUNT_SCOPE, sign_in_account_key),
        (_address_limit, SIGN_IN_ADDRESS_SCOPE, client_address_key),
    ):
        limited = limiter.shared_limit(limit, scope=scope, key_func=key, methods=["POST"])(view)
        # flask-limiter types its decorator as returning Callable[..., R]: the view's own
        # signature is kept at run time (functools.wraps), so F stays true.
        view = cast(F, limited)
    return document_problem(view, 429)


def _inviter_key() -> str:
    """The signed-in maker, on the API (``g.user``) or the console (``g.console_user``)."""
    user = g.get("user") or g.get("console_user")
    return f"user:{user.id}" if user is not None else client_address_key()


def _mails_no_invitation() -> bool:
    body = request.get_json(silent=True)
    email = body.get("email") if isinstance(body, dict) else request.form.get("invite_email")
    return not email


def _invitation_email_limit() -> str:
    return current_app.config["GSV_INVITATION_EMAIL_LIMIT"]


def invitation_email_limits(view: F) -> F:
    """Limit the invitations a person e-mails (GSV_INVITATION_EMAIL_LIMIT), on the API and
    the console together; invitations without an e-mail are not counted."""
    limited = limiter.shared_limit(
        _invitation_email_limit,
        scope=INVITATION_EMAIL_SCOPE,
        key_func=_inviter_key,
        methods=["POST"],
        exempt_when=_mails_no_invitation,
    )(view)
    return document_problem(cast(F, limited), 429)


def rate_limited(limit: Callable[[], str], **options: Any) -> Callable[[F], F]:
    """``limiter.limit(limit, **options)``, with the 429 in the OpenAPI document."""

    def decorate(view: F) -> F:
        return document_problem(cast(F, limiter.limit(limit, **options)(view)), 429)

    return decorate
