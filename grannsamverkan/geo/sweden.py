"""Is a point in Sweden? Tips and homes must be (docs/privacy-and-routing.md, "Where tips land").

Sweden's border comes from timezonefinder's shipped data (the timezone-boundary-builder
polygons, themselves built from OpenStreetMap's country borders): the zone
``Europe/Stockholm`` is Sweden and nothing else, its land and its territorial waters (islands
and lakes included). Norway, Finland and Denmark have zones of their own, the open sea
``Etc/GMT±n`` ones, so Oslo, Tornio, Copenhagen, (0, 0) and a point with latitude and
longitude swapped all fall outside. Offline: the data ships in the package.
"""

from __future__ import annotations

import atexit
import threading
from typing import Any

SWEDEN_ZONE = "Europe/Stockholm"

_finder: Any = None
_lock = threading.Lock()


def _timezone_at(lat: float, lon: float) -> str | None:
    global _finder
    with _lock:  # built once per process
        if _finder is None:
            from timezonefinder import TimezoneFinder

            # The polygons' file is mapped, not read in: a point touches the few pages it
            # needs, shared by all processes through the page cache (in memory: +30 MiB
            # resident in every API worker that has checked one point). Its file stays open
            # until the process exits.
            _finder = TimezoneFinder(in_memory=False)
            atexit.register(_finder.cleanup)
        zone: str | None = _finder.timezone_at(lng=lon, lat=lat)
    return zone


def in_sweden(lat: float, lon: float) -> bool:
    """True for a point on Swedish land or in Swedish waters."""
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return False
    return _timezone_at(lat, lon) == SWEDEN_ZONE
