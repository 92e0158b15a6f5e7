"""Who is told about a tip: the routing table of DESIGN.md, quiet hours and stale phones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, exists, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.radius import homes_within
from grannsamverkan.models import Membership, Tip, User
from grannsamverkan.models.types import id_among
from grannsamverkan.services.local_time import in_quiet_hours

# Routing table (DESIGN.md): who hears of each category besides the police.
NEIGHBOUR_CATEGORIES = frozenset(
    {
        "burglary",
        "attempted_burglary",
        "suspicious_person",
        "suspicious_vehicle",
        "suspicious_activity",
    }
)
CONTACT_PERSON_CATEGORIES = NEIGHBOUR_CATEGORIES | {"vandalism", "unsafe_place"}
# Categories whose alerts ring even in quiet hours: a burglary in progress.
URGENT_CATEGORIES = frozenset({"burglary"})
MAX_RADIUS_M = 2000


@dataclass(frozen=True)
class Recipient:
    user_id: int
    silent: bool
    # Chosen by distance from home: only their recently seen phones are pushed to.
    by_radius: bool


def is_alerted(category: str) -> bool:
    """Does this category reach any member at all (neighbours or contact persons)?"""
    return category in CONTACT_PERSON_CATEGORIES


def choose_recipients(tip: Tip, *, at: datetime) -> list[Recipient]:
    """Everyone who gets an alert for this tip, never its reporter."""
    # user id → (their alert settings, chosen by radius)
    chosen: dict[int, tuple[Row[Any], bool]] = {}
    if tip.category in NEIGHBOUR_CATEGORIES:
        for person in _neighbours(tip):
            if _wants(person.categories, tip.category):
                chosen[person.id] = (person, True)
    if tip.category in CONTACT_PERSON_CATEGORIES:
        for person in _area_people(tip):
            if person.role == "contact_person":
                # Their duty: whatever their home, radius or categories.
                chosen[person.id] = (person, False)
            elif tip.category in NEIGHBOUR_CATEGORIES and _wants(person.categories, tip.category):
                # Protected personal data: area-wide alerts, no radius test.
                chosen.setdefault(person.id, (person, False))
    chosen.pop(tip.reporter_id, None)  # type: ignore[arg-type]
    urgent = tip.category in URGENT_CATEGORIES
    return [
        Recipient(
            user_id=user_id,
            silent=not urgent and in_quiet_hours(person.quiet_start, person.quiet_end, at),
            by_radius=by_radius,
        )
        for user_id, (person, by_radius) in sorted(chosen.items())
    ]


# What routing needs to know of a person: their choices of categories and quiet hours.
_SETTINGS = (User.id, User.categories, User.quiet_start, User.quiet_end)


def _is_active_member() -> object:
    return exists().where(Membership.user_id == User.id, Membership.status == "active")


def _wants(categories: list[str] | None, category: str) -> bool:
    return categories is None or category in categories


def _neighbours(tip: Tip) -> list[Row[Any]]:
    """Active members whose home is within their own radius (at most 2 km) of the tip."""
    nearby = homes_within(
        tip.lat,
        tip.lon,
        MAX_RADIUS_M,
        where=[_is_active_member(), User.home_protected.is_(False)],  # type: ignore[list-item]
        own_radius=True,
    )
    in_range = [home.user_id for home in nearby]
    if not in_range:
        return []
    return list(db.session.execute(select(*_SETTINGS).where(id_among(User.id, in_range))))


def _area_people(tip: Tip) -> list[Row[Any]]:
    """The tip's area's active contact persons and its members with protected data."""
    return list(
        db.session.execute(
            select(*_SETTINGS, Membership.role)
            .join(Membership, Membership.user_id == User.id)
            .where(
                Membership.area_id == tip.area_id,
                Membership.status == "active",
                or_(Membership.role == "contact_person", User.home_protected.is_(True)),
            )
        )
    )
