"""Radius search over member homes: an indexed bounding-box scan, then the exact distance.

The box narrows a million homes to the few hundred in a 4 km square through the
``ix_users_home (home_lat, home_lon)`` index; only those are measured exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import bounding_box, distance_m
from grannsamverkan.models import User


@dataclass(frozen=True)
class NearbyHome:
    user_id: int
    distance_m: float
    alert_radius_m: int


def homes_within(
    lat: float, lon: float, radius_m: float, *, where: list[ColumnElement[bool]] | None = None
) -> list[NearbyHome]:
    """Users whose home lies within ``radius_m`` of (lat, lon), nearest first."""
    box = bounding_box(lat, lon, radius_m)
    query = select(User.id, User.home_lat, User.home_lon, User.alert_radius_m).where(
        User.home_lat.between(box.min_lat, box.max_lat),
        User.home_lon.between(box.min_lon, box.max_lon),
        *(where or []),
    )
    found = []
    for user_id, home_lat, home_lon, alert_radius_m in db.session.execute(query):
        distance = distance_m((lat, lon), (home_lat, home_lon))
        if distance <= radius_m:
            found.append(NearbyHome(user_id, distance, alert_radius_m))
    return sorted(found, key=lambda home: home.distance_m)
