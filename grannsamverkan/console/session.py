"""Browser sessions: a signed cookie naming a server-side session row, separate from the
API's bearer tokens, and who may use the console at all."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue

from grannsamverkan.extensions import csrf
from grannsamverkan.models import AuthSession, User
from grannsamverkan.models.user import LOCALES
from grannsamverkan.services import accounts, permissions

F = TypeVar("F", bound=Callable[..., Any])

SESSION_ID = "sid"


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure on https requests even without GSV_PUBLIC_URL."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(super().get_cookie_secure(app)) or request.is_secure


def public(view: F) -> F:
    """Let signed-out visitors open this console view (sign-in, the API documentation)."""
    view.console_public = True  # type: ignore[attr-defined]
    return view


def without_csrf(view: F) -> F:
    """A public POST that a signed token in its URL authorises, and that comes from outside
    the console (a mail client's one-click unsubscribe): no form token to check."""
    view.console_without_csrf = True  # type: ignore[attr-defined]
    return view


def start_session(user: User) -> None:
    """Open a session row for ``user`` and put its id in a fresh cookie (new CSRF secret)."""
    auth_session = accounts.open_session(user)
    session.clear()
    session[SESSION_ID] = auth_session.id
    session.permanent = True
    g.console_session, g.console_user = auth_session, user


def end_session() -> None:
    """Revoke the session row (as the API's logout does) and forget the cookie."""
    if g.get("console_session") is not None:
        accounts.sign_out(g.console_session)
    session.clear()
    g.console_session = g.console_user = None


def console_user() -> User:
    user = g.get("console_user")
    assert user is not None, "console_user() in a view that is public"
    return user


def _live_session() -> AuthSession | None:
    session_id = session.get(SESSION_ID)
    return accounts.live_session(session_id) if isinstance(session_id, str) else None


def load_console_user() -> ResponseReturnValue | None:
    """Before every console request: who is signed in; send others to the sign-in page."""
    g.console_session = _live_session()
    g.console_user = g.console_session.user if g.console_session else None
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "console_public", False):
        return None
    if g.console_user is None:
        if request.headers.get("HX-Request"):
            # A live fragment after the session ended: htmx loads the whole sign-in page, which
            # leads back to the page the fragment was part of (only its path is taken).
            page = urlsplit(request.headers.get("HX-Current-URL", ""))
            back = page.path + (f"?{page.query}" if page.query else "")
            target = url_for("console.auth.sign_in_form", next=_safe_next(back))
            return Response(status=204, headers={"HX-Redirect": target})
        return redirect(url_for("console.auth.sign_in_form", next=_safe_next(request.full_path)))
    if not permissions.uses_console(g.console_user):
        return app_only_page()
    return None


def app_only_page() -> tuple[str, int]:
    """For residents: the console is not for them; the phone app is."""
    signed_in = g.get("console_session") is not None
    return render_template("console/auth/app_only.html", signed_in=signed_in), 403


def protect_forms() -> None:
    """CSRF check on every console POST (the JSON API is not affected: it has no cookies)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "console_without_csrf", False):
        return
    csrf.protect()


def _safe_next(path: str | None) -> str | None:
    """A same-site path to return to after signing in; never another host."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return None
    parts = urlsplit(path)
    if parts.scheme or parts.netloc or "\\" in path:
        return None
    return path.rstrip("?") if path != "/" else None


def after_sign_in_url(requested: str | None) -> str:
    return _safe_next(requested) or url_for("console.today.index")


def select_locale() -> str:
    """The signed-in person's language; else the browser's preference; Swedish first."""
    if not has_request_context():
        return "sv"
    user = g.get("console_user")
    if user is not None and user.locale in LOCALES:
        return str(user.locale)
    return request.accept_languages.best_match(LOCALES) or "sv"
