"""Police broadcasts: who they reach, their lifecycle (update, cancel), RSVPs with a waiting
list, event reminders, and who may see or change them.

Scope of a circle: a circle reaches only members of areas in municipalities the author
serves (admins: any), i.e. it is clipped at the border of the author's municipalities. If a
police officer's circle reaches no area of theirs at all (no such area's centre inside it
and no such member at home inside it), the broadcast is refused with 403.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, insert, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.geo.distance import bounding_box, distance_m
from grannsamverkan.geo.radius import homes_within
from grannsamverkan.models import (
    Alert,
    AlertRecipient,
    Area,
    Broadcast,
    BroadcastMunicipality,
    Membership,
    Rsvp,
    User,
)
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import permissions
from grannsamverkan.services.alerts import (
    AlertTarget,
    has_received,
    write_alert,
    write_deliveries,
)
from grannsamverkan.services.alerts import recipient_count as alert_recipient_count
from grannsamverkan.services.errors import Conflict, Forbidden, Invalid, NotFound
from grannsamverkan.services.routing import in_quiet_hours

REMINDER_LEAD = timedelta(hours=24)
# Recipient lists are written and looked up in slices, to stay far below the bound
# parameters a statement may carry (SQLite 32,766; PostgreSQL 65,535).
CHUNK = 5000


@dataclass(frozen=True)
class CreatedBroadcast:
    broadcast: Broadcast
    alert: Alert
    recipient_count: int


@dataclass(frozen=True)
class Reach:
    """Who a target reaches and which municipalities it reaches into."""

    user_ids: set[int]
    municipality_codes: set[str]


# --- who may see and change a broadcast -----------------------------------------------------


def is_targeted(user: User, broadcast: Broadcast) -> bool:
    """Is the user one of the broadcast's recipients (an inbox row of its alert)?"""
    return has_received(user, Alert.broadcast_id == broadcast.id)


def polices_broadcast(user: User, broadcast: Broadcast) -> bool:
    """Its author, admins, and police serving any municipality it reaches into."""
    if permissions.is_admin(user) or (user.role == "police" and broadcast.author_id == user.id):
        return True
    return any(permissions.serves_municipality(user, code) for code in broadcast.municipality_codes)


def can_see_broadcast(user: User, broadcast: Broadcast) -> bool:
    return polices_broadcast(user, broadcast) or is_targeted(user, broadcast)


def can_manage_broadcast(user: User, broadcast: Broadcast) -> bool:
    """Its author, admins, and police serving every municipality it reaches into."""
    if permissions.is_admin(user) or (user.role == "police" and broadcast.author_id == user.id):
        return True
    codes = broadcast.municipality_codes
    return bool(codes) and all(permissions.serves_municipality(user, c) for c in codes)


def load_visible_broadcast(user: User, broadcast_id: int) -> Broadcast:
    """The broadcast, if the caller may see it (else 404: they must not learn it exists)."""
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or not can_see_broadcast(user, broadcast):
        raise NotFound("No such broadcast.")
    return broadcast


def load_managed_broadcast(user: User, broadcast_id: int) -> Broadcast:
    """404 if the caller cannot see it, 403 if they can see it but may not change it."""
    broadcast = load_visible_broadcast(user, broadcast_id)
    if not can_manage_broadcast(user, broadcast):
        raise Forbidden("Only the police who sent this broadcast may change it.")
    return broadcast


def _effective_expiry() -> Any:
    # An event without its own expiry is over when it ends.
    return func.coalesce(Broadcast.expires_at, Broadcast.ends_at)


