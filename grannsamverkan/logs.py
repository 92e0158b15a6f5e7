"""Log lines: JSON lines (one object per line) or plain text, each with the request id of
the work it belongs to (docs/deployment.md "Logs").

A request's id (failure_log.request_id: a proxy's X-Request-Id, or a new one) is stamped
on the log lines of that request, on the outbox rows it writes (``deliveries.request_id``)
and, through those rows, on the dispatcher's lines about them: one tip can be followed from
``POST /tips`` to every push. Outside a request, work done on behalf of one (a dispatcher
recording that request's rows) says so with ``acting_for``.

What is logged is chosen so that it carries no personal data: route templates, not paths;
ids and counts, not texts, addresses or tokens (tests/privacy/test_logs.py scans a day).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from flask import has_request_context
from pythonjsonlogger.json import JsonFormatter

from grannsamverkan.failure_log import request_id

FORMATS = ("json", "text")
_acting_for: ContextVar[str | None] = ContextVar("gsv_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request being served, or of the request whose work this is."""
    if has_request_context():
        return request_id()
    return _acting_for.get()


@contextmanager
def acting_for(request: str | None) -> Iterator[None]:
    """Log lines (and outbox rows) inside belong to the request with this id."""
    token = _acting_for.set(request)
    try:
        yield
    finally:
        _acting_for.reset(token)


class RequestIdFilter(logging.Filter):
    """Puts ``request_id`` on every record (None outside any request's work)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = current_request_id()
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time (UTC), level, logger, message, request id, and whatever a
    call passed in ``extra`` (ids, counts, durations)."""
    return JsonFormatter(
        "{levelname}{name}{message}{request_id}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",  # ISO 8601 in UTC
        # Not a record's own bookkeeping (file, line, process) beyond the fields above.
        reserved_attrs=[*_RESERVED],
    )


_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


def text_formatter() -> logging.Formatter:
    return logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")


def make_handler(stream: Any, log_format: str) -> logging.Handler:
    """A handler writing ``log_format`` ("json" or "text") lines to ``stream``."""
    if log_format not in FORMATS:
        raise ValueError(f"GSV_LOG_FORMAT must be one of {', '.join(FORMATS)}: {log_format!r}")
    handler = logging.StreamHandler(stream)
    handler.setFormatter(json_formatter() if log_format == "json" else text_formatter())
    handler.addFilter(RequestIdFilter())
    return handler


_installed: dict[str, logging.Handler] = {}


def configure(config: Mapping[str, Any]) -> None:
    """The process's log output on stderr, in GSV_LOG_FORMAT, at GSV_LOG_LEVEL for the app's
    own loggers. Each app built re-sets it (one handler per process, never two)."""
    root = logging.getLogger()
    old = _installed.pop("stderr", None)
    if old is not None:
        root.removeHandler(old)
    handler = make_handler(sys.stderr, config.get("GSV_LOG_FORMAT") or "json")
    root.addHandler(handler)
    _installed["stderr"] = handler
    logging.getLogger("grannsamverkan").setLevel(config.get("GSV_LOG_LEVEL") or "INFO")
