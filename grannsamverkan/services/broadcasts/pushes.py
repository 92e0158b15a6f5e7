"""Who of a broadcast's people gets which push, and how: severe broadcasts ring even in
quiet hours; the rest arrive silently then."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Broadcast, User
from grannsamverkan.services import alerts
from grannsamverkan.services.alerts import AlertTarget
from grannsamverkan.services.local_time import in_quiet_hours


def targets_where(
    broadcast: Broadcast, who: ColumnElement[bool], *, at: datetime
) -> list[AlertTarget]:
    """The people ``who`` picks (a condition on User), each silent if in quiet hours."""
    severe = broadcast.severity == "severe"
    rows = db.session.execute(
        select(User.id, User.quiet_start, User.quiet_end).where(who).order_by(User.id)
    )
    return [
        AlertTarget(user_id, silent=not severe and in_quiet_hours(start, end, at))
        for user_id, start, end in rows
    ]


def targets_among(
    broadcast: Broadcast, user_ids: Sequence[int], *, at: datetime
) -> list[AlertTarget]:
    """targets_where for a list of ids, looked up in slices."""
    return [
        target
        for start in range(0, len(user_ids), alerts.CHUNK)
        for target in targets_where(
            broadcast, User.id.in_(user_ids[start : start + alerts.CHUNK]), at=at
        )
    ]


def tell_recipients(broadcast: Broadcast, alert: Alert, *, purpose: str, at: datetime) -> None:
    """Queue a push about the alert to every device of everyone who received it."""
    received = User.id.in_(
        select(AlertRecipient.user_id).where(AlertRecipient.alert_id == alert.id)
    )
    alerts.write_deliveries(alert, targets_where(broadcast, received, at=at), purpose=purpose)


def alert_expiry(broadcast: Broadcast) -> datetime | None:
    """When the broadcast's alert leaves inboxes: its expiry, else an event's end."""
    return broadcast.expires_at or (broadcast.ends_at if broadcast.is_event else None)