def visible_broadcasts_query(
    user: User, *, at: datetime, include_expired: bool = False, kind: str | None = None
) -> Select[Any]:
    """GET /broadcasts: those that target the caller; police also their own and their
    municipalities'; admins all. Newest first."""
    query = select(Broadcast)
    if not permissions.is_admin(user):
        targeted = (
            select(Alert.broadcast_id)
            .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
            .where(AlertRecipient.user_id == user.id, Alert.broadcast_id.is_not(None))
        )
        scopes = [Broadcast.id.in_(targeted)]
        if user.role == "police":
            scopes.append(Broadcast.author_id == user.id)
            if user.municipality_codes:
                scopes.append(
                    Broadcast.id.in_(
                        select(BroadcastMunicipality.broadcast_id).where(
                            BroadcastMunicipality.municipality_code.in_(user.municipality_codes)
                        )
                    )
                )
        query = query.where(or_(*scopes))
    if not include_expired:
        expiry = _effective_expiry()
        query = query.where(or_(expiry.is_(None), expiry > at))
    if kind is not None:
        query = query.where(Broadcast.kind == kind)
    return query.order_by(Broadcast.created_at.desc(), Broadcast.id.desc())


def active_warnings(*, at: datetime, municipality_code: str | None = None) -> list[Broadcast]:
    """The public warnings feed: fraud warnings not cancelled and not expired."""
    expiry = _effective_expiry()
    query = select(Broadcast).where(
        Broadcast.kind == "fraud_warning",
        Broadcast.status != "cancelled",
        or_(expiry.is_(None), expiry > at),
    )
    if municipality_code is not None:
        query = query.where(
            Broadcast.id.in_(
                select(BroadcastMunicipality.broadcast_id).where(
                    BroadcastMunicipality.municipality_code == municipality_code
                )
            )
        )
    return list(
        db.session.scalars(query.order_by(Broadcast.updated_at.desc(), Broadcast.id.desc()))
    )


def recipient_count(broadcast: Broadcast) -> int:
    return alert_recipient_count(broadcast.alert) if broadcast.alert else 0


def rsvp_counts(broadcast: Broadcast) -> dict[str, int]:
    """Confirmed and waitlisted counts: numbers only, never names."""
    counts = {"confirmed": 0, "waitlisted": 0}
    for status, count in db.session.execute(
        select(Rsvp.status, func.count(Rsvp.id))
        .where(Rsvp.broadcast_id == broadcast.id)
        .group_by(Rsvp.status)
    ):
        counts[status] = count
    return counts


def rsvp_of(user: User, broadcast: Broadcast) -> Rsvp | None:
    return db.session.scalar(
        select(Rsvp).where(Rsvp.broadcast_id == broadcast.id, Rsvp.user_id == user.id)
    )


def previous_versions(broadcast: Broadcast) -> list[tuple[int, datetime]]:
    """(sequence, sent) of every version before the current one, for CAP references."""
    return [
        (v["sequence"], datetime.fromisoformat(v["sent"]))
        for v in broadcast.versions or []
        if v["sequence"] < broadcast.sequence
    ]


def target_area_names(broadcast: Broadcast) -> list[str]:
    if not broadcast.target_area_ids:
        return []
    return list(
        db.session.scalars(
            select(Area.name).where(Area.id.in_(broadcast.target_area_ids)).order_by(Area.name)
        )
    )


# --- sending ---------------------------------------------------------------------------------


