"""Event reminders: one push to the confirmed attendees of an event the day before it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Broadcast, Delivery, Device, Rsvp, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import alerts
from grannsamverkan.services.broadcasts.pushes import targets_where

REMINDER_LEAD = timedelta(hours=24)


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
        alert = broadcast.alert
        if alert is not None:
            _remind(broadcast, alert, now)
    db.session.flush()
    return len(events)


def remind_late_attendees(broadcast: Broadcast, user_ids: Sequence[int], *, now: datetime) -> None:
    """People confirmed after the event's reminder went out (an event created, or moved, less
    than a day before it starts; an RSVP or a move up the waiting list in its last day) get
    the reminder now, once: the sweep reminds only those confirmed when it runs."""
    alert = broadcast.alert
    if alert is None or broadcast.reminder_sent_at is None or not user_ids:
        return
    if broadcast.starts_at is None or broadcast.starts_at <= now:
        return
    purpose = _purpose(broadcast)
    reminded = exists().where(
        Delivery.alert_id == alert.id,
        Delivery.purpose == purpose,
        Delivery.device_id == Device.id,
        Device.user_id == User.id,
    )
    who = User.id.in_(list(user_ids)) & ~reminded
    alerts.write_deliveries(alert, targets_where(broadcast, who, at=now), purpose=purpose)


def _purpose(broadcast: Broadcast) -> str:
    return f"reminder-{broadcast.sequence}"


def _remind(broadcast: Broadcast, alert: Alert, now: datetime) -> None:
    attending = User.id.in_(
        select(Rsvp.user_id).where(Rsvp.broadcast_id == broadcast.id, Rsvp.status == "confirmed")
    )
    alerts.write_deliveries(
        alert,
        targets_where(broadcast, attending, at=now),
        purpose=_purpose(broadcast),
    )
