"""The caller's alert inbox."""

from __future__ import annotations

from typing import Any

from grannsamverkan.api.auth import auth_required, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import AlertRecipient
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.alerts import InboxAlertPageSchema
from grannsamverkan.services import alerts

blp = Blueprint("alerts", __name__, description="The caller's alerts")


def inbox_item(row: AlertRecipient, locale: str) -> dict[str, Any]:
    alert = row.alert
    location = alert.location
    return {
        "id": alert.id,
        "kind": alert.kind,
        "category": alert.category,
        "title": alert.title_in(locale),
        "body": alert.body_in(locale),
        "tip_id": alert.about_tip_id,
        # Stored coarsened already; snapping again is free and keeps this path safe alone.
        "location": coarsen(location["lat"], location["lon"]) if location else None,
        "created_at": alert.created_at,
        "expires_at": alert.expires_at,
        "read_at": row.read_at,
        "status": alert.status,
        "silent": row.silent,
        "url": alert.url,
    }


@blp.route("/alerts", methods=["GET"])
@auth_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, InboxAlertPageSchema)
def list_alerts(page: dict[str, Any]) -> Any:
    """The caller's alerts, newest first."""
    user = current_user()
    result = paginate_query(alerts.inbox_query(user, at=utcnow()), page)
    result["items"] = [inbox_item(row, user.locale) for row in result["items"]]
    return result


@blp.route("/alerts/<int:alert_id>/read", methods=["POST"])
@auth_required
@blp.response(204)
def read_alert(alert_id: int) -> None:
    """Mark an alert read (counts feed the read-rate statistics)."""
    alerts.mark_read(current_user(), alert_id)
    db.session.commit()
