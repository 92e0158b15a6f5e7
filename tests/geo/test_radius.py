"""The radius search: the database's filter and distance, and the exact test at the edge."""

from __future__ import annotations

import math
import random
import sqlite3

import pytest
from geopy.distance import great_circle
from sqlalchemy import event, select

from grannsamverkan import add_math_functions
from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import distance_m
from grannsamverkan.geo.radius import (
    EDGE_MARGIN_M,
    _great_circle_from,
    homes_within,
    select_homes_within,
    unit_vector,
)
from grannsamverkan.models import User

ORIGIN = (57.6663, 15.8557)  # Storgatan, Vimmerby


def _at(metres: float, bearing: float, origin: tuple[float, float] = ORIGIN) -> tuple[float, float]:
    point = great_circle(meters=metres).destination(origin, bearing)
    return (point.latitude, point.longitude)


def _add_homes(places: list[tuple[float, float]], **settings: object) -> list[int]:
    users = [
        User(name=f"Home {n}", home_lat=lat, home_lon=lon, **settings)
        for n, (lat, lon) in enumerate(places)
    ]
    db.session.add_all(users)
    db.session.flush()
    return [user.id for user in users]


def test_homes_in_range_nearest_first_with_the_great_circle_distance(app):
    rng = random.Random(14)
    with app.app_context():
        places = [_at(rng.uniform(0, 3000), rng.uniform(0, 360)) for _ in range(60)]
        ids = _add_homes(places)
        _add_homes([(None, None)])  # type: ignore[list-item]  # no home: never found
        expected = {
            user_id: distance_m(ORIGIN, place)
            for user_id, place in zip(ids, places, strict=True)
            if distance_m(ORIGIN, place) <= 2000
        }

        found = homes_within(*ORIGIN, 2000)

        assert {home.user_id for home in found} == set(expected)
        assert [home.distance_m for home in found] == sorted(home.distance_m for home in found)
        for home in found:
            assert home.distance_m == pytest.approx(expected[home.user_id], abs=1e-6)
            assert home.alert_radius_m == 1000


def test_a_home_exactly_at_the_radius_is_in_and_a_hair_beyond_is_out(app):
    """The database's own rounding never decides: the edge is measured as distance_m does."""
    rng = random.Random(7)
    with app.app_context():
        places = [_at(rng.uniform(100, 2000), rng.uniform(0, 360)) for _ in range(25)]
        ids = _add_homes(places)
        for user_id, place in zip(ids, places, strict=True):
            exact = distance_m(ORIGIN, place)

            at_radius = homes_within(*ORIGIN, exact)
            below = homes_within(*ORIGIN, math.nextafter(exact, 0))

            assert user_id in {home.user_id for home in at_radius}
            assert user_id not in {home.user_id for home in below}
            # Measured again near the edge: geopy's own distance, to the last bit.
            assert next(h for h in at_radius if h.user_id == user_id).distance_m == exact


def test_own_radius_keeps_only_homes_whose_own_alert_radius_reaches(app):
    with app.app_context():
        # Around each home's own 500 m: beyond the database's margin, and within it.
        offsets = [-0.3, -EDGE_MARGIN_M / 10, -1e-6, 1e-6, EDGE_MARGIN_M / 10, 0.3]
        places = [_at(500 + offset, 40 * n) for n, offset in enumerate(offsets)]
        ids = _add_homes(places, alert_radius_m=500)
        wide = _add_homes([_at(1500, 0), _at(2000.5, 90)], alert_radius_m=2000)

        found = homes_within(*ORIGIN, 2000, own_radius=True)
        everyone = homes_within(*ORIGIN, 2000)

        within_own = {
            user_id
            for user_id, place in zip(ids, places, strict=True)
            if distance_m(ORIGIN, place) <= 500
        }
        assert len(within_own) == 3
        assert {home.user_id for home in found} == within_own | {wide[0]}
        assert {home.user_id for home in everyone} == set(ids) | {wide[0]}


