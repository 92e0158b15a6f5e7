"""Traffic as the citizen promise names it: the kinds of traffic tips, their time of day, and
the hot spots where they gather, for planning speed checks and street works.

Hot spots are counted on the coarsening grid (geo/coarsen.py: cells of at least 200 m on
each side anywhere in Sweden, about 222 × 310 m in Vimmerby) and a cell with fewer than
SMALLEST_HOTSPOT tips is left out, so that no single household's complaint can be told
apart. Rejected tips and police-only tips are never counted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import LAT_STEP, LON_STEP, cell_bounds, coarsen
from grannsamverkan.models import Area, Tip
from grannsamverkan.models.tip import TIME_OF_DAY_PERIODS
from grannsamverkan.services.local_time import local_day_start

SMALLEST_HOTSPOT = 3
# Where each coarse period starts (local hour); a period runs to the next one's start.
PERIOD_STARTS = {"night": 0, "morning": 6, "day": 10, "evening": 18}


def time_period(time_of_day: str | None) -> str | None:
    """The coarse period of a tip's time of day: "22:40" → "evening"; periods as they are."""
    if time_of_day is None or time_of_day in TIME_OF_DAY_PERIODS:
        return time_of_day
    hour = int(time_of_day[:2])
    return max(
        (period for period, start in PERIOD_STARTS.items() if start <= hour),
        key=PERIOD_STARTS.__getitem__,
    )


@dataclass
class Hotspot:
    """One grid cell with at least SMALLEST_HOTSPOT traffic tips."""

    bounds: tuple[float, float, float, float]  # south, west, north, east
    count: int
    kinds: dict[str, int] = field(default_factory=dict)
    area_names: list[str] = field(default_factory=list)

    @property
    def centre(self) -> dict[str, float]:
        south, west, north, east = self.bounds
        return coarsen((south + north) / 2, (west + east) / 2)


def traffic_tips_query(
    *,
    municipality_codes: list[str] | None,
    date_from: date | None = None,
    date_to: date | None = None,
    kind: str | None = None,
) -> Any:
    """The traffic tips counted: in scope and period, neither rejected nor police-only."""
    query = (
        select(Tip.lat, Tip.lon, Tip.traffic_kind, Area.name)
        .join(Area, Area.id == Tip.area_id)
        .where(Tip.category == "traffic", Tip.status != "rejected", Tip.police_only.is_(False))
    )
    if municipality_codes is not None:
        query = query.where(Area.municipality_code.in_(municipality_codes))
    if date_from is not None:
        query = query.where(Tip.created_at >= local_day_start(date_from))
    if date_to is not None:
        query = query.where(Tip.created_at < local_day_start(date_to + timedelta(days=1)))
    if kind is not None:
        query = query.where(Tip.traffic_kind == kind)
    return query


def traffic_hotspots(**selection: Any) -> list[Hotspot]:
    """The hot spots of the traffic tips selected (traffic_tips_query's arguments), the
    busiest first; cells under SMALLEST_HOTSPOT tips are left out, and so are the kinds
    counted fewer than that within a cell."""
    cells: dict[tuple[float, float, float, float], Counter[str]] = defaultdict(Counter)
    areas: dict[tuple[float, float, float, float], Counter[str]] = defaultdict(Counter)
    for lat, lon, kind, area_name in db.session.execute(traffic_tips_query(**selection)):
        bounds = cell_bounds(lat, lon)
        cells[bounds][kind or "other"] += 1
        areas[bounds][area_name] += 1
    spots = [
        Hotspot(
            bounds=bounds,
            count=sum(kinds.values()),
            kinds={k: n for k, n in kinds.most_common() if n >= SMALLEST_HOTSPOT},
            area_names=[name for name, _n in areas[bounds].most_common()],
        )
        for bounds, kinds in cells.items()
        if sum(kinds.values()) >= SMALLEST_HOTSPOT
    ]
    return sorted(spots, key=lambda spot: (-spot.count, spot.bounds))


def hotspots_geojson(spots: list[Hotspot]) -> dict[str, Any]:
    """The hot spots as a GeoJSON FeatureCollection (RFC 7946) of cell polygons."""
    features = []
    for spot in spots:
        south, west, north, east = spot.bounds
        ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {
                    "count": spot.count,
                    "kinds": spot.kinds,
                    "centre": spot.centre,
                    "areas": spot.area_names,
                },
            }
        )
    return {
        "type": "FeatureCollection",
        "features": features,
        "cell": {"lat_step": LAT_STEP, "lon_step": LON_STEP},
        "smallest_count": SMALLEST_HOTSPOT,
    }
