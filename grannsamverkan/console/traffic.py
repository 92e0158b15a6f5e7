"""Traffic hot spots (police, municipality staff and admins): where traffic tips gather on a
coarse grid, on a map and in a table, to plan speed checks and street works. The numbers are
GET /api/v1/traffic/hotspots's (services/traffic.py): cells under 3 tips are left out."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import gettext as _

from grannsamverkan.api.traffic import hotspot_scope
from grannsamverkan.console import labels
from grannsamverkan.console.errors import error_page
from grannsamverkan.console.follow_up import (
    asked_period,
    bad_period_page,
    period_choices,
    period_label,
)
from grannsamverkan.console.session import console_user
from grannsamverkan.console.stats import Choice
from grannsamverkan.models.tip import TRAFFIC_KINDS
from grannsamverkan.services import traffic

bp = Blueprint("traffic", __name__)

# Where the map opens when there is no hot spot: Vimmerby, the first municipality served.
DEFAULT_CENTRE = {"lat": 57.6663, "lon": 15.8557}


@bp.get("/traffic")
def index() -> Any:
    """The period's traffic hot spots on a map and in a table."""
    user = console_user()
    codes = hotspot_scope(user, None)
    period = asked_period(request.args.get("period", "").strip())
    kind = request.args.get("kind", "").strip() or None
    if period is None:
        return bad_period_page()
    if kind is not None and kind not in TRAFFIC_KINDS:
        return error_page(400, _("Choose a kind of traffic problem from the list"))
    spots = traffic.traffic_hotspots(
        municipality_codes=codes, date_from=period.first, date_to=period.last, kind=kind
    )
    config = current_app.config
    return render_template(
        "console/traffic/index.html",
        period=period_label(period),
        periods=period_choices(period.name),
        kinds=[Choice("", _("Every kind"), kind is None)]
        + [Choice(k, labels.label(labels.TRAFFIC_KIND, k), k == kind) for k in TRAFFIC_KINDS],
        rows=[_row(spot) for spot in spots],
        smallest=traffic.SMALLEST_HOTSPOT,
        map_data={
            "hotspots": traffic.hotspots_geojson(spots),
            "tiles": config["GSV_MAP_TILES"],
            "attribution": config["GSV_MAP_ATTRIBUTION"],
            "centre": DEFAULT_CENTRE,
            "label": _("%(count)s traffic tips in this square"),
        },
    )


def _row(spot: traffic.Hotspot) -> list[Any]:
    return [
        f"{spot.centre['lat']:.4f}, {spot.centre['lon']:.4f}",
        ", ".join(spot.area_names),
        {"text": spot.count, "numeric": True},
        ", ".join(labels.label(labels.TRAFFIC_KIND, kind) for kind in spot.kinds),
    ]
