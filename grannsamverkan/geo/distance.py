"""Distances and the bounding boxes that let an indexed range scan find points near a place."""

from __future__ import annotations

import math
from dataclasses import dataclass

from geopy.distance import geodesic

# Mean Earth radius per IUGG; the bounding box is widened by a margin, so using a sphere
# here can never drop a point that the exact (ellipsoidal) distance keeps.
EARTH_RADIUS_M = 6_371_008.8
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
    """Geodesic (WGS84) distance in metres between two (lat, lon) points."""
    return geodesic(a, b).meters
