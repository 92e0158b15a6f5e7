"""Keeping personal data no longer than needed (DESIGN.md): what ``flask purge`` deletes."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AuthSession, Device, IdempotencyKey, Tip

# FCM: an Android token unused for 270 days is expired; keeping it only leaks who had a phone.
DEVICE_MAX_SILENCE = timedelta(days=270)
# API.md promises Idempotency-Keys for at least 24 h.
IDEMPOTENCY_KEY_AGE = timedelta(hours=48)


def purge(*, now: datetime, retention_days: int) -> dict[str, int]:
    """Delete old tips and alerts, stale devices, dead sessions and old idempotency keys."""
    cutoff = now - timedelta(days=retention_days)
    deleted = {
        # Alerts first: a tip's alert goes with it anyway (ON DELETE CASCADE), a broadcast's
        # only by age; inbox rows and deliveries cascade from the alert.
        "alerts": db.session.execute(delete(Alert).where(Alert.created_at < cutoff)).rowcount,
        "tips": db.session.execute(delete(Tip).where(Tip.created_at < cutoff)).rowcount,
        "devices": db.session.execute(
            delete(Device).where(Device.last_seen_at < now - DEVICE_MAX_SILENCE)
        ).rowcount,
        "sessions": db.session.execute(
            delete(AuthSession).where(
                or_(AuthSession.expires_at < now, AuthSession.revoked_at < now - timedelta(days=1))
            )
        ).rowcount,
        "idempotency_keys": db.session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < now - IDEMPOTENCY_KEY_AGE)
        ).rowcount,
    }
    db.session.flush()
    return deleted
