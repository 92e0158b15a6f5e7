"""A broadcast's life: sent (with its alert to everyone it reaches), updated, cancelled.

Every change after sending is a new version (CAP identifiers, iCalendar SEQUENCE), and the
phones that got the broadcast are told of it. Callers have checked that the author may send
broadcasts, or that the caller may manage this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, NotRequired, TypedDict, Unpack

from grannsamverkan.errors import Conflict, Forbidden, Invalid
from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Broadcast, BroadcastMunicipality, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import alerts, audit, broadcast_permissions
from grannsamverkan.services.broadcasts.pushes import alert_expiry, targets_among, tell_recipients
from grannsamverkan.services.broadcasts.queries import lock_broadcast
from grannsamverkan.services.broadcasts.reach import Reach, reach_of
from grannsamverkan.services.broadcasts.rsvps import promote_waitlisted


class BroadcastMessage(TypedDict):
    """What the police send, as the create schema loads it."""

    kind: str
    title: str
    body: str
    target: dict[str, Any]
    severity: NotRequired[str | None]
    expires_at: NotRequired[datetime | None]
    event: NotRequired[dict[str, Any] | None]


@dataclass(frozen=True)
class CreatedBroadcast:
    broadcast: Broadcast
    alert: Alert
    recipient_count: int


def create_broadcast(*, author: User, **message: Unpack[BroadcastMessage]) -> CreatedBroadcast:
    """Store a police broadcast and its alert, with an inbox row and pushes for everyone it
    reaches (active members of the targeted areas; never the author)."""
    now = utcnow()
    check_author_may_send(author, message["kind"])
    check_new_message(message, now)
    reach = reach_of(author, message["target"])
    reach.user_ids.discard(author.id)
    broadcast = _new_broadcast(author, message, reach, now)
    db.session.add(broadcast)
    db.session.flush()
    alert = Alert(
        kind="broadcast",
        broadcast_id=broadcast.id,
        title=broadcast.title,
        body=broadcast.body,
        urgent=broadcast.severity == "severe",
        status="active",
        created_at=now,
        updated_at=now,
        expires_at=alert_expiry(broadcast),
    )
    count = alerts.write_alert(alert, targets_among(broadcast, sorted(reach.user_ids), at=now))
    audit.record(author, "broadcast.send", broadcast, _sent(broadcast, count))
    db.session.flush()
    db.session.expire(broadcast, ["alert"])  # a view-only relationship: load it afresh
    return CreatedBroadcast(broadcast, alert, count)


def check_author_may_send(author: User, kind: str) -> None:
    """Municipality staff send notices and training events only (permissions)."""
    if not broadcast_permissions.can_send_broadcast_kind(author, kind):
        raise Forbidden("Municipality accounts send notices and training events only.")


def _sent(broadcast: Broadcast, recipient_count: int) -> dict[str, audit.Change]:
    """What the audit keeps of a new broadcast: its kind and reach, not its text."""
    return audit.changed(
        {},
        {
            "kind": broadcast.kind,
            "severity": broadcast.severity,
            "title": broadcast.title,
            "target_municipality_codes": broadcast.target_municipality_codes,
            "target_area_ids": broadcast.target_area_ids,
            "circle_radius_m": broadcast.circle_radius_m,
            "expires_at": broadcast.expires_at,
            "starts_at": broadcast.starts_at,
            "recipient_count": recipient_count,
        },
    )


def check_new_message(message: BroadcastMessage, now: datetime) -> None:
    """The rules of a new broadcast beyond its schema (times in the future, event details
    for events only); the console checks them before its check-your-answers step."""
    expires_at, event = message.get("expires_at"), message.get("event")
    if expires_at is not None and expires_at <= now:
        raise Invalid("expires_at", "The expiry must lie in the future.")
    if (event is not None) != (message["kind"] == "training_event"):
        raise Invalid("event", "A training event needs event details; other kinds have none.")
    if event is not None and event["starts_at"] <= now:
        raise Invalid("event.starts_at", "The event must start in the future.")


def _new_broadcast(
    author: User, message: BroadcastMessage, reach: Reach, now: datetime
) -> Broadcast:
    target = message["target"]
    circle = target.get("circle") or {}
    broadcast = Broadcast(
        author_id=author.id,
        kind=message["kind"],
        title=message["title"].strip(),
        body=message["body"].strip(),
        severity=message.get("severity"),
        target_municipality_codes=sorted(set(target.get("municipality_codes") or [])),
        target_area_ids=sorted(set(target.get("area_ids") or [])),
        circle_lat=circle.get("lat"),
        circle_lon=circle.get("lon"),
        circle_radius_m=circle.get("radius_m"),
        expires_at=message.get("expires_at"),
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
    event = message.get("event")
    if event is not None:
        _apply_event(broadcast, event)
    return broadcast


def update_broadcast(*, actor: User, broadcast: Broadcast, changes: dict[str, Any]) -> Broadcast:
    """Change a broadcast's text, severity, expiry or event details; the phones that got it
    are told (alert status "updated"), and calendars see a higher SEQUENCE."""
    broadcast = lock_broadcast(broadcast)  # one change at a time: sequences must not collide
    if broadcast.status == "cancelled":
        raise Conflict("A cancelled broadcast cannot be changed.")
    now = utcnow()
    _check_changes(broadcast, changes, now)
    before = _audited_values(broadcast)
    old_capacity = broadcast.capacity
    for field in ("title", "body"):
        if field in changes:
            setattr(broadcast, field, changes[field].strip())
    for field in ("severity", "expires_at"):
        if field in changes:
            setattr(broadcast, field, changes[field])
    if changes.get("event"):
        _change_event(broadcast, changes["event"], now)
    _next_version(broadcast, status="updated", at=now)
    alert = broadcast.alert
    if alert is not None:
        alert.title, alert.body = broadcast.title, broadcast.body
        alert.urgent = broadcast.severity == "severe"
        alert.expires_at = alert_expiry(broadcast)
        alert.status, alert.updated_at = "updated", now
        tell_recipients(broadcast, alert, purpose=f"update-{broadcast.sequence}", at=now)
    if broadcast.is_event and (broadcast.capacity or 0) > (old_capacity or 0):
        promote_waitlisted(broadcast, at=now)
    audit.record(
        actor, "broadcast.update", broadcast, audit.changed(before, _audited_values(broadcast))
    )
    db.session.flush()
    return broadcast


def _audited_values(broadcast: Broadcast) -> dict[str, Any]:
    """What an update may change, as the audit compares it (texts only as set or not)."""
    return {
        "sequence": broadcast.sequence,
        "title": broadcast.title,
        "body": broadcast.body,
        "severity": broadcast.severity,
        "expires_at": broadcast.expires_at,
        **{field: value for field, value in _event_of(broadcast).items() if field != "location"},
    }


def _check_changes(broadcast: Broadcast, changes: dict[str, Any], now: datetime) -> None:
    expires_at = changes.get("expires_at")
    if expires_at is not None and expires_at <= now:
        raise Invalid("expires_at", "The expiry must lie in the future.")
    if changes.get("event") is not None and not broadcast.is_event:
        raise Invalid("event", "Only a training event has event details.")


def _change_event(broadcast: Broadcast, changes: dict[str, Any], now: datetime) -> None:
    old_start = broadcast.starts_at
    _apply_event(broadcast, {**_event_of(broadcast), **changes})
    if broadcast.ends_at <= broadcast.starts_at:  # type: ignore[operator]
        raise Invalid("event.ends_at", "The event must end after it starts.")
    if broadcast.starts_at != old_start:
        if broadcast.starts_at <= now:  # type: ignore[operator]
            raise Invalid("event.starts_at", "The event must start in the future.")
        broadcast.reminder_sent_at = None  # remind again, of the new time


def cancel_broadcast(*, actor: User, broadcast: Broadcast) -> Broadcast:
    """Call a broadcast off ("all clear"); the phones that got it are told."""
    broadcast = lock_broadcast(broadcast)
    if broadcast.status == "cancelled":
        raise Conflict("This broadcast is already cancelled.")
    now = utcnow()
    audit.record(actor, "broadcast.cancel", broadcast, {"status": (broadcast.status, "cancelled")})
    _next_version(broadcast, status="cancelled", at=now)
    alert = broadcast.alert
    if alert is not None:
        alert.status, alert.updated_at = "cancelled", now
        tell_recipients(broadcast, alert, purpose="cancel", at=now)
    db.session.flush()
    return broadcast


def _next_version(broadcast: Broadcast, *, status: str, at: datetime) -> None:
    broadcast.sequence += 1
    broadcast.status = status
    broadcast.updated_at = at
    # A new list, so the JSON column sees the change.
    broadcast.versions = [
        *(broadcast.versions or []),
        {"sequence": broadcast.sequence, "sent": at.isoformat()},
    ]


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
    location = event.get("location") or {}
    broadcast.event_topic = event["topic"]
    broadcast.starts_at, broadcast.ends_at = event["starts_at"], event["ends_at"]
    broadcast.place = event["place"].strip()
    broadcast.event_lat = location.get("lat")
    broadcast.event_lon = location.get("lon")
    broadcast.capacity = event["capacity"]
