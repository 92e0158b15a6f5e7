"""Maps of tips: the points each user may see (raw for police of the area, the coarsened grid
cell for everyone else), with the tile settings, for tip-map.js."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import current_app
from flask_babel import format_datetime

from grannsamverkan.console import labels
from grannsamverkan.console.tips.blueprint import detail_url
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import Tip, User
from grannsamverkan.services import permissions


@dataclass(frozen=True)
class MapPoint:
    lat: float
    lon: float
    label: str
    href: str


@dataclass(frozen=True)
class MapView:
    """What tip-map.js draws: points (raw or coarsened already), the tiles, a caption."""

    points: list[MapPoint]
    tiles: str
    attribution: str
    exact: bool

    @property
    def data(self) -> dict[str, Any]:
        return {
            "points": [p.__dict__ for p in self.points],
            "tiles": self.tiles,
            "attribution": self.attribution,
        }


def tip_map(user: User, tips: list[Tip]) -> MapView:
    """The map of ``tips`` as ``user`` may see it."""
    points = []
    exact = True
    for tip in tips:
        if permissions.sees_exact_tip_point(user, tip):
            lat, lon = tip.lat, tip.lon
        else:
            exact = False
            cell = coarsen(tip.lat, tip.lon)
            lat, lon = cell["lat"], cell["lon"]
        label = f"{labels.category(tip.category)}, {format_datetime(tip.created_at, 'd MMM')}"
        points.append(MapPoint(lat, lon, label, detail_url(tip)))
    config = current_app.config
    return MapView(points, config["GSV_MAP_TILES"], config["GSV_MAP_ATTRIBUTION"], exact)
