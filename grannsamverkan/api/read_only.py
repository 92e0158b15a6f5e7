"""Views that only read, run without a transaction on PostgreSQL: what a phone fetches in a
burst after a warning (GET /alerts, GET /broadcasts/{id}: BENCHMARKS.md, section 7, "Third
pass").

A transaction costs such a request two of its five round trips to PostgreSQL (psycopg sends
``BEGIN`` before the first statement, the request's end ``ROLLBACK``) and, worse, psycopg
drops every statement it prepared at each ``ROLLBACK``, so PostgreSQL parsed and planned
sign-in and the page on every request. It buys a read nothing: under READ COMMITTED, the
default, each statement of a transaction sees its own snapshot too. In autocommit mode
neither is sent and the prepared statements stay. A view marked here must not write: a flush
would be committed statement by statement (tests/broadcasts/test_read_only.py holds that
the marked views answer GET only). SQLite answers in process, without round trips, and its
``BEGIN`` is the app's own (``_sqlite_begin``): it keeps its transactions."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from grannsamverkan.extensions import db

F = TypeVar("F", bound=Callable[..., Any])

AUTOCOMMIT = {"isolation_level": "AUTOCOMMIT"}


def read_only(view: F) -> F:
    """Run ``view``'s statements in autocommit on PostgreSQL (put it above the sign-in
    decorator: sign-in is the first statement). The connection's own isolation level comes
    back when it returns to the pool."""

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        session = db.session()
        if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options=AUTOCOMMIT)
        return view(*args, **kwargs)

    wrapper.read_only = True  # type: ignore[attr-defined]
    return wrapper  # type: ignore[return-value]
