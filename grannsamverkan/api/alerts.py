"""The caller's alert inbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app, request
from sqlalchemy import Row

from grannsamverkan.api import caching
from grannsamverkan.api.auth import current_identity, identity_required
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.pagination import Keyset, PageArgsSchema
from grannsamverkan.api.read_only import read_only
from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models.alert import alert_body, alert_title
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.alerts import InboxAlertPageSchema
from grannsamverkan.services import inbox
from grannsamverkan.services.accounts import SignedIn

blp = Blueprint("alerts", __name__, description="The caller's alerts")

# The inbox's pages, their statements built once: what thousands of phones fetch at once
# after a warning (BENCHMARKS.md, section 7).
INBOX_PAGES = Keyset(inbox.INBOX_PAGE, inbox.INBOX_KEYS)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def inbox_item(row: Row[Any], locale: str) -> dict[str, Any]:
    """One row of services.inbox.INBOX_PAGE as the inbox shows it, ready for JSON: what
    InboxAlertSchema would dump (tests/broadcasts/test_inbox_body.py holds them equal).
    Written for speed (50 of these a page): no intermediate point, each column read once."""
    lat, lon = row.lat, row.lon
    return {
        "id": row.id,
        "kind": row.kind,
        "category": row.category,
        "title": alert_title(row, locale),
        "body": alert_body(row, locale),
        "tip_id": row.about_tip_id,
        # Stored coarsened already; snapping again keeps this path safe alone.
        "location": coarsen(lat, lon) if lat is not None and lon is not None else None,
        "created_at": row.created_at.isoformat(),  # never null
        "expires_at": _iso(row.expires_at),
        "read_at": _iso(row.read_at),
        "status": row.status,
        "silent": row.silent,
        "url": row.url,
    }


@blp.route("/alerts", methods=["GET"])
@read_only
@identity_required
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, InboxAlertPageSchema, headers=caching.HEADERS_DOC)
@caching.revalidated
def list_alerts(page: dict[str, Any]) -> Any:
    """The caller's alerts, newest first."""
    caller, at = current_identity(), utcnow()
    if request.if_none_match:  # a copy held: first the cheap question whether it is current
        held = _inbox_etag(caller, page, inbox.inbox_version(caller.user_id, at=at))
        unchanged = caching.not_modified(held)
        if unchanged is not None:
            return unchanged
    result = INBOX_PAGES.page(inbox.page_params(caller.user_id, at=at), page)
    rows = result["items"]
    version = inbox.version_of(rows[0]) if rows else inbox.inbox_version(caller.user_id, at=at)
    result["items"] = [inbox_item(row, caller.locale) for row in rows]
    # Built ready for JSON, not dumped by the schema (which documents it): marshmallow took
    # a fifth of the request's time for a page of 50 (BENCHMARKS.md, read burst).
    etag = _inbox_etag(caller, page, version)
    return current_app.json.response(result), caching.validator_headers(etag)


def _inbox_etag(caller: SignedIn, page: dict[str, Any], version: tuple[Any, ...]) -> str:
    return caching.etag_of(
        "alerts", caller.user_id, caller.locale, page["limit"], page["cursor"], *version
    )


@blp.route("/alerts/<int:alert_id>/read", methods=["POST"])
@identity_required
@blp.response(204)
def read_alert(alert_id: int) -> None:
    """Mark an alert read (counts feed the read-rate statistics)."""
    inbox.mark_read(current_identity().user_id, alert_id)
    db.session.commit()
