"""The caller's alert inbox."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app, request
from werkzeug.exceptions import HTTPException

from grannsamverkan.api import caching
from grannsamverkan.api.auth import (
    current_identity,
    identify,
    identity_required,
    session_id_of_request,
    signed_in_as,
    signs_in_itself,
    unauthenticated,
)
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.openapi import documented_by
from grannsamverkan.api.pagination import Keyset, PageArgsSchema, page_args
from grannsamverkan.api.read_only import read_only
from grannsamverkan.errors import DomainError
from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models.alert import body_of, title_of
from grannsamverkan.models.types import utc_isoformat, utcnow
from grannsamverkan.schemas.alerts import InboxAlertPageSchema
from grannsamverkan.services import inbox
from grannsamverkan.services.accounts import SignedIn

blp = Blueprint("alerts", __name__, description="The caller's alerts")

# The inbox's pages, signing the caller in as they read, their statements built once: what
# thousands of phones fetch at once after a warning (BENCHMARKS.md, section 7). And the
# question a copy held asks first: the versions of the page's rows alone.
INBOX_PAGES = Keyset(inbox.INBOX_PAGE, inbox.INBOX_KEYS)
INBOX_VERSIONS = Keyset(inbox.INBOX_VERSIONS, inbox.INBOX_KEYS, cursors=False)


def inbox_items(rows: Sequence[Sequence[Any]], locale: str) -> list[dict[str, Any]]:
    """Rows of services.inbox.INBOX_PAGE, as the driver gives them, as the inbox shows
    them, ready for JSON: what InboxAlertSchema would dump (tests/broadcasts/
    test_inbox_body.py holds them equal). Written for speed (50 of these a page)."""
    iso = utc_isoformat(db.session.get_bind().dialect)
    return [
        {
            "id": alert_id,
            "kind": kind,
            "category": category,
            "title": title_of(kind, title, category, locale),
            "body": body_of(kind, title, category, body, locale),
            "tip_id": tip_id,
            # Stored coarsened already; snapping again keeps this path safe alone.
            "location": coarsen(lat, lon) if lat is not None and lon is not None else None,
            "created_at": iso(created_at),
            "expires_at": iso(expires_at) if expires_at is not None else None,
            "read_at": iso(read_at) if read_at is not None else None,
            "status": status,
            "silent": bool(silent),  # SQLite's driver gives 0 or 1
            "url": url,
        }
        for (
            created_at,
            alert_id,
            kind,
            category,
            title,
            body,
            tip_id,
            lat,
            lon,
            expires_at,
            status,
            url,
            read_at,
            silent,
            *_,
        ) in rows
    ]


@blp.route("/alerts", methods=["GET"])
@read_only
@documented_by(
    signs_in_itself,
    blp.arguments(PageArgsSchema, location="query"),
    blp.response(200, InboxAlertPageSchema, headers=caching.HEADERS_DOC),
    caching.revalidated,
)
def list_alerts() -> Any:
    """The caller's alerts, newest first."""
    # Sign-in is part of the page's statement: here only the token's signature and age.
    session_id = session_id_of_request()
    if session_id is None:
        return unauthenticated()
    try:
        page = page_args()
        place = INBOX_PAGES.place(page["cursor"])
    except (HTTPException, DomainError):
        # 401 before 422, as on every signed-in route: a dead session is told so first.
        if identify() is None:
            return unauthenticated()
        raise
    limit, params = page["limit"], inbox.page_params(session_id, at=utcnow())
    if request.if_none_match:  # a copy held: first the cheap question whether it is current
        rows = INBOX_VERSIONS.rows(params, limit, place)
        caller = _caller(rows)
        if caller is None:
            return unauthenticated()
        unchanged = caching.not_modified(_inbox_etag(caller, page, rows))
        if unchanged is not None:
            return unchanged
    rows = INBOX_PAGES.rows(params, limit, place)
    caller = _caller(rows)
    if caller is None:
        return unauthenticated()
    # Built ready for JSON, not dumped by the schema (which documents it): marshmallow took
    # a fifth of the request's time for a page of 50 (BENCHMARKS.md, read burst).
    answer = current_app.json.response(
        {
            "items": inbox_items(rows[:limit], caller.locale),
            "next_cursor": INBOX_PAGES.next_cursor(rows, limit),
        }
    )
    answer.headers.extend(caching.validator_headers(_inbox_etag(caller, page, rows)))
    return answer


def _caller(rows: Sequence[Sequence[Any]]) -> SignedIn | None:
    """Who the page's rows say signed in; for no rows (an empty page, or no live session)
    sign-in alone decides."""
    if not rows:
        return identify()
    caller = inbox.signed_in_as(rows[0])
    signed_in_as(caller)
    return caller


def _inbox_etag(caller: SignedIn, page: dict[str, Any], rows: Sequence[Sequence[Any]]) -> str:
    version = inbox.page_version(rows, page["limit"])
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
