"""Where an e-mail's unsubscribe link leads (services/unsubscribe.py, RFC 8058).

The same address answers both ways. A POST unsubscribes without signing in: a mail client's
one-click button (body ``List-Unsubscribe=One-Click``) or the button on this page; a bad or
too old link is refused with a problem (400), or an error page for a browser. A GET only
shows the page with that button: mail scanners open links, and must not unsubscribe anyone.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import force_locale

from grannsamverkan.api.errors import problem
from grannsamverkan.api.problem_texts import translate
from grannsamverkan.console import session
from grannsamverkan.console.errors import error_page
from grannsamverkan.errors import InvalidLink
from grannsamverkan.extensions import db
from grannsamverkan.services import unsubscribe as unsubscribe_service

bp = Blueprint("unsubscribe", __name__)


@bp.get("/unsubscribe/<token>")
@session.public
def confirm(token: str) -> Any:
    """The page with the button that unsubscribes (a GET changes nothing)."""
    try:
        subscription = unsubscribe_service.subscription_for_token(token)
    except InvalidLink as error:
        return error_page(400, translate(error.detail))
    with force_locale(subscription.user.locale):
        return render_template(
            "console/unsubscribe/confirm.html",
            token=token,
            list_name=subscription.list_name,
            subscribed=subscription.subscribed,
        )


@bp.post("/unsubscribe/<token>")
@session.public
@session.without_csrf
def one_click(token: str) -> Any:
    """Unsubscribe (RFC 8058 one-click, or the page's button); no sign-in."""
    try:
        subscription = unsubscribe_service.unsubscribe(token)
    except InvalidLink as error:
        db.session.rollback()
        if _from_a_browser():
            return error_page(400, translate(error.detail))
        return problem(400, error.detail, kind=error.problem)
    db.session.commit()
    if not _from_a_browser():
        return "", 204
    with force_locale(subscription.user.locale):
        return render_template("console/unsubscribe/done.html", list_name=subscription.list_name)


def _from_a_browser() -> bool:
    """The page's own button asks for a page back; a mail client's POST for no body."""
    return request.form.get("from") == "page"
