"""Who a broadcast's target reaches, and which municipalities it reaches into.

A target names municipalities, areas and/or a circle. The author must serve every named
municipality and police every named area. A circle is clipped at the border of the author's
municipalities (admins: none): it reaches active members at home inside it and the
protected members (no stored home) of areas whose centre is inside it, in those
municipalities only. A circle that reaches no area of the author's at all is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import exists, func, select

from grannsamverkan.errors import N_, Forbidden, Invalid
from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import bounding_box, distance_m
from grannsamverkan.geo.radius import homes_within
from grannsamverkan.models import Area, Device, Membership, User
from grannsamverkan.services import alerts, broadcast_permissions, permissions


@dataclass
class Reach:
    """Who a target reaches and which municipalities it reaches into."""

    user_ids: set[int] = field(default_factory=set)
    municipality_codes: set[str] = field(default_factory=set)

    def add(self, other: Reach) -> None:
        self.user_ids |= other.user_ids
        self.municipality_codes |= other.municipality_codes


def reach_of(author: User, target: dict[str, Any]) -> Reach:
    """Everyone the target names, after checking the author may send there."""
    reach = Reach()
    codes = sorted(set(target.get("municipality_codes") or []))
    if codes:
        reach.add(_municipalities_reach(author, codes))
    area_ids = sorted(set(target.get("area_ids") or []))
    if area_ids:
        reach.add(_areas_reach(author, area_ids))
    circle = target.get("circle")
    if circle:
        reach.add(_circle_reach(author, circle))
    return reach


@dataclass(frozen=True)
class ReachPreview:
    """How many people (households' members) and registered phones a target would reach."""

    people: int
    phones: int


def preview_reach(author: User, target: dict[str, Any]) -> ReachPreview:
    """What sending to ``target`` would reach, counted as create_broadcast counts it (the
    author left out); checks the author may send there and writes nothing."""
    reach = reach_of(author, target)
    reach.user_ids.discard(author.id)
    user_ids = sorted(reach.user_ids)
    phones = 0
    for start in range(0, len(user_ids), alerts.CHUNK):
        phones += (
            db.session.scalar(
                select(func.count(Device.id)).where(
                    Device.user_id.in_(user_ids[start : start + alerts.CHUNK])
                )
            )
            or 0
        )
    return ReachPreview(people=len(user_ids), phones=phones)


def sendable_places(author: User) -> tuple[list[str], list[Area]]:
    """The municipalities and areas the author may name in a target (admins: all that have
    areas), for the console's form; sorted by code, then area name."""
    codes = permissions.served_municipalities(author)
    areas = select(Area).order_by(Area.municipality_code, Area.name, Area.id)
    if codes is not None:
        areas = areas.where(Area.municipality_code.in_(codes))
    found = list(db.session.scalars(areas))
    return sorted(codes if codes is not None else {a.municipality_code for a in found}), found


def _active_members() -> Any:
    return select(Membership.user_id).where(Membership.status == "active")


def _municipalities_reach(author: User, codes: list[str]) -> Reach:
    for code in codes:
        if not broadcast_permissions.broadcasts_to_municipality(author, code):
            raise Forbidden(N_("You do not serve municipality %(code)s.") % {"code": code})
    members = _active_members().join(Area, Area.id == Membership.area_id)
    user_ids = set(db.session.scalars(members.where(Area.municipality_code.in_(codes))))
    return Reach(user_ids, set(codes))


def _areas_reach(author: User, area_ids: list[int]) -> Reach:
    areas = list(db.session.scalars(select(Area).where(Area.id.in_(area_ids))))
    unknown = set(area_ids) - {a.id for a in areas}
    if unknown:
        raise Invalid("target.area_ids", N_("No such area: %(id)s.") % {"id": min(unknown)})
    for area in areas:
        if not broadcast_permissions.broadcasts_to_area(author, area):
            raise Forbidden(N_("Area %(id)s is outside your municipalities.") % {"id": area.id})
    user_ids = set(db.session.scalars(_active_members().where(Membership.area_id.in_(area_ids))))
    return Reach(user_ids, {a.municipality_code for a in areas})


def _circle_reach(author: User, circle: dict[str, Any]) -> Reach:
    clip = _Clip(permissions.served_municipalities(author))
    lat, lon, radius_m = circle["lat"], circle["lon"], circle["radius_m"]
    reach = _homes_in_circle(lat, lon, radius_m, clip)
    reach.add(_protected_in_circle(lat, lon, radius_m, clip))
    if clip.codes is not None and not reach.municipality_codes:
        raise Forbidden("The circle reaches no area in your municipalities.")
    return reach


@dataclass(frozen=True)
class _Clip:
    """Keeps a query to areas of the given municipalities (None: any)."""

    codes: list[str] | None

    def __call__(self, query: Any) -> Any:
        return query if self.codes is None else query.where(Area.municipality_code.in_(self.codes))


def _homes_in_circle(lat: float, lon: float, radius_m: int, clip: _Clip) -> Reach:
    """Active members of the clipped areas whose home lies in the circle."""
    member_of_allowed_area = exists(
        clip(
            select(Membership.id)
            .join(Area, Area.id == Membership.area_id)
            .where(Membership.user_id == User.id, Membership.status == "active")
        )
    )
    homes = homes_within(
        lat,
        lon,
        radius_m,
        where=[User.home_protected.is_(False), member_of_allowed_area],
    )
    user_ids = sorted({home.user_id for home in homes})
    return Reach(set(user_ids), _municipalities_of(user_ids, clip))


def _municipalities_of(user_ids: Sequence[int], clip: _Clip) -> set[str]:
    """The clipped municipalities these people are active members in."""
    codes: set[str] = set()
    for start in range(0, len(user_ids), alerts.CHUNK):
        codes |= set(
            db.session.scalars(
                clip(
                    select(Area.municipality_code)
                    .join(Membership, Membership.area_id == Area.id)
                    .where(
                        Membership.status == "active",
                        Membership.user_id.in_(user_ids[start : start + alerts.CHUNK]),
                    )
                    .distinct()
                )
            )
        )
    return codes


def _protected_in_circle(lat: float, lon: float, radius_m: int, clip: _Clip) -> Reach:
    """The protected members (no stored home) of clipped areas centred in the circle."""
    box = bounding_box(lat, lon, radius_m)
    candidates = db.session.execute(
        clip(
            select(Area.id, Area.center_lat, Area.center_lon, Area.municipality_code).where(
                Area.center_lat.between(box.min_lat, box.max_lat),
                Area.center_lon.between(box.min_lon, box.max_lon),
            )
        )
    ).all()
    inside = {
        area_id: code
        for area_id, c_lat, c_lon, code in candidates
        if distance_m((lat, lon), (c_lat, c_lon)) <= radius_m
    }
    if not inside:
        return Reach()
    protected = (
        _active_members()
        .join(User, User.id == Membership.user_id)
        .where(Membership.area_id.in_(list(inside)), User.home_protected.is_(True))
    )
    return Reach(set(db.session.scalars(protected)), set(inside.values()))
