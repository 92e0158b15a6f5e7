"""Bearer-token authentication for views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from flask import Response, g, request

from grannsamverkan.api.errors import problem
from grannsamverkan.api.openapi import document_problem
from grannsamverkan.extensions import db
from grannsamverkan.models import AuthSession, User
from grannsamverkan.services import accounts

F = TypeVar("F", bound=Callable[..., Any])

SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}]
SECURITY_SCHEME = {"type": "http", "scheme": "bearer"}


def _bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate() -> AuthSession | None:
    """Resolve the request's bearer token once; stores the user on ``g``."""
    if "auth_session" not in g:
        token = _bearer_token()
        g.auth_session = accounts.session_for_token(token) if token else None
        g.user = g.auth_session.user if g.auth_session else None
    return g.auth_session


def identify() -> accounts.SignedIn | None:
    """Who the request's bearer token names, resolved once: their id and language, no ORM
    objects (current_user() loads the User if a view asks for it after all)."""
    if "signed_in" not in g:
        if "auth_session" in g:
            user = g.user
            g.signed_in = accounts.SignedIn(user.id, user.locale) if user else None
        else:
            token = _bearer_token()
            g.signed_in = accounts.signed_in_for_token(token) if token else None
    return g.signed_in


def auth_required(view: F) -> F:
    """Answer 401 unless the request carries a live access token; current_user() is the
    caller's User."""
    return _requiring(view, authenticate)


def identity_required(view: F) -> F:
    """As auth_required, for a view that needs only the caller's id and language
    (current_identity()): sign-in reads them as one plain row, no ORM objects."""
    return _requiring(view, identify)


def _requiring(view: F, check: Callable[[], Any]) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if check() is None:
            return unauthenticated()
        return view(*args, **kwargs)

    return signs_in_itself(wrapper)  # type: ignore[return-value]


def signs_in_itself(view: F) -> F:
    """Documents ``view`` as auth_required's are (the bearer token, the 401), for a view
    that signs the caller in itself: GET /alerts, whose page statement checks the session
    too (one statement and round trip less after a warning). Such a view answers
    unauthenticated() for a token session_id_of_request() refuses, and before any 422."""
    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    apidoc.setdefault("manual_doc", {})["security"] = SECURITY
    view._apidoc = apidoc  # type: ignore[attr-defined]
    return document_problem(view, 401)


def unauthenticated() -> Response:
    """The 401 of a request without a live access token."""
    return problem(
        401,
        "Sign in: send a valid access token as 'Authorization: Bearer <token>'.",
        headers={"WWW-Authenticate": 'Bearer realm="grannsamverkan"'},
    )


def session_id_of_request() -> str | None:
    """The session the request's bearer token names, if its signature and age are right
    (no statement: whether the session is live is for the view's statement to check)."""
    token = _bearer_token()
    return accounts.session_id_for_token(token) if token else None


def signed_in_as(caller: accounts.SignedIn) -> None:
    """Record who a view that signs in itself found the caller to be (current_identity())."""
    g.signed_in = caller


def checks_access(view: F) -> F:
    """Marks a view that asks a permission predicate and may answer 403 (put it under
    ``auth_required``); the OpenAPI document then lists the 403 (api/openapi.py)."""
    return document_problem(view, 403)


def current_user() -> User:
    user = g.get("user")
    if user is None and g.get("signed_in") is not None:  # under identity_required
        user = g.user = db.session.get(User, g.signed_in.user_id)
    assert user is not None, "current_user() outside an auth_required view"
    return user


def current_identity() -> accounts.SignedIn:
    signed_in = identify() if "signed_in" in g or "auth_session" in g else None
    assert signed_in is not None, "current_identity() outside an identity_required view"
    return signed_in
