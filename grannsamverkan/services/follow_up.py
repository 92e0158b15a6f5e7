"""The Lokala BRÅ follow-up of the citizen promise: for a period and the one before it, the
tips per priority of the promise and per category and month, traffic kinds and hot spots,
Grannsamverkan's coverage, the warnings and training events sent and how many took a place,
and how fast a tip reached the first phone. Counts only, never a person.

Counts from 1 to SMALLEST_SHOWN - 1 are shown as "<3" wherever the report leaves the
service (shown_count): a printed report or a spreadsheet leaves the police office, and a
count of one in a small area can point at a household. A median time needs at least
SMALLEST_SHOWN tips behind it.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import (
    Alert,
    Area,
    Broadcast,
    BroadcastMunicipality,
    Delivery,
    Membership,
    Rsvp,
    Tip,
)
from grannsamverkan.models.tip import TIME_OF_DAY_PERIODS, TRAFFIC_KINDS
from grannsamverkan.services import stats, traffic
from grannsamverkan.services.follow_up_periods import Period
from grannsamverkan.services.local_time import local_day_start

SMALLEST_SHOWN = 3
HOTSPOTS_SHOWN = 10

# The priorities of the citizen promise, and the tip categories that speak of each. Violence
# in close relationships is not a category: it is the tips the app sent to police only.
PRIORITIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("traffic", ("traffic",)),
    (
        "burglary",
        (
            "burglary",
            "attempted_burglary",
            "suspicious_person",
            "suspicious_vehicle",
            "suspicious_activity",
        ),
    ),
    ("alcohol_narcotics", ("narcotics",)),
    ("close_relationships", ()),
    ("general_safety", ("unsafe_place", "vandalism")),
)
CLOSE_RELATIONSHIPS = "close_relationships"


def shown_count(count: int | None) -> str:
    """A count as the report shows it: 1 and 2 become "<3"; 0 stays 0 (nobody)."""
    if count is None:
        return ""
    return f"<{SMALLEST_SHOWN}" if 0 < count < SMALLEST_SHOWN else str(count)


@dataclass(frozen=True)
class Compared:
    current: int
    previous: int

    @property
    def change(self) -> int | None:
        """The difference, only when neither count is hidden."""
        if any(0 < n < SMALLEST_SHOWN for n in (self.current, self.previous)):
            return None
        return self.current - self.previous


@dataclass(frozen=True)
class Coverage:
    areas: Compared
    households: Compared
    municipality_households: int | None  # configured (GSV_MUNICIPALITY_HOUSEHOLDS), or None

    def share(self, households: int) -> float | None:
        """Active households as a share of the municipality's, when that number is known."""
        if not self.municipality_households:
            return None
        return households / self.municipality_households


@dataclass(frozen=True)
class FollowUp:
    period: Period
    previous: Period
    municipality_codes: list[str] | None
    priorities: dict[str, Compared]
    by_category_month: list[dict[str, Any]]
    traffic_kinds: dict[str, Compared]
    traffic_times: dict[str, int]
    hotspots: list[traffic.Hotspot]
    coverage: Coverage
    broadcasts: dict[str, Compared]
    events_held: Compared
    places_taken: Compared
    minutes_to_push: tuple[float | None, float | None]


@dataclass(frozen=True)
class _Scope:
    codes: list[str] | None

    def areas(self) -> Any:
        query = select(Area.id)
        return query if self.codes is None else query.where(Area.municipality_code.in_(self.codes))


def _bounds(period: Period) -> tuple[Any, Any]:
    return local_day_start(period.first), local_day_start(period.last + timedelta(days=1))


def follow_up(
    *, period: Period, municipality_codes: list[str] | None, households: dict[str, int]
) -> FollowUp:
    """The report for ``period`` (and the period before it) in the municipalities given
    (None: all); ``households`` per municipality code, where configured."""
    scope = _Scope(municipality_codes)
    previous = period.before()
    pairs = {which: (scope, p) for which, p in (("current", period), ("previous", previous))}

    def compare(count: Any) -> Any:
        now, before = count(*pairs["current"]), count(*pairs["previous"])
        if isinstance(now, dict):
            return {key: Compared(now.get(key, 0), before.get(key, 0)) for key in now | before}
        return Compared(now, before)

    kinds = compare(_traffic_kinds)
    return FollowUp(
        period=period,
        previous=previous,
        municipality_codes=municipality_codes,
        priorities=compare(_per_priority),
        by_category_month=stats.count_tips(
            municipality_codes=municipality_codes,
            group_by=("category", "month"),
            date_from=period.first,
            date_to=period.last,
            include_police_only=False,
        ),
        traffic_kinds={k: kinds.get(k, Compared(0, 0)) for k in TRAFFIC_KINDS},
        traffic_times=_traffic_times(scope, period),
        hotspots=traffic.traffic_hotspots(
            municipality_codes=municipality_codes, date_from=period.first, date_to=period.last
        )[:HOTSPOTS_SHOWN],
        coverage=Coverage(
            areas=compare(_areas),
            households=compare(_households),
            municipality_households=_municipality_households(municipality_codes, households),
        ),
        broadcasts=compare(_broadcasts),
        events_held=compare(_events_held),
        places_taken=compare(_places_taken),
        minutes_to_push=(_median_minutes(scope, period), _median_minutes(scope, previous)),
    )


def _municipality_households(codes: list[str] | None, households: dict[str, int]) -> int | None:
    """The households of every municipality in scope, when each is configured."""
    if not codes or any(code not in households for code in codes):
        return None
    return sum(households[code] for code in codes)


