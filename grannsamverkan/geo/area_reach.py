"""How far a point lies from a street area: 0 inside it, else metres to its edge.

An area is its GeoJSON boundary when it has one, else the circle of ``UNBOUNDED_RADIUS_M``
around its centre. Distances to a boundary are measured in a plane laid on the Earth at the
point (x east, y north, in metres): over the few kilometres that matter here that differs
from the great-circle distance by far less than a street's width.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from grannsamverkan.geo.distance import EARTH_RADIUS_M, distance_m

# An area drawn without a boundary stands for the streets within this distance of its centre.
UNBOUNDED_RADIUS_M = 1000.0
_M_PER_DEGREE = math.radians(1) * EARTH_RADIUS_M

if TYPE_CHECKING:
    import numpy as np


def distance_to_area_m(
    *, boundary: dict[str, Any] | None, center: tuple[float, float], lat: float, lon: float
) -> float:
    """0 when (lat, lon) lies in the area, else the distance in metres to its edge."""
    if not boundary:
        return max(0.0, distance_m((lat, lon), center) - UNBOUNDED_RADIUS_M)
    # Imported here: numpy and shapely add ~11 MiB to every process that imports the app,
    # push workers included, and only a tip's place in a drawn area needs them.
    import numpy as np
    import shapely
    from shapely.geometry import Point, shape

    polygon = shape(boundary)
    if polygon.covers(Point(lon, lat)):  # GeoJSON order: longitude first
        return 0.0
    scale_x = _M_PER_DEGREE * math.cos(math.radians(lat))

    def to_plane(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(
            ((coords[:, 0] - lon) * scale_x, (coords[:, 1] - lat) * _M_PER_DEGREE)
        )

    return float(shapely.transform(polygon, to_plane).distance(Point(0.0, 0.0)))