@pytest.mark.parametrize("own_radius", [False, True])
def test_the_databases_filter_keeps_homes_up_to_the_margin_beyond(app, own_radius):
    """Its rounding can then never drop a home that the exact test would keep."""
    with app.app_context():
        beyond = [_at(500 + EDGE_MARGIN_M * share, 90 * n) for n, share in enumerate([0.5, 2])]
        ids = _add_homes(beyond, alert_radius_m=500)
        query, params = select_homes_within(
            *ORIGIN, 2000 if own_radius else 500, own_radius=own_radius
        )

        rows = db.session.execute(query, params).all()

        assert [row.id for row in rows] == ids[:1]
        assert homes_within(*ORIGIN, 2000 if own_radius else 500, own_radius=own_radius) == []


def test_where_clauses_narrow_the_search(app):
    with app.app_context():
        near, far_radius = (
            _add_homes([_at(100, 0), _at(200, 0)]),
            _add_homes([_at(300, 0)], alert_radius_m=2000),
        )
        found = homes_within(*ORIGIN, 2000, where=[User.alert_radius_m == 2000])
        assert [home.user_id for home in found] == far_radius
        assert not set(near) & {home.user_id for home in found}


@pytest.mark.parametrize(
    "origin", [(89.9999, 10.0), (-89.9999, -170.0), (0.0, 179.9999), (65.0, -180.0)]
)
def test_near_a_pole_or_the_antimeridian_no_error(app, origin):
    with app.app_context():
        (here,) = _add_homes([origin])
        found = homes_within(*origin, 2000)
        assert [home.user_id for home in found] == [here]
        assert found[0].distance_m == pytest.approx(0, abs=1e-6)


def test_the_database_keeps_the_unit_vector_with_the_home(app):
    with app.app_context():
        (user_id,) = _add_homes([ORIGIN])
        user = db.session.get(User, user_id)
        vector = select(User.home_x, User.home_y, User.home_z).where(User.id == user_id)

        assert db.session.execute(vector).one() == pytest.approx(unit_vector(*ORIGIN))
        user.home_lat, user.home_lon = 67.8558, 20.2253  # moved to Kiruna
        db.session.flush()
        assert db.session.execute(vector).one() == pytest.approx(unit_vector(67.8558, 20.2253))
        user.home_lat = user.home_lon = None
        db.session.flush()
        assert tuple(db.session.execute(vector).one()) == (None, None, None)


def test_great_circle_from_is_geopys_formula_bit_for_bit():
    rng = random.Random(1)
    for _ in range(2000):
        origin = (rng.uniform(-90, 90), rng.uniform(-180, 180))
        home = (rng.uniform(-90, 90), rng.uniform(-180, 180))
        assert _great_circle_from(*origin)(*home) == distance_m(origin, home)


def test_python_math_functions_stand_in_for_sqlites():
    connection = sqlite3.connect(":memory:")
    add_math_functions(connection)
    row = connection.execute(
        "SELECT cos(radians(60)), sin(radians(30)), asin(1), sqrt(4), cos(NULL)"
    ).fetchone()
    assert row == pytest.approx((0.5, 0.5, math.pi / 2, 2.0, None))


def test_postgresql_sends_the_rows_in_binary(app):
    """Binary rows skip formatting and parsing each distance as text (BENCHMARKS.md, 1)."""
    formats = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if "home_x" in statement and statement.lstrip().upper().startswith("SELECT"):
            formats.append(getattr(cursor, "format", None))

    with app.app_context():
        _add_homes([_at(100, 0)])
        event.listen(db.engine, "after_cursor_execute", record)
        try:
            (home,) = homes_within(*ORIGIN, 2000)
        finally:
            event.remove(db.engine, "after_cursor_execute", record)
        assert home.distance_m == pytest.approx(100, abs=1e-6)
        if db.engine.dialect.name == "postgresql":
            from psycopg.pq import Format

            assert formats == [Format.BINARY]
        else:
            assert formats == [None]
