"""Tips: reporting, moderation, duplicate hints, police triage and delivery reports."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NotRequired, TypedDict, Unpack

from sqlalchemy import Select, func, select
from sqlalchemy.orm import contains_eager, selectinload

from grannsamverkan.errors import Conflict, Invalid
from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.geo.distance import bounding_box, distance_m
from grannsamverkan.metrics import TIPS, count_on_commit
from grannsamverkan.models import Alert, Area, Delivery, Tip, User
from grannsamverkan.models.delivery import DELIVERY_STATES
from grannsamverkan.models.types import utcnow
from grannsamverkan.models.user import ALERT_CHANNELS
from grannsamverkan.services import (
    audit,
    notices,
    open311,
    permission_scopes,
    privacy,
    routing,
    sensitive,
    tip_outcomes,
    tip_places,
)
from grannsamverkan.services.alerts import AlertTarget, write_alert
from grannsamverkan.services.local_time import LOCAL_TIME, local_day_start

DUPLICATE_DISTANCE_M = 50
DUPLICATE_WINDOW = timedelta(minutes=30)
TIP_ALERT_LIFETIME = timedelta(hours=48)
# Clocks on phones drift; an observation a little in the future is accepted.
CLOCK_SKEW = timedelta(minutes=5)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportedTip:
    tip: Tip
    alert: Alert | None
    recipient_count: int


class TipReport(TypedDict):
    """What a member reports, as the create schema loads it (a geocoded address included)."""

    category: str
    description: str
    lat: float
    lon: float
    address: NotRequired[str | None]
    observed_at: NotRequired[datetime | None]
    vehicle: NotRequired[dict[str, Any] | None]
    traffic_kind: NotRequired[str | None]
    time_of_day: NotRequired[str | None]
    share_details_with_municipality: NotRequired[bool]


def report_tip(*, reporter: User, **report: Unpack[TipReport]) -> ReportedTip:
    """Store a member's tip and, unless its area moderates tips, alert the right people; a
    tip about violence in close relationships (services/sensitive.py) is for police only:
    no alert, no moderation. The reporter is an active member of an area
    (permissions.can_send_tips); the place must be one they may tip about, and picks the
    area (services/tip_places.py)."""
    now = utcnow()
    observed_at = report.get("observed_at")
    if observed_at is not None and observed_at > now + CLOCK_SKEW:
        raise Invalid("observed_at", "The observation cannot be in the future.")
    category, lat, lon = report["category"], report["lat"], report["lon"]
    area = tip_places.area_for_tip(reporter=reporter, lat=lat, lon=lon)
    vehicle = report.get("vehicle") or {}
    police_only = sensitive.concerns_close_relationship_violence(
        report["description"], vehicle.get("description")
    )
    tip = Tip(
        area=area,
        reporter=reporter,
        category=category,
        description=report["description"].strip(),
        lat=lat,
        lon=lon,
        address=report.get("address"),
        observed_at=observed_at,
        vehicle_registration=vehicle.get("registration"),
        vehicle_description=vehicle.get("description"),
        traffic_kind=report.get("traffic_kind"),
        time_of_day=report.get("time_of_day"),
        status="pending" if area.tip_moderation and not police_only else "open",
        police_only=police_only,
        share_details_with_municipality=bool(report.get("share_details_with_municipality")),
        duplicate_of_id=(
            None if police_only else find_duplicate(category=category, lat=lat, lon=lon, at=now)
        ),
        created_at=now,
    )
    db.session.add(tip)
    db.session.flush()
    count_on_commit(db.session, TIPS, category=category)
    log.info("tip stored", extra={"tip_id": tip.id, "category": category, "status": tip.status})
    if tip.status == "pending" or police_only:  # police find it in their list, nobody else
        reported = ReportedTip(tip, None, 0)
    else:
        open311.forward_automatically(tip)
        reported = _alert(tip, at=now)
    # After the alert: dispatchers claim by alert id, so the neighbours' pushes go first.
    notices.notify_tip_reported(tip, at=now)
    return reported


def find_duplicate(*, category: str, lat: float, lon: float, at: datetime) -> int | None:
    """An open tip of the same category within 50 m and 30 minutes: the one to link to."""
    box = bounding_box(lat, lon, DUPLICATE_DISTANCE_M)
    candidates = db.session.execute(
        select(Tip.id, Tip.lat, Tip.lon, Tip.duplicate_of_id)
        .where(
            Tip.category == category,
            Tip.created_at >= at - DUPLICATE_WINDOW,
            Tip.status.in_(("open", "investigating")),
            Tip.police_only.is_(False),
            Tip.lat.between(box.min_lat, box.max_lat),
            Tip.lon.between(box.min_lon, box.max_lon),
        )
        .order_by(Tip.created_at, Tip.id)
    ).all()
    for tip_id, tip_lat, tip_lon, duplicate_of_id in candidates:
        if distance_m((lat, lon), (tip_lat, tip_lon)) <= DUPLICATE_DISTANCE_M:
            return duplicate_of_id or tip_id  # link to the first report, not a chain
    return None


def _alert(tip: Tip, *, at: datetime) -> ReportedTip:
    if not routing.is_alerted(tip.category):
        return ReportedTip(tip, None, 0)
    cell = coarsen(tip.lat, tip.lon)
    alert = Alert(
        kind="tip",
        tip_id=tip.id,
        category=tip.category,
        title=tip.category,
        body=privacy.mask_text(tip.description),
        lat=cell["lat"],
        lon=cell["lon"],
        urgent=tip.category in routing.URGENT_CATEGORIES,
        created_at=at,
        updated_at=at,
        expires_at=at + TIP_ALERT_LIFETIME,
    )
    targets = [
        AlertTarget(r.user_id, r.silent, skip_stale_devices=r.by_radius)
        for r in routing.choose_recipients(tip, at=at)
    ]
    count = write_alert(alert, targets)
    return ReportedTip(tip, alert, count)


def moderate_tip(*, actor: User, tip: Tip, approve: bool, reason: str | None = None) -> ReportedTip:
    """A contact person or the area's police approve (the alert goes out now) or reject a
    waiting tip; a rejection's ``reason`` is kept for the reporter to read, and the reporter
    is told either way."""
    if tip.status != "pending":
        raise Conflict("This tip is not waiting for moderation.")
    now = utcnow()
    tip.moderated_by_id, tip.moderated_at = actor.id, now
    tip.status = "open" if approve else "rejected"
    if not approve:
        tip.rejection_reason = (reason or "").strip() or None
    audit.record(
        actor,
        "tip.approve" if approve else "tip.reject",
        tip,
        audit.changed(
            {"status": "pending"},
            {"status": tip.status, "rejection_reason": tip.rejection_reason},
        ),
    )
    db.session.flush()
    notices.notify_reporter(tip, "tip_approved" if approve else "tip_rejected", at=now)
    if not approve:
        return ReportedTip(tip, None, 0)
    open311.forward_automatically(tip)
    return _alert(tip, at=now)


def update_tip_status(
    *, actor: User, tip: Tip, status: str, note: str | None, reason: str | None = None
) -> Tip:
    """Police triage: the tip's status and, when given, their note. A tip waiting for
    moderation is not triaged (409): only approving it opens it, and sends its alert.

    Closing, rejecting or finding it a false alarm tells its reporter, and the phones its
    alert reached (services/tip_outcomes.py), once; a rejection's ``reason`` is kept for the
    reporter to read, as a moderator's."""
    if tip.status == "pending":
        raise Conflict("This tip waits for moderation: approve or reject it first.")
    changed = status != tip.status
    before = {"status": tip.status, "police_note": tip.police_note}
    tip.status = status
    if note is not None:
        tip.police_note = note
    if status == "rejected" and reason is not None:
        tip.rejection_reason = reason.strip() or None
    after = {"status": tip.status, "police_note": tip.police_note}
    audit.record(actor, "tip.status", tip, audit.changed(before, after))
    db.session.flush()
    if changed and status in notices.REPORTER_CODES:
        now = utcnow()
        notices.notify_reporter(tip, notices.REPORTER_CODES[status], at=now)
        tip_outcomes.settle_alert(tip, at=now)
    return tip


