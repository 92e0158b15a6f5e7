"""Who is told about a tip: the routing table of DESIGN.md, quiet hours, stale phones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.radius import homes_within
from grannsamverkan.models import Membership, Tip, User

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
LOCAL_TIME = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class Recipient:
    user_id: int
    silent: bool
    # Chosen by distance from home: only their recently seen phones are pushed to.
    by_radius: bool


def is_alerted(category: str) -> bool:
    """Does this category reach any member at all (neighbours or contact persons)?"""
    return category in CONTACT_PERSON_CATEGORIES


def in_quiet_hours(start: str | None, end: str | None, at: datetime) -> bool:
    """Quiet hours are local Swedish time and may span midnight (22:00–07:00)."""
    if start is None or end is None:
        return False
    now = at.astimezone(LOCAL_TIME).time()
    begin, finish = time.fromisoformat(start), time.fromisoformat(end)
    if begin <= finish:
        return begin <= now < finish
    return now >= begin or now < finish


def choose_recipients(tip: Tip, *, at: datetime) -> list[Recipient]:
    """Everyone who gets an alert for this tip, never its reporter."""
    chosen: dict[int, bool] = {}  # user id → chosen by radius
    if tip.category in NEIGHBOUR_CATEGORIES:
        for user_id in _neighbours(tip):
            chosen[user_id] = True
        for user_id in _protected_members(tip):
            chosen.setdefault(user_id, False)
    if tip.category in CONTACT_PERSON_CATEGORIES:
        for user_id in _contact_persons(tip):
            chosen[user_id] = False
    chosen.pop(tip.reporter_id, None)  # type: ignore[arg-type]
    if not chosen:
        return []
    urgent = tip.category in URGENT_CATEGORIES
    quiet = {
        user_id: (start, end)
        for user_id, start, end in db.session.execute(
            select(User.id, User.quiet_start, User.quiet_end).where(User.id.in_(list(chosen)))
        )
    }
    return [
        Recipient(
            user_id=user_id,
            silent=not urgent and in_quiet_hours(*quiet[user_id], at),
            by_radius=by_radius,
        )
        for user_id, by_radius in sorted(chosen.items())
    ]


def _is_active_member() -> object:
    return exists().where(Membership.user_id == User.id, Membership.status == "active")


def _wants(categories: list[str] | None, category: str) -> bool:
    return categories is None or category in categories


def _neighbours(tip: Tip) -> list[int]:
    """Active members whose home is within their own radius (at most 2 km) of the tip."""
    nearby = homes_within(
        tip.lat,
        tip.lon,
        MAX_RADIUS_M,
        where=[_is_active_member(), User.home_protected.is_(False)],  # type: ignore[list-item]
    )
    in_range = [h.user_id for h in nearby if h.distance_m <= min(h.alert_radius_m, MAX_RADIUS_M)]
    if not in_range:
        return []
    categories = db.session.execute(
        select(User.id, User.categories).where(User.id.in_(in_range))
    ).all()
    return [user_id for user_id, cats in categories if _wants(cats, tip.category)]


def _protected_members(tip: Tip) -> list[int]:
    """Members with protected personal data get their area's alerts without a radius test."""
    rows = db.session.execute(
        select(User.id, User.categories)
        .join(Membership, and_(Membership.user_id == User.id, Membership.area_id == tip.area_id))
        .where(Membership.status == "active", User.home_protected.is_(True))
    ).all()
    return [user_id for user_id, cats in rows if _wants(cats, tip.category)]


def _contact_persons(tip: Tip) -> list[int]:
    return list(
        db.session.scalars(
            select(Membership.user_id).where(
                Membership.area_id == tip.area_id,
                Membership.status == "active",
                Membership.role == "contact_person",
            )
        )
    )