def create_broadcast(
    *,
    author: User,
    kind: str,
    title: str,
    body: str,
    target: dict[str, Any],
    severity: str | None = None,
    expires_at: datetime | None = None,
    event: dict[str, Any] | None = None,
) -> CreatedBroadcast:
    """Store a police broadcast and its alert, with an inbox row and pushes for everyone it
    reaches (active members of the targeted areas; never the author)."""
    if author.role not in ("police", "admin"):
        raise Forbidden("Only police send broadcasts.")
    now = utcnow()
    if expires_at is not None and expires_at <= now:
        raise Invalid("expires_at", "The expiry must lie in the future.")
    if (event is not None) != (kind == "training_event"):
        raise Invalid("event", "A training event needs event details; other kinds have none.")
    if event is not None and event["starts_at"] <= now:
        raise Invalid("event.starts_at", "The event must start in the future.")
    reach = _reach(author, target)
    reach.user_ids.discard(author.id)

    circle = target.get("circle")
    broadcast = Broadcast(
        author_id=author.id,
        kind=kind,
        title=title.strip(),
        body=body.strip(),
        severity=severity,
        target_municipality_codes=sorted(set(target.get("municipality_codes") or [])),
        target_area_ids=sorted(set(target.get("area_ids") or [])),
        circle_lat=circle["lat"] if circle else None,
        circle_lon=circle["lon"] if circle else None,
        circle_radius_m=circle["radius_m"] if circle else None,
        expires_at=expires_at,
        status="active",
        sequence=0,
        versions=[{"sequence": 0, "sent": now.isoformat()}],
        created_at=now,
        updated_at=now,
        municipalities=[
            BroadcastMunicipality(municipality_code=code)
            for code in sorted(reach.municipality_codes)
        ],
    )
    if event is not None:
        _apply_event(broadcast, event)
    db.session.add(broadcast)
    db.session.flush()

    alert = Alert(
        kind="broadcast",
        broadcast_id=broadcast.id,
        title=broadcast.title,
        body=broadcast.body,
        urgent=severity == "severe",
        status="active",
        created_at=now,
        updated_at=now,
        expires_at=_alert_expiry(broadcast),
    )
    targets = _targets(_with_quiet_hours(sorted(reach.user_ids)), broadcast, now)
    count = write_alert(alert, targets[:CHUNK])
    for start in range(CHUNK, len(targets), CHUNK):
        count += _add_recipients(alert, targets[start : start + CHUNK], now)
    db.session.flush()
    db.session.expire(broadcast, ["alert"])  # a view-only relationship: load it afresh
    return CreatedBroadcast(broadcast, alert, count)


def update_broadcast(*, broadcast: Broadcast, changes: dict[str, Any]) -> Broadcast:
    """Change a broadcast's text, severity, expiry or event details; the phones that got it
    are told (alert status "updated"), and calendars see a higher SEQUENCE."""
    broadcast = _lock(broadcast)  # one change at a time: sequences must not collide
    if broadcast.status == "cancelled":
        raise Conflict("A cancelled broadcast cannot be changed.")
    now = utcnow()
    if "expires_at" in changes and changes["expires_at"] is not None:
        if changes["expires_at"] <= now:
            raise Invalid("expires_at", "The expiry must lie in the future.")
    event = changes.get("event")
    if event is not None and not broadcast.is_event:
        raise Invalid("event", "Only a training event has event details.")
    for field in ("title", "body"):
        if field in changes:
            setattr(broadcast, field, changes[field].strip())
    for field in ("severity", "expires_at"):
        if field in changes:
            setattr(broadcast, field, changes[field])
    old_start, old_capacity = broadcast.starts_at, broadcast.capacity
    if event:
        _apply_event(broadcast, {**_event_of(broadcast), **event})
        if broadcast.ends_at <= broadcast.starts_at:  # type: ignore[operator]
            raise Invalid("event.ends_at", "The event must end after it starts.")
        if broadcast.starts_at != old_start:
            if broadcast.starts_at <= now:  # type: ignore[operator]
                raise Invalid("event.starts_at", "The event must start in the future.")
            broadcast.reminder_sent_at = None  # remind again, of the new time
    _next_version(broadcast, status="updated", at=now)
    alert = broadcast.alert
    if alert is not None:
        alert.title, alert.body = broadcast.title, broadcast.body
        alert.urgent = broadcast.severity == "severe"
        alert.expires_at = _alert_expiry(broadcast)
        alert.status, alert.updated_at = "updated", now
        _tell_recipients(broadcast, alert, purpose=f"update-{broadcast.sequence}", at=now)
    if broadcast.is_event and (broadcast.capacity or 0) > (old_capacity or 0):
        _promote_waitlisted(broadcast, at=now)
    db.session.flush()
    return broadcast


def cancel_broadcast(*, broadcast: Broadcast) -> Broadcast:
    """Call a broadcast off ("all clear"); the phones that got it are told."""
    broadcast = _lock(broadcast)
    if broadcast.status == "cancelled":
        raise Conflict("This broadcast is already cancelled.")
    now = utcnow()
    _next_version(broadcast, status="cancelled", at=now)
    alert = broadcast.alert
    if alert is not None:
        alert.status, alert.updated_at = "cancelled", now
        _tell_recipients(broadcast, alert, purpose="cancel", at=now)
    db.session.flush()
    return broadcast


