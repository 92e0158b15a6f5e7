"""Keeping personal data no longer than needed (DESIGN.md): what ``flask purge`` deletes."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Delete, and_, delete, or_

from grannsamverkan.extensions import db
from grannsamverkan.models import (
    Alert,
    AuditEvent,
    AuthSession,
    Delivery,
    Device,
    IdempotencyKey,
    Invitation,
    PoliceEvent,
    Tip,
)

log = logging.getLogger(__name__)

# FCM: an Android token unused for 270 days is expired; keeping it only leaks who had a phone.
DEVICE_MAX_SILENCE = timedelta(days=270)
# API.md promises Idempotency-Keys for at least 24 h.
IDEMPOTENCY_KEY_AGE = timedelta(hours=48)
# An invitation stays on its area's page for a month after it stopped working (who used it
# is personal data; after that, nobody needs to know).
INVITATION_AGE = timedelta(days=30)
# An e-mail's outbox row (its address) is kept a week for the delivery record, then goes.
EMAIL_AGE = timedelta(days=7)


def _deleted(statement: Delete) -> int:
    """Runs a bulk DELETE and counts its rows. Session.execute is typed to return a plain
    Result, but for a DML statement it is a CursorResult, which has the row count."""
    return cast(CursorResult[Any], db.session.execute(statement)).rowcount


def purge(
    *, now: datetime, retention_days: int, audit_retention_days: int | None = None
) -> dict[str, int]:
    """Delete old tips and alerts, stale devices, dead sessions, old idempotency keys,
    invitations a month past their expiry, e-mail outbox rows older than a week, and audit
    events older than ``audit_retention_days`` (GSV_AUDIT_RETENTION_DAYS when not given)."""
    cutoff = now - timedelta(days=retention_days)
    if audit_retention_days is None:
        audit_retention_days = current_app.config["GSV_AUDIT_RETENTION_DAYS"]
    deleted = {
        # Alerts first: a tip's alert goes with it anyway (ON DELETE CASCADE), a broadcast's
        # only by age; inbox rows and deliveries cascade from the alert.
        "alerts": _deleted(delete(Alert).where(Alert.created_at < cutoff)),
        "tips": _deleted(delete(Tip).where(Tip.created_at < cutoff)),
        "devices": _deleted(delete(Device).where(Device.last_seen_at < now - DEVICE_MAX_SILENCE)),
        "sessions": _deleted(
            delete(AuthSession).where(
                or_(AuthSession.expires_at < now, AuthSession.revoked_at < now - timedelta(days=1))
            )
        ),
        "idempotency_keys": _deleted(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < now - IDEMPOTENCY_KEY_AGE)
        ),
        "invitations": _deleted(
            delete(Invitation).where(Invitation.expires_at < now - INVITATION_AGE)
        ),
        # Public, but only news while fresh; a year of them is follow-up enough.
        "police_events": _deleted(delete(PoliceEvent).where(PoliceEvent.occurred_at < cutoff)),
        "emails": _deleted(
            delete(Delivery).where(
                and_(Delivery.channel == "email", Delivery.created_at < now - EMAIL_AGE)
            )
        ),
        # A bulk DELETE: the ORM refuses to delete audit events one by one (models/audit.py).
        "audit_events": _deleted(
            delete(AuditEvent).where(AuditEvent.at < now - timedelta(days=audit_retention_days))
        ),
    }
    db.session.flush()
    return deleted


class ScheduledPurge:
    """A dispatcher chore (notify/outbox.py): ``purge`` at the first pass of a process, then
    again once ``every`` has passed. Every dispatcher process runs it, so an installation
    purges as often as it has dispatchers per interval; the purge is idempotent and cheap
    when nothing is due (indexed ``created_at`` cut-offs)."""

    __name__ = "retention purge"

    def __init__(self, *, retention_days: int, every: timedelta) -> None:
        self.retention_days = retention_days
        self.every = every
        self.last_run: datetime | None = None

    def __call__(self, now: datetime) -> dict[str, int] | None:
        if self.last_run is not None and now - self.last_run < self.every:
            return None
        deleted = purge(now=now, retention_days=self.retention_days)
        self.last_run = now
        log.info("retention purge", extra={"deleted": deleted})
        return deleted
