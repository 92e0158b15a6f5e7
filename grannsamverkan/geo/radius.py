"""Radius search over member homes: an indexed box scan that measures distance in SQL.

The box narrows a million homes to the few thousand in a 4 km square through the covering
``ix_users_home`` index. In the same scan the database keeps only the homes in range and
measures them, with the home's unit vector (models/user.py: ``home_x``,
``home_y``, ``home_z``): a dot product to filter (three multiplications, no trigonometry
per row), the chord's arc for the distance of those kept. Only homes in range cross into
Python, already measured (BENCHMARKS.md section 1: Python's per-row work was most of the
2 km search).

The database decides inclusion only where it is beyond doubt: its filter keeps every home
up to ``EDGE_MARGIN_M`` past the limit, and a home whose distance is within that margin of
its limit is measured again in Python with the formula of ``distance.distance_m``
(``_great_circle_from``). So a home exactly at the radius is in, as it always was, whatever
the database's floating point.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import partial
from operator import attrgetter
from typing import Any, NamedTuple

from geopy.distance import EARTH_RADIUS
from geopy.point import Point
from sqlalchemy import ColumnElement, Float, Select, bindparam, func, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import EARTH_RADIUS_M, bounding_box
from grannsamverkan.models import User
from grannsamverkan.models.types import id_among

# How far the database's distance may be from the Python formula's and still be trusted to
# decide inclusion. The two differ by < 1e-8 m at neighbourhood distances (rounding of the
# stored vector and of the dot product near 1: ~1e-16 of the Earth's radius, 5 µm at
# 2 km for the filter); 1 mm is 200 times the larger, yet at city density (~430 homes/km²)
# a 1 mm ring around a 2 km circle holds 0.01 homes, so the exact test almost never runs.
EDGE_MARGIN_M = 1e-3


class NearbyHome(NamedTuple):
    user_id: int
    distance_m: float
    alert_radius_m: int


_by_distance = attrgetter("distance_m")
# A row as a NearbyHome without NamedTuple's per-call checks (~1 ms at 4,000 homes).
_as_nearby_home: Callable[[Iterable[Any]], NearbyHome] = partial(tuple.__new__, NearbyHome)

# Built once: constructing the expression each call cost more than a small search itself.
_users = User.__table__
_x, _y, _z = _users.c.home_x, _users.c.home_y, _users.c.home_z
_x0, _y0, _z0 = (bindparam(name, type_=Float) for name in ("x0", "y0", "z0"))
# The cosine of the angle between home and origin: the filter, ≥ cos(reach / R).
_COSINE = _x * _x0 + _y * _y0 + _z * _z0
# The distance from the chord (accurate at small angles, unlike the arc cosine of the dot).
_CHORD2 = (_x - _x0) * (_x - _x0) + (_y - _y0) * (_y - _y0) + (_z - _z0) * (_z - _z0)
_DISTANCE = bindparam("diameter_m", type_=Float) * func.asin(func.sqrt(_CHORD2) * 0.5)
_IN_RANGE = (
    select(_users.c.id, _DISTANCE.label("distance_m"), _users.c.alert_radius_m)
    .where(
        _users.c.home_lat.between(bindparam("min_lat"), bindparam("max_lat")),
        _users.c.home_lon.between(bindparam("min_lon"), bindparam("max_lon")),
        _COSINE >= bindparam("min_cosine"),
    )
    # Numbers only, so PostgreSQL may send them in binary (grannsamverkan/__init__.py).
    .execution_options(binary_results=True)
)
_IN_OWN_RANGE = _IN_RANGE.where(
    _DISTANCE <= _users.c.alert_radius_m + bindparam("margin_m", type_=Float)
)


def select_homes_within(
    lat: float,
    lon: float,
    radius_m: float,
    *,
    where: list[ColumnElement[bool]] | None = None,
    own_radius: bool = False,
) -> tuple[Select[int, float, int], dict[str, float]]:
    """The indexed query and its parameters: (id, distance, alert radius), in no order.

    Its rows hold every home within ``radius_m`` (with ``own_radius``: also within its own
    ``alert_radius_m``), and may hold homes up to ``EDGE_MARGIN_M`` beyond.
    """
    box = bounding_box(lat, lon, radius_m)
    x0, y0, z0 = unit_vector(lat, lon)
    params = {
        "min_lat": box.min_lat,
        "max_lat": box.max_lat,
        "min_lon": box.min_lon,
        "max_lon": box.max_lon,
        "x0": x0,
        "y0": y0,
        "z0": z0,
        "min_cosine": math.cos((radius_m + EDGE_MARGIN_M) / EARTH_RADIUS_M),
        "diameter_m": 2 * EARTH_RADIUS_M,
        "margin_m": EDGE_MARGIN_M,
    }
    query = _IN_OWN_RANGE if own_radius else _IN_RANGE
    return (query.where(*where) if where else query), params


def homes_within(
    lat: float,
    lon: float,
    radius_m: float,
    *,
    where: list[ColumnElement[bool]] | None = None,
    own_radius: bool = False,
) -> list[NearbyHome]:
    """Users whose home lies within ``radius_m`` of (lat, lon), nearest first.

    With ``own_radius``, only those also within their own ``alert_radius_m``: the
    neighbours a tip alerts.
    """
    query, params = select_homes_within(lat, lon, radius_m, where=where, own_radius=own_radius)
    homes = list(map(_as_nearby_home, db.session.execute(query, params).all()))
    # Sorted here, not by the database: Python sorts 4,800 homes faster than either
    # database's ORDER BY takes (BENCHMARKS.md, section 1).
    homes.sort(key=_by_distance)
    if own_radius:
        near_edge = [
            home
            for home in homes
            if home.distance_m > min(radius_m, home.alert_radius_m) - EDGE_MARGIN_M
        ]
    else:  # nearest first: those near the edge are the last
        near_edge = homes[bisect_right(homes, radius_m - EDGE_MARGIN_M, key=_by_distance) :]
    if not near_edge:
        return homes
    settled = _exactly_within(lat, lon, radius_m, near_edge, own_radius=own_radius)
    unsettled = {home.user_id for home in near_edge}
    homes = [home for home in homes if home.user_id not in unsettled] + settled
    homes.sort(key=_by_distance)
    return homes


def _exactly_within(
    lat: float, lon: float, radius_m: float, homes: list[NearbyHome], *, own_radius: bool
) -> list[NearbyHome]:
    """Of homes near the edge, those within it by ``distance_m``'s formula, so measured."""
    distance_from_origin = _great_circle_from(lat, lon)
    by_id = {home.user_id: home for home in homes}
    places = db.session.execute(
        select(_users.c.id, _users.c.home_lat, _users.c.home_lon).where(
            id_among(_users.c.id, list(by_id))
        )
    )
    within = []
    for user_id, home_lat, home_lon in places:
        home = by_id[user_id]
        limit = min(radius_m, home.alert_radius_m) if own_radius else radius_m
        distance = distance_from_origin(home_lat, home_lon)
        if distance <= limit:
            within.append(home._replace(distance_m=distance))
    return within


