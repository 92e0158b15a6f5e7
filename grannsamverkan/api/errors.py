"""One error shape for the whole API: RFC 9457 ``application/problem+json``."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, json
from flask_babel import get_locale
from itsdangerous import BadData
from marshmallow import ValidationError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from grannsamverkan.api.problem_texts import translate, translate_errors
from grannsamverkan.errors import DEFAULT_PROBLEM_TYPES, N_, PROBLEM_TYPES, DomainError
from grannsamverkan.extensions import db

log = logging.getLogger(__name__)


def problem(
    status: int,
    detail: str | None = None,
    *,
    errors: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    kind: str | None = None,
) -> Response:
    """Build a problem+json response; the only place error bodies are made.

    ``kind`` names its problem type (errors.PROBLEM_TYPES; by default the status's own);
    ``detail`` and the messages in ``errors`` are English message ids, answered in the
    request's language (api/problem_texts.py)."""
    problem_type = PROBLEM_TYPES.get(kind or DEFAULT_PROBLEM_TYPES.get(status, ""))
    if problem_type is None:  # a status without a type of its own (RFC 9457 section 4.2.1)
        uri, title = "about:blank", HTTPStatus(status).phrase
    else:
        uri, title = problem_type.uri, translate(problem_type.title)
    body: dict[str, Any] = {
        "type": uri,
        "title": title,
        "status": status,
        "detail": translate(detail) if detail else title,
    }
    if errors:
        body["errors"] = translate_errors(errors)
    response = Response(json.dumps(body), status=status, mimetype="application/problem+json")
    response.headers["Content-Language"] = str(get_locale() or "sv")
    response.vary.add("Accept-Language")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs keys errors by location ({"json": {...}}); clients want them by field."""
    if not isinstance(messages, dict):
        return {"_schema": messages if isinstance(messages, list) else [str(messages)]}
    locations = {"json", "query", "querystring", "view_args", "headers", "form", "files"}
    if not set(messages) <= locations:
        return messages
    flat: dict[str, Any] = {}
    for location_messages in messages.values():
        if isinstance(location_messages, dict):
            flat.update(location_messages)
        else:
            flat.setdefault("_schema", []).extend(location_messages)
    return flat


def init_app(app: Flask) -> None:
    """Answer every error as problem+json. Call after ``api.init_app``: this replaces
    flask-smorest's own HTTPException handler."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(ValidationError, handle_validation_error)
    app.register_error_handler(IntegrityError, handle_integrity_error)
    app.register_error_handler(BadData, handle_bad_signature)


def handle_http_exception(error: HTTPException) -> Response:
    """Werkzeug's and flask-smorest's errors (404, 405, webargs' 422, 429, 500)."""
    status = error.code or 500
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if status >= 500:
        original = getattr(error, "original_exception", None)
        if original is not None:
            log.error("unhandled error", exc_info=original)
        return problem(status, headers=headers)
    messages = data.get("messages")
    if status == 400 and messages:
        flat = flatten_messages(messages)
        # The first message (webargs': "Invalid JSON body.") says what is wrong.
        detail = next((str(m) for msgs in flat.values() for m in _as_list(msgs)), None)
        return problem(400, detail, headers=headers)
    if messages:
        return problem(
            status,
            "The request has invalid fields.",
            errors=flatten_messages(messages),
            headers=headers,
        )
    if status == 429:
        headers.update(_retry_after(error))
        seconds = {"seconds": headers["Retry-After"]}
        wait = N_("Over the limit: try again in %(seconds)s seconds.") % seconds
        return problem(429, wait, headers=headers)
    # Werkzeug's descriptions are English prose: the problem type's title says it instead.
    return problem(status, data.get("message"), headers=headers)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _retry_after(error: HTTPException) -> dict[str, str]:
    response = error.get_response()
    value = response.headers.get("Retry-After")
    return {"Retry-After": value or "60"}


def handle_domain_error(error: DomainError) -> Response:
    return problem(error.status, error.detail, errors=error.errors, kind=error.problem)


def handle_validation_error(error: ValidationError) -> Response:
    return problem(422, "The request has invalid fields.", errors=flatten_messages(error.messages))


def handle_integrity_error(error: IntegrityError) -> Response:
    db.session.rollback()
    return problem(409, "This conflicts with something that already exists.")


def handle_bad_signature(error: BadData) -> Response:
    return problem(400, "The link is invalid or has expired.", kind="invalid-link")
