"""Households without a smartphone, registered in an area by its contact person."""

from __future__ import annotations

from typing import Any

from grannsamverkan.api.areas import load_area_for_member_admin
from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.errors import Forbidden
from grannsamverkan.extensions import db
from grannsamverkan.geo import geocoding
from grannsamverkan.models import Area
from grannsamverkan.schemas.households import HouseholdCreateSchema, HouseholdSchema
from grannsamverkan.services import households, permissions

blp = Blueprint(
    "households",
    __name__,
    description="Households without a smartphone, reached by SMS or e-mail",
)


def load_area_for_households(area_id: int) -> Area:
    area = load_area_for_member_admin(area_id)
    if not permissions.can_register_households(current_user(), area):
        raise Forbidden("Only the area's contact persons and police register households.")
    return area


@blp.route("/areas/<int:area_id>/households", methods=["POST"])
@auth_required
@checks_access
@blp.arguments(HouseholdCreateSchema)
@blp.response(201, HouseholdSchema)
def register_household(body: dict[str, Any], area_id: int) -> Any:
    """Register a household without a smartphone in the area, with the resident's consent:
    it becomes an active member reached by SMS and/or e-mail, and cannot sign in."""
    area = load_area_for_households(area_id)
    home, consent = body.pop("home"), body.pop("consent")
    if "lat" not in home:
        place = geocoding.geocode(home["address"], field="home.address")
        home = {"lat": place.lat, "lon": place.lon, "address": place.address}
    user = households.register_household(
        actor=current_user(),
        area=area,
        **body,
        lat=home["lat"],
        lon=home["lon"],
        address=home.get("address"),
        consent_given_on=consent["given_on"],
        consent_method=consent["method"],
    )
    db.session.commit()
    return user


@blp.route("/areas/<int:area_id>/households/<int:user_id>", methods=["DELETE"])
@auth_required
@checks_access
@blp.response(204)
def remove_household(area_id: int, user_id: int) -> None:
    """Erase a registered household on the resident's request (its number, address and
    e-mail go; delivery counts stay)."""
    area = load_area_for_households(area_id)
    households.remove_household(households.find_household(area, user_id))
    db.session.commit()