def unit_vector(lat: float, lon: float) -> tuple[float, float, float]:
    """(lat, lon) as a point on the unit sphere: the Python twin of ``User.home_x/y/z``."""
    phi, lam = math.radians(lat), math.radians(lon)
    return math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)


def _great_circle_from(lat: float, lon: float) -> Callable[[float, float], float]:
    """``distance_m((lat, lon), home)`` for many homes, bit for bit, at a tenth of the cost.

    geopy's ``great_circle`` builds two ``Point``s and a ``Distance`` per call (~11 µs). This
    is its formula term by term, in the same order, with the origin's sines taken once;
    homes are validated on input (|lat| ≤ 90, |lon| ≤ 180), where geopy's ``Point``
    normalisation changes nothing. tests/geo/test_radius.py checks it against geopy.
    """
    origin = Point(lat, lon)  # geopy's validation (finite, in range) of the one origin
    lat1, lng1 = math.radians(origin.latitude), math.radians(origin.longitude)
    sin_lat1, cos_lat1 = math.sin(lat1), math.cos(lat1)
    sin, cos, atan2, sqrt, radians = math.sin, math.cos, math.atan2, math.sqrt, math.radians

    def distance(home_lat: float, home_lon: float) -> float:
        lat2, lng2 = radians(home_lat), radians(home_lon)
        sin_lat2, cos_lat2 = sin(lat2), cos(lat2)
        delta_lng = lng2 - lng1
        cos_delta_lng, sin_delta_lng = cos(delta_lng), sin(delta_lng)
        d = atan2(
            sqrt(
                (cos_lat2 * sin_delta_lng) ** 2
                + (cos_lat1 * sin_lat2 - sin_lat1 * cos_lat2 * cos_delta_lng) ** 2
            ),
            sin_lat1 * sin_lat2 + cos_lat1 * cos_lat2 * cos_delta_lng,
        )
        # geopy: kilometres = EARTH_RADIUS * d, metres = kilometres * 1000.
        return EARTH_RADIUS * d * 1000

    return distance
