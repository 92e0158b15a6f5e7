"""Traffic hot spots for police and the municipality, to plan speed checks and street works."""

from __future__ import annotations

from typing import Any

from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.errors import Forbidden
from grannsamverkan.models import User
from grannsamverkan.schemas.traffic import HotspotCollectionSchema, HotspotQuerySchema
from grannsamverkan.services import permissions, traffic

blp = Blueprint(
    "traffic",
    __name__,
    description="Traffic hot spots (police and municipality staff of their municipalities)",
)


def hotspot_scope(user: User, municipality_code: str | None) -> list[str] | None:
    """The municipality codes whose hot spots the caller sees (403 if none may be asked for);
    None means all (admins)."""
    if not permissions.can_see_traffic_hotspots(user):
        raise Forbidden("Traffic hot spots are for police, the municipality and admins.")
    if municipality_code is None:
        return permissions.served_municipalities(user)
    if not permissions.sees_traffic_hotspots_of(user, municipality_code):
        raise Forbidden("You see statistics only for the municipalities you serve.")
    return [municipality_code]


@blp.route("/traffic/hotspots", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(HotspotQuerySchema, location="query")
@blp.response(200, HotspotCollectionSchema)
def traffic_hotspots(query: dict[str, Any]) -> Any:
    """Traffic tips counted on a coarse grid (cells of at least 200 m; cells with fewer than
    3 tips left out), as GeoJSON."""
    codes = hotspot_scope(current_user(), query.get("municipality_code"))
    spots = traffic.traffic_hotspots(
        municipality_codes=codes,
        date_from=query.get("date_from"),
        date_to=query.get("date_to"),
        kind=query.get("kind"),
    )
    return traffic.hotspots_geojson(spots)
