"""Distance from a point to a street area: 0 inside or on the edge, metres to the edge outside."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import textwrap
from typing import Any

import pytest

from grannsamverkan.geo.area_reach import UNBOUNDED_RADIUS_M, distance_to_area_m

SPOT = (57.6663, 15.8557)
M_PER_DEGREE = 111_195.08


def at(north_m: float, east_m: float) -> tuple[float, float]:
    lat = SPOT[0] + north_m / M_PER_DEGREE
    return lat, SPOT[1] + east_m / (M_PER_DEGREE * math.cos(math.radians(SPOT[0])))


def ring(half_m: float) -> list[list[float]]:
    """A square ring ``2 * half_m`` wide around SPOT, [lon, lat] positions, closed."""
    corners = [at(-half_m, -half_m), at(-half_m, half_m), at(half_m, half_m), at(half_m, -half_m)]
    positions = [[lon, lat] for lat, lon in corners]
    return [*positions, positions[0]]


SQUARE = {"type": "Polygon", "coordinates": [ring(300)]}
# The 300 m square with a 100 m square hole in its middle.
HOLED = {"type": "Polygon", "coordinates": [ring(300), ring(100)[::-1]]}


def reach(boundary: dict[str, Any] | None, north_m: float, east_m: float) -> float:
    lat, lon = at(north_m, east_m)
    return distance_to_area_m(boundary=boundary, center=SPOT, lat=lat, lon=lon)


@pytest.mark.parametrize(
    ("boundary", "north_m", "east_m", "expected"),
    [
        (SQUARE, 0, 0, 0),
        (SQUARE, 299, -299, 0),
        (SQUARE, 0, 300, 0),  # on the edge
        (SQUARE, 300, 300, 0),  # on a corner
        (SQUARE, 0, 500, 200),
        (SQUARE, -1300, 0, 1000),
        (SQUARE, 400, 400, 100 * math.sqrt(2)),  # nearest is the corner
        (HOLED, 0, 0, 100),  # in the hole: outside the area
        (HOLED, 0, 50, 50),
        (HOLED, 0, 200, 0),
        (HOLED, 0, 350, 50),
        (None, 0, 0, 0),
        (None, 0, UNBOUNDED_RADIUS_M + 250, 250),
    ],
)
def test_distances(boundary, north_m, east_m, expected):
    assert reach(boundary, north_m, east_m) == pytest.approx(expected, abs=0.5)


def test_a_ring_that_does_not_close_is_closed():
    positions = ring(300)[:-1]
    assert reach({"type": "Polygon", "coordinates": [positions]}, 0, -500) == pytest.approx(
        200, abs=0.5
    )


def test_a_tip_in_a_drawn_area_loads_neither_numpy_nor_shapely():
    script = textwrap.dedent(f"""
        import json, sys
        from grannsamverkan.geo.area_reach import distance_to_area_m
        assert distance_to_area_m(boundary={SQUARE!r}, center={SPOT!r}, lat={SPOT[0]},
                                  lon={SPOT[1]}) == 0
        print(json.dumps(sorted({{"numpy", "shapely"}} & set(sys.modules))))
    """)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert json.loads(done.stdout.splitlines()[-1]) == []
