"""Is a point in Sweden? Tips and homes must be (docs/privacy-and-routing.md, "Where tips land").

Sweden's border is ``sweden_border.json`` beside this module: the time zone
``Europe/Stockholm`` of the polygons timezonefinder ships (timezone-boundary-builder, built
from OpenStreetMap's country borders), which is Sweden and nothing else, its land and its
territorial waters (islands and lakes included), simplified to 25 m. Norway, Finland and
Denmark lie outside it, as does the open sea, so Oslo, Tornio, Copenhagen, (0, 0) and a point
with latitude and longitude swapped all fall outside. ``bench/sweden_border.py`` wrote the
file and checks it against timezonefinder. The file, like the data it comes from, is under
the ODbL (© OpenStreetMap contributors).

The file is ~3,200 positions, read once per process into a few arrays (~0.2 MiB): no numpy,
no timezonefinder. A point is tested against the few edges in its band of latitude.
"""

from __future__ import annotations

import json
import math
import threading
from array import array
from pathlib import Path

BORDER_FILE = Path(__file__).with_name("sweden_border.json")
# Bands of latitude ~2 km high: a horizontal line crosses a few dozen edges of the border.
_BAND_DEGREES = 0.02


class Border:
    """Polygons (with holes) in longitude/latitude, indexed by bands of latitude."""

    def __init__(self, rings: list[list[float]]) -> None:
        lats = [ring[i] for ring in rings for i in range(1, len(ring), 2)]
        lons = [ring[i] for ring in rings for i in range(0, len(ring), 2)]
        self.south, self.north = min(lats), max(lats)
        self.west, self.east = min(lons), max(lons)
        bands: list[list[float]] = [
            [] for _ in range(int((self.north - self.south) / _BAND_DEGREES) + 1)
        ]
        for ring in rings:
            for i in range(0, len(ring) - 2, 2):
                x1, y1, x2, y2 = ring[i : i + 4]
                for band in range(self._band(min(y1, y2)), self._band(max(y1, y2)) + 1):
                    bands[band] += (x1, y1, x2, y2)
        # Each band: its edges' x1, y1, x2, y2 one after another.
        self._bands = [array("d", edges) for edges in bands]

    def _band(self, lat: float) -> int:
        return int((lat - self.south) / _BAND_DEGREES)

    @classmethod
    def read(cls, path: Path) -> Border:
        data = json.loads(path.read_text())
        scale = data["scale"]
        return cls([[c / scale for c in ring] for polygon in data["polygons"] for ring in polygon])

    def contains(self, lat: float, lon: float) -> bool:
        """Even-odd rule: a ray east from the point crosses the border an odd number of times."""
        if not (self.south <= lat <= self.north and self.west <= lon <= self.east):
            return False
        edges = self._bands[self._band(lat)]
        inside = False
        for i in range(0, len(edges), 4):
            x1, y1, x2, y2 = edges[i], edges[i + 1], edges[i + 2], edges[i + 3]
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
        return inside


_border: Border | None = None
_lock = threading.Lock()


def in_sweden(lat: float, lon: float) -> bool:
    """True for a point on Swedish land or in Swedish waters."""
    global _border
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return False
    if _border is None:
        with _lock:  # read once per process
            if _border is None:
                _border = Border.read(BORDER_FILE)
    return _border.contains(lat, lon)
