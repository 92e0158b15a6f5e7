"""Street areas: creation, settings and the public listing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, false, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import bounding_box, distance_m
from grannsamverkan.models import Area, Membership, User
from grannsamverkan.services import permissions
from grannsamverkan.services.errors import Forbidden

NEAR_RADIUS_M = 10_000


def create_area(
    *,
    actor: User,
    name: str,
    municipality_code: str,
    center: dict[str, float],
    boundary: dict[str, Any] | None = None,
    tip_moderation: bool = False,
) -> Area:
    if not permissions.serves_municipality(actor, municipality_code):
        raise Forbidden("You can only create areas in the municipalities you serve.")
    area = Area(
        name=name.strip(),
        municipality_code=municipality_code,
        center_lat=center["lat"],
        center_lon=center["lon"],
        boundary=boundary,
        tip_moderation=tip_moderation,
    )
    db.session.add(area)
    db.session.flush()
    return area


def update_area(area: Area, changes: dict[str, Any]) -> Area:
    for field in ("name", "boundary", "tip_moderation"):
        if field in changes:
            setattr(area, field, changes[field])
    db.session.flush()
    return area


def list_areas(
    *, municipality_code: str | None = None, near: tuple[float, float] | None = None
) -> list[Area]:
    """Areas by municipality and/or within 10 km of a point (nearest first)."""
    query = select(Area).order_by(Area.id)
    if municipality_code:
        query = query.where(Area.municipality_code == municipality_code)
    if near is None:
        return list(db.session.scalars(query))
    box = bounding_box(near[0], near[1], NEAR_RADIUS_M)
    query = query.where(
        Area.center_lat.between(box.min_lat, box.max_lat),
        Area.center_lon.between(box.min_lon, box.max_lon),
    )
    with_distance = [
        (distance_m(near, (area.center_lat, area.center_lon)), area)
        for area in db.session.scalars(query)
    ]
    return [
        area for dist, area in sorted(with_distance, key=lambda p: p[0]) if dist <= NEAR_RADIUS_M
    ]


def managed_area_ids(user: User) -> Select[tuple[int]]:
    """The ids of the areas ``user`` manages: permissions.can_manage_area as SQL, for lists."""
    query = select(Area.id)
    if permissions.is_admin(user):
        return query
    contact_areas = select(Membership.area_id).where(
        Membership.user_id == user.id,
        Membership.status == "active",
        Membership.role == "contact_person",
    )
    policed = (
        Area.municipality_code.in_(user.municipality_codes)
        if user.role == "police" and user.municipality_codes
        else false()
    )
    return query.where(or_(policed, Area.id.in_(contact_areas)))
