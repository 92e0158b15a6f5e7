"""Statements compiled once per database dialect and run at the driver level, for the reads
that thousands of phones send at once after a warning (GET /alerts: BENCHMARKS.md, section 7,
"Fourth pass").

``Connection.execute`` of a Core statement looks up its compiled form, processes every bound
value and every column of every row through its type (a UTCDateTime column's conversion to
an aware UTC datetime), and builds the result's metadata: about half of the Python time of
running the inbox's page. Here the SQL text and what binding needs are kept per dialect, the
statement goes to the driver's cursor of the session's connection (psycopg still prepares it
on its fifth run), the engine's listeners hear of it, an error is raised as SQLAlchemy would
raise it (a lost connection invalidated), and the rows come back as the driver gives them,
tuples: the caller reads the few columns that need it (models/types.py, ``utc_isoformat``).
Half the Python time of running the page through ``Connection.execute``; a third of it through
``exec_driver_sql``, which still builds a result object and its metadata."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ClauseElement, Connection
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.compiler import SQLCompiler

from grannsamverkan.extensions import db


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # A positional paramstyle's parameter names in the order of their places (SQLite's
    # "?"); None for a named one (psycopg's "%(name)s").
    order: tuple[str, ...] | None
    # What the statement's types do to a bound value before the driver gets it (SQLite's
    # text form of a time).
    processors: dict[str, Callable[[Any], Any]]
    # Values the statement binds itself, as the driver gets them.
    constants: dict[str, Any]

    def parameters(self, params: dict[str, Any]) -> Any:
        processors = self.processors
        values = {
            name: processors[name](value) if name in processors else value
            for name, value in params.items()
        }
        values.update(self.constants)
        if self.order is None:
            return values
        return tuple(values[name] for name in self.order)


class Precompiled:
    """``statement`` (a Core select) run at the driver level; its rows as the driver's values.
    Its own bound values (``status == "x"``) are fixed when it is compiled."""

    def __init__(self, statement: ClauseElement) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled] = {}

    def rows(self, params: dict[str, Any]) -> list[Any]:
        """The statement's rows for ``params`` (every bound parameter by name), on the
        request's session connection."""
        connection = db.session.connection()
        compiled = self._compiled(connection.dialect)
        parameters = compiled.parameters(params)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            # What Connection.execute would tell the engine's listeners (tests count
            # statements with it; the app's binary-results hook needs no context here).
            connection.dispatch.before_cursor_execute(
                connection, cursor, compiled.sql, parameters, None, False
            )
            cursor.execute(compiled.sql, parameters)
            rows = list(cursor.fetchall())
        except connection.dialect.loaded_dbapi.Error as error:
            raise _wrapped(connection, cursor, error, compiled.sql, parameters) from error
        finally:
            cursor.close()
        return rows

    def _compiled(self, dialect: Dialect) -> _Compiled:
        compiled = self._by_dialect.get(dialect.name)
        if compiled is None:
            compiled = self._by_dialect[dialect.name] = self._compile(dialect)
        return compiled

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiler = self.statement.compile(dialect=dialect)
        assert isinstance(compiler, SQLCompiler)
        processors: dict[str, Callable[[Any], Any]] = {}
        constants: dict[str, Any] = {}
        for bind, name in compiler.bind_names.items():
            process = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if not bind.required:  # a value of the statement's own (SQLite's OFFSET 0)
                value = bind.effective_value
                constants[name] = process(value) if process is not None else value
            elif process is not None:
                processors[name] = process
        order = tuple(compiler.positiontup or ()) if dialect.positional else None
        return _Compiled(compiler.string, order, processors, constants)


def _wrapped(
    connection: Connection, cursor: Any, error: Any, sql: str, parameters: Any
) -> StatementError:
    """The driver's error as Connection.execute would raise it: SQLAlchemy's class for it
    (OperationalError is an outage: a 503, outages.py), the connection invalidated if it was
    lost, the values hidden as the engine hides them."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(error, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(error)
    return DBAPIError.instance(
        sql,
        parameters,
        error,
        dialect.loaded_dbapi.Error,
        hide_parameters=connection.engine.hide_parameters,
        dialect=dialect,
        connection_invalidated=lost,
    )
