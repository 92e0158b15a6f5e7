"""Exports: a user's own data (GET /me/export), and the statistics CSV police download
(audited, services/audit.py; the member's own export is not)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Rsvp, Tip, User
from grannsamverkan.services import audit, stats


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def collect_personal_data(user: User) -> dict[str, Any]:
    """Everything stored about the user, section by section."""
    return {
        "account": {
            "id": user.id,
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "locale": user.locale,
            "created_at": _iso(user.created_at),
            "municipality_codes": user.municipality_codes or [],
        },
        "home": user.home,
        "home_protected": user.home_protected,
        "alert_settings": {
            "alert_radius_m": user.alert_radius_m,
            "quiet_hours": user.quiet_hours,
            "categories": user.categories,
            "channels": user.channels,
            "phone": user.phone,
            "digest": user.digest,
            "police_events": user.police_events_in_inbox,
        },
        "devices": _devices(user),
        "memberships": _memberships(user),
        "tips": _tips(user),
        "alerts_received": _alerts_received(user),
        "rsvps": [
            {"broadcast_id": r.broadcast_id, "status": r.status, "created_at": _iso(r.created_at)}
            for r in db.session.scalars(select(Rsvp).where(Rsvp.user_id == user.id))
        ],
        "sessions": [
            {
                "created_at": _iso(s.created_at),
                "expires_at": _iso(s.expires_at),
                "revoked_at": _iso(s.revoked_at),
            }
            for s in user.sessions
        ],
    }


def _devices(user: User) -> list[dict[str, Any]]:
    return [
        {
            "token": device.token,
            "platform": device.platform,
            "created_at": _iso(device.created_at),
            "last_seen_at": _iso(device.last_seen_at),
        }
        for device in user.devices
    ]


def _memberships(user: User) -> list[dict[str, Any]]:
    return [
        {
            "area_id": m.area_id,
            "area_name": m.area.name,
            "role": m.role,
            "status": m.status,
            "created_at": _iso(m.created_at),
        }
        for m in user.memberships
    ]


def _tips(user: User) -> list[dict[str, Any]]:
    return [
        {
            "id": tip.id,
            "category": tip.category,
            "description": tip.description,
            "location": tip.location,
            "address": tip.address,
            "observed_at": _iso(tip.observed_at),
            "vehicle": tip.vehicle,
            "status": tip.status,
            "created_at": _iso(tip.created_at),
            "share_details_with_municipality": tip.share_details_with_municipality,
            # What went to the municipality's case system (Open311), if anything did.
            "forwarded_to_municipality": (
                {"municipality_code": tip.forward.municipality_code, "sent": tip.forward.payload}
                if tip.forward is not None
                else None
            ),
        }
        for tip in db.session.scalars(
            select(Tip).where(Tip.reporter_id == user.id).order_by(Tip.id)
        )
    ]


def _alerts_received(user: User) -> list[dict[str, Any]]:
    return [
        {
            "alert_id": alert_id,
            "kind": kind,
            "created_at": _iso(created_at),
            "read_at": _iso(read_at),
        }
        for alert_id, kind, created_at, read_at in db.session.execute(
            select(Alert.id, Alert.kind, Alert.created_at, AlertRecipient.read_at)
            .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
            .where(AlertRecipient.user_id == user.id)
            .order_by(Alert.id)
        )
    ]


def tip_counts_csv(
    *,
    actor: User,
    municipality_codes: list[str] | None,
    group_by: Sequence[str],
    date_from: date | None = None,
    date_to: date | None = None,
) -> str:
    """count_tips as CSV, for download: an export, so it is audited (what was counted)."""
    rows = stats.count_tips(
        municipality_codes=municipality_codes,
        group_by=group_by,
        date_from=date_from,
        date_to=date_to,
    )
    selection = {
        "municipality_codes": (None, municipality_codes),
        "group_by": (None, list(group_by)),
        "date_from": (None, date_from),
        "date_to": (None, date_to),
        "rows": (None, len(rows)),
    }
    target = audit.Target("statistics", None, tuple(municipality_codes or ()))
    audit.record(actor, "statistics.export", target, selection)
    return stats.rows_to_csv(rows, stats.columns_for(group_by))
