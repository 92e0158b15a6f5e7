"""How far a point lies from a street area: 0 inside it, else metres to its edge.

An area is its GeoJSON boundary when it has one, else the circle of ``UNBOUNDED_RADIUS_M``
around its centre. Distances to a boundary are measured in a plane laid on the Earth at the
point (x east, y north, in metres): over the few kilometres that matter here that differs
from the great-circle distance by far less than a street's width.

Plain Python, one pass over the boundary's edges (at most 10,000 positions): numpy and
shapely would add ~11 MiB to every API worker for what a loop does in milliseconds.
"""

from __future__ import annotations

import math
from typing import Any

from grannsamverkan.geo.distance import EARTH_RADIUS_M, distance_m

# An area drawn without a boundary stands for the streets within this distance of its centre.
UNBOUNDED_RADIUS_M = 1000.0
_M_PER_DEGREE = math.radians(1) * EARTH_RADIUS_M


def _ring_reach(ring: list[list[float]], lat: float, lon: float) -> tuple[bool, float]:
    """Whether a ray east from (lat, lon) crosses the ring an odd number of times, and the
    squared distance in metres from the point to the ring's nearest edge."""
    scale_x = _M_PER_DEGREE * math.cos(math.radians(lat))
    # The ring in the plane at the point, which sits at (0, 0).
    xs = [(position[0] - lon) * scale_x for position in ring]
    ys = [(position[1] - lat) * _M_PER_DEGREE for position in ring]
    odd = False
    nearest = math.inf
    x1, y1 = xs[-1], ys[-1]  # GeoJSON rings end where they start; a ring that does not, closes
    for x2, y2 in zip(xs, ys, strict=True):
        dx, dy = x2 - x1, y2 - y1
        if (y1 > 0) != (y2 > 0) and x1 - y1 * dx / dy > 0:
            odd = not odd
        # The edge's point nearest (0, 0): t along it, clamped to the edge.
        length2 = dx * dx + dy * dy
        t = 0.0 if length2 == 0 else min(1.0, max(0.0, -(x1 * dx + y1 * dy) / length2))
        px, py = x1 + t * dx, y1 + t * dy
        d2 = px * px + py * py
        if d2 < nearest:
            nearest = d2
        x1, y1 = x2, y2
    return odd, nearest


def distance_to_area_m(
    *, boundary: dict[str, Any] | None, center: tuple[float, float], lat: float, lon: float
) -> float:
    """0 when (lat, lon) lies in the area or on its edge, else the distance in metres to its
    edge. A boundary is a GeoJSON Polygon ([longitude, latitude] positions): its outer ring,
    then its holes; the even-odd rule over all rings decides what is inside."""
    if not boundary:
        return max(0.0, distance_m((lat, lon), center) - UNBOUNDED_RADIUS_M)
    inside = False
    nearest = math.inf
    for ring in boundary["coordinates"]:
        odd, d2 = _ring_reach(ring, lat, lon)
        inside ^= odd
        nearest = min(nearest, d2)
    return 0.0 if inside else math.sqrt(nearest)
