"""Distances and the bounding boxes that let an indexed range scan find points near a place."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geopy.distance import EARTH_RADIUS, great_circle

# Distances are great-circle distances on geopy's mean Earth radius (6371.009 km). Over the
# ≤ 2 km of a neighbourhood alert the sphere differs from the WGS84 ellipsoid by < 0.5 %
# (< 10 m, below the accuracy of a home's coordinates), and it costs a fifth of geopy's
# geodesic. The box is widened by a margin so that it never drops a point within range.
EARTH_RADIUS_M = EARTH_RADIUS * 1000
BOX_MARGIN = 1.01


@dataclass(frozen=True)
class BoundingBox:
    min_lat: float
    max_lat: float
    min_lon: float
    max_lon: float


def bounding_box(lat: float, lon: float, radius_m: float) -> BoundingBox:
    """A lat/lon box that contains every point within ``radius_m`` of (lat, lon)."""
    dlat = math.degrees(radius_m * BOX_MARGIN / EARTH_RADIUS_M)
    # Longitude degrees shrink towards the poles; use the box edge nearest the pole.
    pole_lat = min(89.9, abs(lat) + dlat)
    dlon = math.degrees(radius_m * BOX_MARGIN / (EARTH_RADIUS_M * math.cos(math.radians(pole_lat))))
    return BoundingBox(lat - dlat, lat + dlat, lon - dlon, lon + dlon)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points."""
    return great_circle(a, b).meters