# --- RSVPs and reminders ---------------------------------------------------------------------


def rsvp(*, user: User, broadcast: Broadcast) -> Rsvp:
    """Take a place at a training event, or a place on its waiting list when it is full."""
    _check_open_event(user, broadcast)
    broadcast = _lock(broadcast)
    if rsvp_of(user, broadcast) is not None:
        raise Conflict("You have already answered this invitation.")
    confirmed = rsvp_counts(broadcast)["confirmed"]
    row = Rsvp(
        broadcast_id=broadcast.id,
        user_id=user.id,
        status="confirmed" if confirmed < (broadcast.capacity or 0) else "waitlisted",
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def cancel_rsvp(*, user: User, broadcast: Broadcast) -> Rsvp | None:
    """Give up a place (or a place in the queue); the first on the waiting list moves up and
    is told. Returns the promoted RSVP, if any."""
    if not broadcast.is_event:
        raise NotFound("This broadcast is not an event.")
    broadcast = _lock(broadcast)
    row = rsvp_of(user, broadcast)
    if row is None:
        raise NotFound("You have no place at this event.")
    db.session.delete(row)
    db.session.flush()
    if broadcast.status == "cancelled":
        return None
    promoted = _promote_waitlisted(broadcast, at=utcnow())
    db.session.flush()
    return promoted[0] if promoted else None


def release_places(user: User) -> None:
    """Give up every RSVP of someone leaving (account deletion), moving others up."""
    for row in list(db.session.scalars(select(Rsvp).where(Rsvp.user_id == user.id))):
        broadcast = db.session.get(Broadcast, row.broadcast_id)
        if broadcast is not None:
            cancel_rsvp(user=user, broadcast=broadcast)


def queue_due_reminders(now: datetime | None = None) -> int:
    """Queue one reminder push to the confirmed attendees of each event starting within
    24 hours that has had none; returns the number of events reminded of.

    The events are claimed with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL) or under SQLite's
    write lock, and marked in the same transaction, so two dispatchers never both remind.
    """
    now = now or utcnow()
    due = (
        select(Broadcast)
        .where(
            Broadcast.kind == "training_event",
            Broadcast.status != "cancelled",
            Broadcast.reminder_sent_at.is_(None),
            Broadcast.starts_at > now,
            Broadcast.starts_at <= now + REMINDER_LEAD,
        )
        .order_by(Broadcast.starts_at, Broadcast.id)
        .with_for_update(skip_locked=True)
    )
    events = list(db.session.scalars(due))
    for broadcast in events:
        broadcast.reminder_sent_at = now
        attendees = db.session.execute(
            select(User.id, User.quiet_start, User.quiet_end)
            .join(Rsvp, Rsvp.user_id == User.id)
            .where(Rsvp.broadcast_id == broadcast.id, Rsvp.status == "confirmed")
        ).all()
        if broadcast.alert is not None and attendees:
            write_deliveries(
                broadcast.alert,
                _targets(attendees, broadcast, now),
                purpose=f"reminder-{broadcast.sequence}",
            )
    db.session.flush()
    return len(events)


# --- internals -------------------------------------------------------------------------------


def _reach(author: User, target: dict[str, Any]) -> Reach:
    """Everyone the target names, after checking the author may send there."""
    user_ids: set[int] = set()
    codes: set[str] = set()
    municipality_codes = sorted(set(target.get("municipality_codes") or []))
    for code in municipality_codes:
        if not permissions.serves_municipality(author, code):
            raise Forbidden(f"You do not serve municipality {code}.")
    if municipality_codes:
        user_ids |= set(
            db.session.scalars(
                select(Membership.user_id)
                .join(Area, Area.id == Membership.area_id)
                .where(
                    Membership.status == "active",
                    Area.municipality_code.in_(municipality_codes),
                )
            )
        )
        codes |= set(municipality_codes)

    area_ids = sorted(set(target.get("area_ids") or []))
    if area_ids:
        areas = list(db.session.scalars(select(Area).where(Area.id.in_(area_ids))))
        unknown = set(area_ids) - {a.id for a in areas}
        if unknown:
            raise Invalid("target.area_ids", f"No such area: {min(unknown)}.")
        for area in areas:
            if not permissions.can_police_area(author, area):
                raise Forbidden(f"Area {area.id} is outside your municipalities.")
        user_ids |= set(
            db.session.scalars(
                select(Membership.user_id).where(
                    Membership.status == "active", Membership.area_id.in_(area_ids)
                )
            )
        )
        codes |= {a.municipality_code for a in areas}

    circle = target.get("circle")
    if circle:
        allowed = None if permissions.is_admin(author) else set(author.municipality_codes or [])
        circle_reach = _circle_reach(circle["lat"], circle["lon"], circle["radius_m"], allowed)
        if allowed is not None and not circle_reach.municipality_codes:
            raise Forbidden("The circle reaches no area in your municipalities.")
        user_ids |= circle_reach.user_ids
        codes |= circle_reach.municipality_codes
    return Reach(user_ids, codes)


def _circle_reach(lat: float, lon: float, radius_m: int, allowed: set[str] | None) -> Reach:
    """Active members at home in the circle, and the protected members (no stored home) of
    areas whose centre is in it; only areas in ``allowed`` municipalities (None: any)."""

    def in_allowed(query: Any) -> Any:
        return query if allowed is None else query.where(Area.municipality_code.in_(allowed))

    member_of_allowed_area = exists(
        in_allowed(
            select(Membership.id)
            .join(Area, Area.id == Membership.area_id)
            .where(Membership.user_id == User.id, Membership.status == "active")
        )
    )
    homes = homes_within(
        lat,
        lon,
        radius_m,
        where=[User.home_protected.is_(False), member_of_allowed_area],  # type: ignore[list-item]
    )
    user_ids = {home.user_id for home in homes}
    codes: set[str] = set()
    home_ids = sorted(user_ids)
    for start in range(0, len(home_ids), CHUNK):
        codes |= set(
            db.session.scalars(
                in_allowed(
                    select(Area.municipality_code)
                    .join(Membership, Membership.area_id == Area.id)
                    .where(
                        Membership.status == "active",
                        Membership.user_id.in_(home_ids[start : start + CHUNK]),
                    )
                    .distinct()
                )
            )
        )

    box = bounding_box(lat, lon, radius_m)
    candidates = db.session.execute(
        in_allowed(
            select(Area.id, Area.center_lat, Area.center_lon, Area.municipality_code).where(
                Area.center_lat.between(box.min_lat, box.max_lat),
                Area.center_lon.between(box.min_lon, box.max_lon),
            )
        )
    ).all()
    inside = [
        (area_id, code)
        for area_id, c_lat, c_lon, code in candidates
        if distance_m((lat, lon), (c_lat, c_lon)) <= radius_m
    ]
    if inside:
        codes |= {code for _, code in inside}
        user_ids |= set(
            db.session.scalars(
                select(Membership.user_id)
                .join(User, User.id == Membership.user_id)
                .where(
                    Membership.status == "active",
                    Membership.area_id.in_([area_id for area_id, _ in inside]),
                    User.home_protected.is_(True),
                )
            )
        )
    return Reach(user_ids, codes)


def _with_quiet_hours(user_ids: Sequence[int]) -> list[Any]:
    rows: list[Any] = []
    for start in range(0, len(user_ids), CHUNK):
        rows += db.session.execute(
            select(User.id, User.quiet_start, User.quiet_end)
            .where(User.id.in_(user_ids[start : start + CHUNK]))
            .order_by(User.id)
        ).all()
    return rows


def _targets(rows: Iterable[Any], broadcast: Broadcast, at: datetime) -> list[AlertTarget]:
    """Severe broadcasts ring even in quiet hours; the rest arrive silently then."""
    severe = broadcast.severity == "severe"
    return [
        AlertTarget(user_id, silent=not severe and in_quiet_hours(start, end, at))
        for user_id, start, end in rows
    ]


def _add_recipients(alert: Alert, targets: list[AlertTarget], at: datetime) -> int:
    """write_alert for a further slice of recipients of an alert already stored."""
    db.session.execute(
        insert(AlertRecipient),
        [
            {"alert_id": alert.id, "user_id": t.user_id, "silent": t.silent, "created_at": at}
            for t in targets
        ],
    )
    write_deliveries(alert, targets, purpose="alert")
    return len(targets)


def _tell_recipients(broadcast: Broadcast, alert: Alert, *, purpose: str, at: datetime) -> None:
    """Queue a push about the alert to every device of everyone who received it."""
    rows = db.session.execute(
        select(User.id, User.quiet_start, User.quiet_end)
        .join(AlertRecipient, AlertRecipient.user_id == User.id)
        .where(AlertRecipient.alert_id == alert.id)
        .order_by(User.id)
    ).all()
    targets = _targets(rows, broadcast, at)
    for start in range(0, len(targets), CHUNK):
        write_deliveries(alert, targets[start : start + CHUNK], purpose=purpose)


def _next_version(broadcast: Broadcast, *, status: str, at: datetime) -> None:
    broadcast.sequence += 1
    broadcast.status = status
    broadcast.updated_at = at
    # A new list, so the JSON column sees the change.
    broadcast.versions = [
        *(broadcast.versions or []),
        {"sequence": broadcast.sequence, "sent": at.isoformat()},
    ]


def _alert_expiry(broadcast: Broadcast) -> datetime | None:
    return broadcast.expires_at or (broadcast.ends_at if broadcast.is_event else None)


def _event_of(broadcast: Broadcast) -> dict[str, Any]:
    return {
        "topic": broadcast.event_topic,
        "starts_at": broadcast.starts_at,
        "ends_at": broadcast.ends_at,
        "place": broadcast.place,
        "location": broadcast.event_location,
        "capacity": broadcast.capacity,
    }


def _apply_event(broadcast: Broadcast, event: dict[str, Any]) -> None:
    location = event.get("location")
    broadcast.event_topic = event["topic"]
    broadcast.starts_at, broadcast.ends_at = event["starts_at"], event["ends_at"]
    broadcast.place = event["place"].strip()
    broadcast.event_lat = location["lat"] if location else None
    broadcast.event_lon = location["lon"] if location else None
    broadcast.capacity = event["capacity"]


def _check_open_event(user: User, broadcast: Broadcast) -> None:
    if not broadcast.is_event:
        raise NotFound("This broadcast is not an event.")
    if not is_targeted(user, broadcast):
        raise Forbidden("Only the members the event was sent to can take a place.")
    if broadcast.status == "cancelled":
        raise Conflict("This event is cancelled.")
    if broadcast.starts_at is not None and broadcast.starts_at <= utcnow():
        raise Conflict("This event has already started.")


def _lock(broadcast: Broadcast) -> Broadcast:
    """Serialise RSVPs to one event: the row lock on PostgreSQL (reloading the row), and on
    SQLite the write lock every transaction already takes (BEGIN IMMEDIATE)."""
    return db.session.scalars(
        select(Broadcast)
        .where(Broadcast.id == broadcast.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _promote_waitlisted(broadcast: Broadcast, *, at: datetime) -> list[Rsvp]:
    """Confirm the oldest on the waiting list while places are free, and tell each of them."""
    free = (broadcast.capacity or 0) - rsvp_counts(broadcast)["confirmed"]
    if free <= 0:
        return []
    promoted = list(
        db.session.scalars(
            select(Rsvp)
            .where(Rsvp.broadcast_id == broadcast.id, Rsvp.status == "waitlisted")
            .order_by(Rsvp.created_at, Rsvp.id)
            .limit(free)
        )
    )
    for row in promoted:
        row.status = "confirmed"
    db.session.flush()
    alert = broadcast.alert
    for row in promoted:
        if alert is None:
            continue
        rows = db.session.execute(
            select(User.id, User.quiet_start, User.quiet_end).where(User.id == row.user_id)
        ).all()
        # The RSVP id makes the outbox key unique should the same person move up again
        # (after cancelling and queueing anew): base 36 keeps it within 16 characters.
        write_deliveries(alert, _targets(rows, broadcast, at), purpose=f"promotion-{_b36(row.id)}")
    return promoted


def _b36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if number == 0:
            return text