def visible_tips_query(user: User, *, filters: dict[str, Any]) -> Select[Any]:
    """GET /tips: own tips, the contact person's areas', the police's municipalities'.

    ``filters`` (TipQuerySchema): status, category, area_id; ``q``, words the description
    contains; ``date_from``/``date_to``, the days reported (Swedish local time, included)."""
    # The joined area, and a page's alerts, reporters and first reports in one statement
    # each: the views read them for every tip.
    query = (
        select(Tip)
        .join(Area, Area.id == Tip.area_id)
        .options(
            contains_eager(Tip.area),
            selectinload(Tip.alert),
            selectinload(Tip.reporter),
            selectinload(Tip.forward),
            selectinload(Tip.duplicate_of).joinedload(Tip.area),  # who may see the link
        )
    )
    scope = permission_scopes.tip_scope(user)
    if scope is not None:
        query = query.where(scope)
    for field in ("status", "category", "area_id"):
        if filters.get(field) is not None:
            query = query.where(getattr(Tip, field) == filters[field])
    for word in (filters.get("q") or "").split():
        query = query.where(Tip.description.icontains(word, autoescape=True))
    if filters.get("date_from") is not None:
        query = query.where(Tip.created_at >= local_day_start(filters["date_from"]))
    if filters.get("date_to") is not None:
        next_day = filters["date_to"] + timedelta(days=1)
        query = query.where(Tip.created_at < local_day_start(next_day))
    return query.order_by(Tip.created_at.desc(), Tip.id.desc())


