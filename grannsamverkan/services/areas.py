"""Street areas: creation, settings and the public listing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import bounding_box, distance_m
from grannsamverkan.models import Area, User
from grannsamverkan.services import audit

NEAR_RADIUS_M = 10_000


# What an area's settings are, for the audit trail of their changes.
SETTINGS = ("name", "boundary", "tip_moderation")


def create_area(  # noqa: PLR0913 - the fields of AreaCreateSchema, and who acts
    *,
    actor: User,
    name: str,
    municipality_code: str,
    center: dict[str, float],
    boundary: dict[str, Any] | None = None,
    tip_moderation: bool = False,
) -> Area:
    """A new street area; the caller serves its municipality."""
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
    after = {"municipality_code": municipality_code, **_settings(area)}
    audit.record(actor, "area.create", area, audit.changed({}, after))
    return area


def update_area(area: Area, changes: dict[str, Any], *, actor: User) -> Area:
    """Rename the area, change its boundary or its tip moderation; the caller manages it."""
    before = _settings(area)
    for field in SETTINGS:
        if field in changes:
            setattr(area, field, changes[field])
    db.session.flush()
    if difference := audit.changed(before, _settings(area)):
        audit.record(actor, "area.update", area, difference)
    return area


def _settings(area: Area) -> dict[str, Any]:
    return {field: getattr(area, field) for field in SETTINGS}


def areas_query(*, municipality_code: str | None = None) -> Select[Area]:
    """Areas, of one municipality if given, in the order they were made."""
    query = select(Area).order_by(Area.id)
    if municipality_code:
        query = query.where(Area.municipality_code == municipality_code)
    return query


def areas_near(
    near: tuple[float, float], *, municipality_code: str | None = None
) -> list[tuple[float, int, Area]]:
    """(distance in metres, id, area) of the areas whose centre lies within 10 km of the
    point, nearest first. Only areas in the surrounding box are read."""
    box = bounding_box(near[0], near[1], NEAR_RADIUS_M)
    query = areas_query(municipality_code=municipality_code).where(
        Area.center_lat.between(box.min_lat, box.max_lat),
        Area.center_lon.between(box.min_lon, box.max_lon),
    )
    ranked = [
        (distance_m(near, (area.center_lat, area.center_lon)), area.id, area)
        for area in db.session.scalars(query)
    ]
    return sorted(
        (entry for entry in ranked if entry[0] <= NEAR_RADIUS_M), key=lambda e: (e[0], e[1])
    )
