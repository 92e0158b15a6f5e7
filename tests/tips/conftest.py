"""A small map of Vimmerby: areas, and homes at measured distances from a tip's spot."""

from __future__ import annotations

from datetime import datetime, timedelta

from geopy.distance import great_circle

from grannsamverkan.services.local_time import LOCAL_TIME
from tests.conftest import TIP_SPOT

# Where the tips in these tests happen: Storgatan, Vimmerby.
SPOT = TIP_SPOT
# Another Vimmerby neighbourhood, 1.6 km north-west, with its own area.
NAS = (57.6745, 15.8425)


def offset(origin: tuple[float, float], metres: float, bearing: float = 90) -> tuple[float, float]:
    """The point ``metres`` from ``origin`` on ``bearing`` (degrees), as the app measures."""
    point = great_circle(meters=metres).destination(origin, bearing)
    return (point.latitude, point.longitude)


def quiet_hours_around_now() -> tuple[str, str]:
    now = datetime.now(LOCAL_TIME)
    return (
        (now - timedelta(hours=1)).strftime("%H:%M"),
        (now + timedelta(hours=1)).strftime("%H:%M"),
    )


def quiet_hours_not_now() -> tuple[str, str]:
    now = datetime.now(LOCAL_TIME)
    return (
        (now + timedelta(hours=2)).strftime("%H:%M"),
        (now + timedelta(hours=3)).strftime("%H:%M"),
    )