def _tips(scope: _Scope, period: Period) -> Any:
    start, end = _bounds(period)
    return Tip.area_id.in_(scope.areas()), Tip.created_at >= start, Tip.created_at < end


def _per_priority(scope: _Scope, period: Period) -> dict[str, int]:
    counted = db.session.execute(
        select(Tip.category, Tip.police_only, func.count(Tip.id))
        .where(*_tips(scope, period), Tip.status != "rejected")
        .group_by(Tip.category, Tip.police_only)
    )
    by_priority = dict.fromkeys((key for key, _c in PRIORITIES), 0)
    for category, police_only, count in counted:
        if police_only:
            by_priority[CLOSE_RELATIONSHIPS] += count
            continue
        for key, categories in PRIORITIES:
            if category in categories:
                by_priority[key] += count
    return by_priority


def _traffic_rows(scope: _Scope, period: Period, column: Any) -> Any:
    return db.session.execute(
        select(column, func.count(Tip.id))
        .where(
            *_tips(scope, period),
            Tip.category == "traffic",
            Tip.status != "rejected",
            Tip.police_only.is_(False),
        )
        .group_by(column)
    )


def _traffic_kinds(scope: _Scope, period: Period) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for kind, count in _traffic_rows(scope, period, Tip.traffic_kind):
        counts[kind or "other"] += count  # tips from before kinds were asked for
    return dict(counts)


def _traffic_times(scope: _Scope, period: Period) -> dict[str, int]:
    """Traffic tips per coarse time of day; "" for those that gave none."""
    counts: Counter[str] = Counter()
    for time_of_day, count in _traffic_rows(scope, period, Tip.time_of_day):
        counts[traffic.time_period(time_of_day) or ""] += count
    return {key: counts.get(key, 0) for key in (*TIME_OF_DAY_PERIODS, "")}


def _areas(scope: _Scope, period: Period) -> int:
    _start, end = _bounds(period)
    query = select(func.count(Area.id)).where(Area.id.in_(scope.areas()), Area.created_at < end)
    return db.session.scalar(query) or 0


def _households(scope: _Scope, period: Period) -> int:
    """Active households at the period's end: memberships active now that began by then (a
    membership ended since is not counted: its history is not kept)."""
    _start, end = _bounds(period)
    query = select(func.count(Membership.id)).where(
        Membership.area_id.in_(scope.areas()),
        Membership.status == "active",
        Membership.created_at < end,
    )
    return db.session.scalar(query) or 0


def _broadcasts_in(scope: _Scope) -> Any:
    """Broadcasts into the municipalities in scope (each once), not cancelled."""
    query = select(Broadcast.id).where(Broadcast.status != "cancelled")
    if scope.codes is not None:
        reaching = select(BroadcastMunicipality.broadcast_id).where(
            BroadcastMunicipality.municipality_code.in_(scope.codes)
        )
        query = query.where(Broadcast.id.in_(reaching))
    return query


def _broadcasts(scope: _Scope, period: Period) -> dict[str, int]:
    """Fraud warnings and notices sent in the period, per kind."""
    start, end = _bounds(period)
    counted = db.session.execute(
        select(Broadcast.kind, func.count(Broadcast.id))
        .where(
            Broadcast.id.in_(_broadcasts_in(scope)),
            Broadcast.kind != "training_event",
            Broadcast.created_at >= start,
            Broadcast.created_at < end,
        )
        .group_by(Broadcast.kind)
    )
    return {"fraud_warning": 0, "notice": 0, **{kind: count for kind, count in counted}}


def _events(scope: _Scope, period: Period) -> Any:
    start, end = _bounds(period)
    return select(Broadcast.id).where(
        Broadcast.id.in_(_broadcasts_in(scope)),
        Broadcast.kind == "training_event",
        Broadcast.starts_at >= start,
        Broadcast.starts_at < end,
    )


def _events_held(scope: _Scope, period: Period) -> int:
    events = _events(scope, period).subquery()
    return db.session.scalar(select(func.count()).select_from(events)) or 0


def _places_taken(scope: _Scope, period: Period) -> int:
    """Places taken at the period's training events (confirmed sign-ups; attendance on the
    day is not recorded)."""
    query = select(func.count(Rsvp.id)).where(
        Rsvp.broadcast_id.in_(_events(scope, period)), Rsvp.status == "confirmed"
    )
    return db.session.scalar(query) or 0


def _median_minutes(scope: _Scope, period: Period) -> float | None:
    """The median time from a tip to its first push sent, in minutes; None with fewer than
    SMALLEST_SHOWN such tips."""
    first_push = (
        select(Tip.created_at, func.min(Delivery.updated_at))
        .join(Alert, Alert.tip_id == Tip.id)
        .join(Delivery, Delivery.alert_id == Alert.id)
        .where(*_tips(scope, period), Delivery.state == "sent", Delivery.channel == "push")
        .group_by(Tip.id, Tip.created_at)
    )
    waits = [
        max((sent - reported).total_seconds(), 0) / 60
        for reported, sent in db.session.execute(first_push)
        if sent is not None
    ]
    if len(waits) < SMALLEST_SHOWN:
        return None
    return round(statistics.median(waits), 1)


def month_counts(report: FollowUp) -> dict[tuple[str, str], int]:
    """(category, month) → tips, from the report's category-and-month rows."""
    return {(row["category"], row["month"]): row["count"] for row in report.by_category_month}
