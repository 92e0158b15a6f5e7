"""Where a tip lands: is its place one the reporter may tip about, and which area files it.

The rules (docs/privacy-and-routing.md, "Where tips land"):

1. The place is in Sweden (``geo/sweden.py``), else 422 on ``location``.
2. It lies within ``TIP_MARGIN_M`` of one of the reporter's active areas (inside the
   boundary, or within that distance of it; an area without a boundary is the circle
   ``UNBOUNDED_RADIUS_M`` around its centre), else 422 on ``location``. A member tips about
   their own neighbourhood and the streets just beyond it, not about another town.
3. The tip is filed under the area that contains the place: the reporter's own if one of
   theirs does, else any other area that does (of any municipality), else the reporter's
   nearest area. That area's contact persons and its municipality's police then see it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import defer

from grannsamverkan.errors import Invalid
from grannsamverkan.extensions import db
from grannsamverkan.geo.area_reach import UNBOUNDED_RADIUS_M, distance_to_area_m
from grannsamverkan.geo.distance import bounding_box, distance_m
from grannsamverkan.geo.sweden import in_sweden
from grannsamverkan.models import Area, Membership, User

TIP_MARGIN_M = 2000
# Areas are a few streets: no area's boundary reaches further than this from its centre.
# Areas whose centre lies further from a tip are not asked whether they contain it.
MAX_AREA_EXTENT_M = 20_000

OUTSIDE_SWEDEN = "The place must be in Sweden. Check that latitude and longitude are not swapped."
OUTSIDE_AREAS = (
    f"The place is more than {TIP_MARGIN_M // 1000} km from your neighbourhood watch areas; "
    "send tips about your own neighbourhood. Call 112 if a crime is in progress."
)


def _distance(area: Area, lat: float, lon: float) -> float:
    return distance_to_area_m(
        boundary=area.boundary, center=(area.center_lat, area.center_lon), lat=lat, lon=lon
    )


def _centre_distance(area: Area, lat: float, lon: float) -> tuple[float, int]:
    return (distance_m((lat, lon), (area.center_lat, area.center_lon)), area.id)


def active_areas(user: User) -> list[Area]:
    """The areas the user is an active member (or contact person) of."""
    return list(
        db.session.scalars(
            select(Area)
            .join(Membership, Membership.area_id == Area.id)
            .where(Membership.user_id == user.id, Membership.status == "active")
            .order_by(Area.id)
            # Not the household count (a count over the area's memberships): every tip
            # reads these areas, none of their counts.
            .options(defer(Area.active_households))
        )
    )


def _other_areas_containing(lat: float, lon: float, *, besides: set[int]) -> list[Area]:
    box = bounding_box(lat, lon, MAX_AREA_EXTENT_M)
    nearby = db.session.scalars(
        select(Area).where(
            Area.center_lat.between(box.min_lat, box.max_lat),
            Area.center_lon.between(box.min_lon, box.max_lon),
        )
    )
    return [a for a in nearby if a.id not in besides and _distance(a, lat, lon) == 0]


def area_for_tip(*, reporter: User, lat: float, lon: float, field: str = "location") -> Area:
    """The area a tip at (lat, lon) by ``reporter`` is filed under; Invalid (422) on ``field``
    when the place is outside Sweden or too far from all of the reporter's areas."""
    if not in_sweden(lat, lon):
        raise Invalid(field, OUTSIDE_SWEDEN)
    own = active_areas(reporter)
    distances = {area.id: _distance(area, lat, lon) for area in own}
    if not own or min(distances.values()) > TIP_MARGIN_M:
        raise Invalid(field, OUTSIDE_AREAS)
    containing = [area for area in own if distances[area.id] == 0]
    if not containing:
        containing = _other_areas_containing(lat, lon, besides=set(distances))
    if containing:
        return min(containing, key=lambda area: _centre_distance(area, lat, lon))
    return min(own, key=lambda area: (distances[area.id], area.id))


__all__ = ["TIP_MARGIN_M", "UNBOUNDED_RADIUS_M", "active_areas", "area_for_tip"]
