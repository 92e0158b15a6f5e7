"""Errors on console pages answer as HTML pages (the API keeps its problem+json)."""

from __future__ import annotations

import logging

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from grannsamverkan.errors import DomainError
from grannsamverkan.extensions import db
from grannsamverkan.failure_log import log_failure
from grannsamverkan.outages import OUTAGES, RETRY_AFTER_S, forget_session

log = logging.getLogger(__name__)


def error_page(status: int, message: str) -> tuple[str, int]:
    titles = {
        400: _("The request could not be handled"),
        403: _("You may not do this"),
        404: _("Page not found"),
        409: _("This has already changed"),
        429: _("Too many attempts"),
    }
    title = titles.get(status, _("Something went wrong"))
    return render_template("console/errors.html", title=title, message=message), status


def _csrf_error(error: CSRFError) -> tuple[str, int]:
    return error_page(
        400, _("The form had expired or did not come from this site. Go back and try again.")
    )


def _domain_error(error: DomainError) -> tuple[str, int]:
    db.session.rollback()
    if error.status == 404:
        return error_page(404, _("There is no such page, or you may not see it."))
    return error_page(error.status, error.detail)


def _http_error(error: HTTPException) -> tuple[str, int]:
    status = error.code or 500
    if status >= 500:
        # An unhandled exception was logged by the app (failure_log.App.log_exception).
        return error_page(500, _("Please try again in a moment."))
    messages = {
        404: _("There is no such page, or you may not see it."),
        429: _("Wait a minute before you try again."),
    }
    return error_page(status, str(messages.get(status, error.description or "")))


def _outage(error: Exception) -> tuple[str, int, dict[str, str]]:
    forget_session()
    log_failure(error, "console outage")
    page, _status = error_page(503, _("Please try again in a moment."))
    return page, 503, {"Retry-After": str(RETRY_AFTER_S)}


def register(console: Blueprint) -> None:
    for outage in OUTAGES:
        console.register_error_handler(outage, _outage)
    console.register_error_handler(CSRFError, _csrf_error)
    console.register_error_handler(DomainError, _domain_error)
    console.register_error_handler(HTTPException, _http_error)
