"""A tip's outcome reaches the phones its alert reached.

When police close a tip whose alert went out, its alert becomes "resolved"; when they reject
it or find it a false alarm, "withdrawn". Once, at that change, one follow-up is queued to
every device and address the first alert went to (or is still going to): a copy of each of
the alert's first delivery rows with the purpose "outcome", whatever its channel, so each
channel renders the follow-up from (alert, purpose, locale) as it rendered the first. The
follow-up shows the alert as it was (same title, text and coarse cell) under its new status:
nothing new is revealed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, literal, null, select, update

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Delivery, Tip

# The tip's status → its alert's.
ALERT_STATUS_FOR_TIP = {"closed": "resolved", "rejected": "withdrawn", "false_alarm": "withdrawn"}
FOLLOW_UP_PURPOSE = "outcome"
# An alert still standing on the phones; any other status has been told already.
STANDING = ("active", "updated")
# First deliveries that reached, or will reach, their device: failed and unregistered ones
# did not, and their device may be gone.
REACHED = ("pending", "sent")


def settle_alert(tip: Tip, *, at: datetime) -> int:
    """Give the tip's alert the status its outcome calls for and queue the follow-up, if the
    alert still stood; returns the follow-up rows written (0 when there was nothing to tell,
    or it was told already: a second close changes nothing)."""
    status = ALERT_STATUS_FOR_TIP.get(tip.status)
    alert = tip.alert
    if status is None or alert is None:
        return 0
    # The status test and change in one statement: of two closes at once, one changes it.
    changed = db.session.execute(
        update(Alert)
        .where(Alert.id == alert.id, Alert.status.in_(STANDING))
        .values(status=status, updated_at=at)
        .execution_options(synchronize_session="fetch")
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        return 0
    if alert.expires_at is not None and alert.expires_at <= at:
        return 0  # gone from the phones and inboxes already: nothing to follow up
    return _queue_follow_up(alert.id, at=at)


def _queue_follow_up(alert_id: int, *, at: datetime) -> int:
    """INSERT … SELECT: a pending "outcome" copy of each of the alert's first delivery rows.
    Columns this module does not know of (another channel's address) are copied as they are;
    stored content is not (each channel renders the follow-up at sending)."""
    fresh: dict[str, Any] = {
        "purpose": literal(FOLLOW_UP_PURPOSE),
        # It tells of an end, not a danger: no ring in the night.
        "silent": literal(True),
        "state": literal("pending"),
        "attempts": literal(0),
        "next_attempt_at": literal(at, Delivery.next_attempt_at.type),
        "claimed_by": null(),
        "claimed_until": null(),
        "last_error": null(),
        "email_subject": null(),
        "email_body": null(),
        "created_at": literal(at, Delivery.created_at.type),
        "updated_at": literal(at, Delivery.updated_at.type),
    }
    columns = [c for c in Delivery.__table__.columns if c.name != "id"]
    rows = select(*[fresh.get(c.name, c) for c in columns]).where(
        Delivery.alert_id == alert_id,
        Delivery.purpose == "alert",
        Delivery.state.in_(REACHED),
    )
    # Counted first: SQLite's driver gives no row count for INSERT … SELECT.
    written = db.session.scalar(select(func.count()).select_from(rows.subquery())) or 0
    if written:
        db.session.execute(insert(Delivery).from_select([c.name for c in columns], rows))
        db.session.info["deliveries_written"] = True
    return written
