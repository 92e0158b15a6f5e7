"""Statements run at the driver level (services/precompiled.py) behave as Connection.execute's
do where the app relies on it: the engine's listeners hear them, a driver's error comes as
SQLAlchemy's (an OperationalError is an outage: 503), bound times and the statement's own
values are bound as the dialect binds them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, literal_column, select, table
from sqlalchemy.exc import DBAPIError

from grannsamverkan.extensions import db
from grannsamverkan.models import AuthSession
from grannsamverkan.models.types import UTCDateTime, utcnow
from grannsamverkan.services.precompiled import Precompiled
from tests.query_count import counted_statements


def test_rows_come_as_the_driver_gives_them_and_listeners_hear_the_statement(app, make_user):
    actor = make_user()
    live = Precompiled(
        select(AuthSession.user_id, literal_column("'x'"))
        .where(
            AuthSession.user_id == bindparam("user"),
            AuthSession.expires_at > bindparam("at", type_=UTCDateTime()),
            AuthSession.id != "no such session",  # a value of the statement's own
        )
        .limit(bindparam("n"))
    )
    with app.test_request_context(), counted_statements(app) as statements:
        now = utcnow()
        assert live.rows({"user": actor.id, "at": now, "n": 5}) == [(actor.id, "x")]
        assert live.rows({"user": actor.id, "at": now + timedelta(days=365), "n": 5}) == []
        assert live.rows({"user": actor.id, "at": now, "n": 0}) == []
    assert sum("auth_sessions" in statement for statement in statements) == 3


def test_a_drivers_error_is_raised_as_sqlalchemys(app):
    missing = Precompiled(select(literal_column("1")).select_from(table("no_such_table")))
    with app.test_request_context():
        with pytest.raises(DBAPIError) as raised:
            missing.rows({})
        assert "no_such_table" in str(raised.value.orig)
        db.session.rollback()
