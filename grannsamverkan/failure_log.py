"""Request ids, and the log line of a request that failed: the error's class, where it was
raised and the request id, never its message. A database error's message can carry the
statement's values (password hashes, e-mail addresses, coordinates, texts) and a driver's
message the row at fault; the engine hides parameters too (config.py), this is the second
lock. Imports nothing from the API or the console: both log through it."""

from __future__ import annotations

import logging
import re
import traceback
import uuid
from types import TracebackType

from flask import Flask, Response, g, request

log = logging.getLogger("grannsamverkan.failures")

HEADER = "X-Request-Id"
# A proxy's request id is kept when it looks like one (and so cannot forge log lines).
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def request_id() -> str:
    if "request_id" not in g:
        given = request.headers.get(HEADER, "")
        g.request_id = given if _SAFE_ID.match(given) else uuid.uuid4().hex
    return str(g.request_id)


def _echo_request_id(response: Response) -> Response:
    response.headers[HEADER] = request_id()
    return response


def describe(error: BaseException) -> str:
    """The classes of the error and its causes, and the frames it passed, without messages."""
    chain: list[str] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 5:
        chain.append(f"{type(current).__module__}.{type(current).__qualname__}")
        current = current.__cause__ or current.__context__
    frames = "".join(traceback.format_tb(error.__traceback__))
    return " <- ".join(chain) + "\n" + frames


def log_failure(error: BaseException | None, what: str = "unhandled error") -> None:
    """Log a request's failure (a 500 or a 503) by class, place and request id."""
    if error is None:
        log.error("%s in request %s", what, request_id())
        return
    log.error("%s in request %s: %s", what, request_id(), describe(error))


class App(Flask):
    """Flask, logging an unhandled exception the way above (Flask's own log line carries the
    exception's message, and with it a statement's values)."""

    def log_exception(
        self,
        exc_info: tuple[type, BaseException, TracebackType] | tuple[None, None, None],
    ) -> None:
        log_failure(exc_info[1], f"unhandled error on {request.method} {request.url_rule}")


def init_app(app: Flask) -> None:
    app.after_request(_echo_request_id)
