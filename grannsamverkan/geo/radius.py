"""Radius search over member homes: an indexed bounding-box scan, then the exact distance.

The box narrows a million homes to the few thousand in a 4 km square through the
``ix_users_home (home_lat, home_lon)`` index; only those are measured exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

from geopy.distance import EARTH_RADIUS
from geopy.point import Point
from sqlalchemy import ColumnElement, Select, bindparam, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import bounding_box
from grannsamverkan.models import User


@dataclass(frozen=True)
class NearbyHome:
    user_id: int
    distance_m: float
    alert_radius_m: int


# Built once: constructing the expression each call cost more than a small search itself.
_users = User.__table__
_IN_BOX = select(_users.c.id, _users.c.home_lat, _users.c.home_lon, _users.c.alert_radius_m).where(
    _users.c.home_lat.between(bindparam("min_lat"), bindparam("max_lat")),
    _users.c.home_lon.between(bindparam("min_lon"), bindparam("max_lon")),
)


def select_homes_in_box(
    lat: float, lon: float, radius_m: float, *, where: list[ColumnElement[bool]] | None = None
) -> tuple[Select[int, float, float, int], dict[str, float]]:
    """The indexed range query and its parameters: the homes in the box around the circle."""
    box = bounding_box(lat, lon, radius_m)
    params = {
        "min_lat": box.min_lat,
        "max_lat": box.max_lat,
        "min_lon": box.min_lon,
        "max_lon": box.max_lon,
    }
    return (_IN_BOX.where(*where) if where else _IN_BOX), params


def homes_within(
    lat: float, lon: float, radius_m: float, *, where: list[ColumnElement[bool]] | None = None
) -> list[NearbyHome]:
    """Users whose home lies within ``radius_m`` of (lat, lon), nearest first."""
    query, params = select_homes_in_box(lat, lon, radius_m, where=where)
    distance_from_origin = _great_circle_from(lat, lon)
    found = []
    for user_id, home_lat, home_lon, alert_radius_m in db.session.execute(query, params):
        distance = distance_from_origin(home_lat, home_lon)
        if distance <= radius_m:
            found.append(NearbyHome(user_id, distance, alert_radius_m))
    found.sort(key=attrgetter("distance_m"))
    return found


def _great_circle_from(lat: float, lon: float) -> Callable[[float, float], float]:
    """``distance_m((lat, lon), home)`` for many homes, bit for bit, at a tenth of the cost.

    geopy's ``great_circle`` builds two ``Point``s and a ``Distance`` per call (~11 µs), which
    at 2 km in a city (4,000 homes in the box) was most of the search (BENCHMARKS.md). This
    is its formula term by term, in the same order, with the origin's sines taken once;
    homes are validated on input (|lat| ≤ 90, |lon| ≤ 180), where geopy's ``Point``
    normalisation changes nothing. bench/radius.py checks the distances against geopy's.
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
