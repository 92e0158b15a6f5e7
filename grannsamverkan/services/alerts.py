"""Alerts: writing one with its recipients and outbox rows, the inbox, read receipts."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, insert, or_, select
from sqlalchemy.orm import contains_eager

from grannsamverkan.errors import NotFound
from grannsamverkan.extensions import db
from grannsamverkan.metrics import ALERTS, count_on_commit
from grannsamverkan.models import Alert, AlertRecipient, Delivery, Device, User
from grannsamverkan.models.types import utcnow

# Phones not seen for this long are probably gone; radius alerts skip them (FCM guidance).
STALE_DEVICE_AGE = timedelta(days=30)
# Recipient lists are written and looked up in slices, to stay far below the bound
# parameters a statement may carry (SQLite 32,766; PostgreSQL 65,535).
CHUNK = 5000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertTarget:
    """One person an alert goes to, and how."""

    user_id: int
    silent: bool
    skip_stale_devices: bool = False


def write_alert(alert: Alert, targets: Iterable[AlertTarget], *, purpose: str = "alert") -> int:
    """Store the alert, an inbox row per person and a delivery row per device (the outbox),
    all in the caller's transaction. Returns the number of people."""
    db.session.add(alert)
    db.session.flush()
    targets = list(targets)
    now = utcnow()
    for start in range(0, len(targets), CHUNK):
        db.session.execute(
            insert(AlertRecipient),
            [
                {"alert_id": alert.id, "user_id": t.user_id, "silent": t.silent, "created_at": now}
                for t in targets[start : start + CHUNK]
            ],
        )
    deliveries = write_deliveries(alert, targets, purpose=purpose)
    category = alert.category or "none"
    count_on_commit(db.session, ALERTS, kind=alert.kind, category=category)
    log.info(
        "alert written",
        extra={"alert_id": alert.id, "kind": alert.kind, "category": category,
               "recipients": len(targets), "deliveries": deliveries},
    )  # fmt: skip
    return len(targets)


def write_deliveries(alert: Alert, targets: Sequence[AlertTarget], *, purpose: str) -> int:
    """One pending delivery row per registered device of each target."""
    now = utcnow()
    written = 0
    for start in range(0, len(targets), CHUNK):
        rows = _delivery_rows(alert, targets[start : start + CHUNK], purpose=purpose, now=now)
        if rows:
            db.session.execute(insert(Delivery), rows)
            db.session.info["deliveries_written"] = True
            written += len(rows)
    return written


def _delivery_rows(
    alert: Alert, targets: Sequence[AlertTarget], *, purpose: str, now: datetime
) -> list[dict[str, Any]]:
    by_user = {t.user_id: t for t in targets}
    devices = db.session.execute(
        select(Device.id, Device.user_id, Device.platform, Device.last_seen_at, User.locale)
        .join(User, User.id == Device.user_id)
        .where(Device.user_id.in_(list(by_user)))
    ).all()
    rows: list[dict[str, Any]] = []
    for device_id, user_id, platform, last_seen_at, locale in devices:
        target = by_user[user_id]
        if target.skip_stale_devices and last_seen_at < now - STALE_DEVICE_AGE:
            continue
        rows.append(
            {
                "alert_id": alert.id,
                "device_id": device_id,
                "purpose": purpose,
                "platform": platform,
                "locale": locale,
                "silent": target.silent,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def recipient_count(alert: Alert) -> int:
    """People the alert went to (inbox rows), not devices."""
    count = db.session.scalar(
        select(func.count(AlertRecipient.id)).where(AlertRecipient.alert_id == alert.id)
    )
    return count or 0


def has_received(user: User, alert_is: ColumnElement[bool]) -> bool:
    """Has ``user`` an inbox row for the alert that ``alert_is`` picks (e.g. by its tip)?"""
    return (
        db.session.scalar(
            select(AlertRecipient.id)
            .join(Alert, Alert.id == AlertRecipient.alert_id)
            .where(alert_is, AlertRecipient.user_id == user.id)
        )
        is not None
    )


def inbox_query(user: User, *, at: datetime) -> Any:
    """The caller's alerts, newest first; expired ones are hidden."""
    return (
        select(AlertRecipient)
        .join(Alert, Alert.id == AlertRecipient.alert_id)
        # The joined alert fills row.alert: one query per page, not one more per item
        # (bench/http_throughput.py, GET /alerts).
        .options(contains_eager(AlertRecipient.alert))
        .where(
            AlertRecipient.user_id == user.id,
            or_(Alert.expires_at.is_(None), Alert.expires_at > at),
        )
        .order_by(Alert.created_at.desc(), Alert.id.desc())
    )


def mark_read(user: User, alert_id: int) -> None:
    row = db.session.scalar(
        select(AlertRecipient).where(
            AlertRecipient.alert_id == alert_id, AlertRecipient.user_id == user.id
        )
    )
    if row is None:
        raise NotFound("No such alert.")
    if row.read_at is None:
        row.read_at = utcnow()
    db.session.flush()
