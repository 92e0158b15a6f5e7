"""Bearer-token authentication for views."""

from __future__ import annotations

import functools
from collections.abc import Callable
from copy import deepcopy
from typing import Any, TypeVar

from flask import g, request

from grannsamverkan.api.errors import problem
from grannsamverkan.api.openapi import document_problem
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


def auth_required(view: F) -> F:
    """Answer 401 unless the request carries a live access token."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if authenticate() is None:
            return problem(
                401,
                "Sign in: send a valid access token as 'Authorization: Bearer <token>'.",
                headers={"WWW-Authenticate": 'Bearer realm="grannsamverkan"'},
            )
        return view(*args, **kwargs)

    apidoc = deepcopy(getattr(view, "_apidoc", {}))
    apidoc.setdefault("manual_doc", {})["security"] = SECURITY
    wrapper._apidoc = apidoc  # type: ignore[attr-defined]
    return document_problem(wrapper, 401)  # type: ignore[return-value]


def checks_access(view: F) -> F:
    """Marks a view that asks a permission predicate and may answer 403 (put it under
    ``auth_required``); the OpenAPI document then lists the 403 (api/openapi.py)."""
    return document_problem(view, 403)


def current_user() -> User:
    user = g.get("user")
    assert user is not None, "current_user() outside an auth_required view"
    return user