# What a spreadsheet would run as a formula if a cell started with it (OWASP "CSV injection").
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_COLUMNS = (
    "id",
    "created_at",
    "observed_at",
    "category",
    "status",
    "municipality_code",
    "area",
    "address",
    "lat",
    "lon",
    "description",
    "vehicle_registration",
    "vehicle_description",
    "police_note",
    "duplicate_of",
)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(LOCAL_TIME).isoformat(timespec="minutes")
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def tips_csv(query: Select[Any], *, actor: User, filters: dict[str, Any]) -> str:
    """The selected tips as CSV (RFC 4180, a header row, Swedish local times) for police: raw
    points and full text, no reporter; cells that a spreadsheet would run are defused. The
    export is audited with its filters and the ids of the tips it held."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    tips = list(db.session.scalars(query))
    _audit_export(actor, filters, tips)
    for tip in tips:
        row = {
            "id": tip.id,
            "created_at": tip.created_at,
            "observed_at": tip.observed_at,
            "category": tip.category,
            "status": tip.status,
            "municipality_code": tip.area.municipality_code,
            "area": tip.area.name,
            "address": tip.address,
            "lat": tip.lat,
            "lon": tip.lon,
            "description": tip.description,
            "vehicle_registration": tip.vehicle_registration,
            "vehicle_description": tip.vehicle_description,
            "police_note": tip.police_note,
            "duplicate_of": tip.duplicate_of_id,
        }
        writer.writerow([_csv_cell(row[column]) for column in EXPORT_COLUMNS])
    return out.getvalue()


# An export's audit event names the tips it held, up to this many (beyond, the count).
AUDITED_EXPORT_IDS = 2000


def _audit_export(actor: User, filters: dict[str, Any], tips: list[Tip]) -> None:
    selection = {field: (None, value) for field, value in filters.items() if value is not None}
    codes = {tip.area.municipality_code for tip in tips}
    selection["rows"] = (None, len(tips))
    selection["tip_ids"] = (None, sorted(tip.id for tip in tips)[:AUDITED_EXPORT_IDS])
    audit.record(actor, "tips.export", audit.Target("tips", None, tuple(codes)), selection)


def delivery_report(tip: Tip) -> dict[str, Any]:
    """Counts (all channels, and by channel) and per-device states of the tip's alert's
    deliveries, follow-ups included: no tokens, no addresses, no people."""
    by_channel = {channel: dict.fromkeys(DELIVERY_STATES, 0) for channel in ALERT_CHANNELS}
    counts = dict.fromkeys(DELIVERY_STATES, 0)
    if tip.alert is None:
        return {"counts": counts, "by_channel": by_channel, "items": []}
    for channel, state, count in db.session.execute(
        select(Delivery.channel, Delivery.state, func.count())
        .where(Delivery.alert_id == tip.alert.id)
        .group_by(Delivery.channel, Delivery.state)
    ):
        by_channel.setdefault(channel, dict.fromkeys(DELIVERY_STATES, 0))[state] = count
        counts[state] += count
    items = db.session.scalars(
        select(Delivery).where(Delivery.alert_id == tip.alert.id).order_by(Delivery.id)
    ).all()
    return {"counts": counts, "by_channel": by_channel, "items": items}
