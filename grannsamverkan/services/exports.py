"""A user's own data, gathered for export (GET /me/export)."""

from __future__ import annotations

from typing import Any

from grannsamverkan.models import User


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def collect_personal_data(user: User) -> dict[str, Any]:
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
        },
        "devices": [
            {
                "token": device.token,
                "platform": device.platform,
                "created_at": _iso(device.created_at),
                "last_seen_at": _iso(device.last_seen_at),
            }
            for device in user.devices
        ],
        "memberships": [
            {
                "area_id": m.area_id,
                "area_name": m.area.name,
                "role": m.role,
                "status": m.status,
                "created_at": _iso(m.created_at),
            }
            for m in user.memberships
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
