"""Forwarding unsafe-place and vandalism tips to the municipality's own case system over
Open311 GeoReport v2 (README "Open311 forwarding").

A forward is a ``TipForward`` row with exactly what will leave the system, and an outbox row
(channel "open311") that the dispatcher sends after the commit, with the outbox's leases,
retries and backoff (notify/open311.py); never inside the request. Only the coarse grid cell
and the masked text leave, unless the reporter agreed to share the exact place and text.
The reporter's identity never leaves.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask import current_app

from grannsamverkan.errors import N_, Conflict
from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import Delivery, Tip, TipForward, User
from grannsamverkan.open311_config import Open311Endpoint, parse_open311
from grannsamverkan.services import privacy
from grannsamverkan.services.permissions import FORWARDABLE_TIP_CATEGORIES
from grannsamverkan.texts import category_label

# Tips still waiting for a moderator, or rejected, are nobody's business outside.
FORWARDABLE_STATUSES = ("open", "investigating", "closed")


@lru_cache(maxsize=8)
def _parsed(configured: str | None) -> dict[str, Open311Endpoint]:
    return parse_open311(configured)


def endpoints() -> dict[str, Open311Endpoint]:
    """The configured municipalities (GSV_OPEN311), by municipality code."""
    return _parsed(current_app.config.get("GSV_OPEN311"))


def service_code_for(tip: Tip) -> str | None:
    """The municipality's service_code for the tip's category; None if it takes none."""
    endpoint = endpoints().get(tip.area.municipality_code)
    return endpoint.service_codes.get(tip.category) if endpoint else None


def refusal(tip: Tip) -> str | None:
    """Why the tip cannot be forwarded now (an English message id), or None if it can."""
    if tip.category not in FORWARDABLE_TIP_CATEGORIES or tip.police_only:
        return N_("Only unsafe-place and vandalism tips are forwarded to the municipality.")
    if tip.status not in FORWARDABLE_STATUSES:
        return N_("A tip waiting for moderation, or rejected, is not forwarded.")
    if tip.area.municipality_code not in endpoints():
        return N_("The municipality has no Open311 forwarding configured.")
    if service_code_for(tip) is None:
        return N_("The municipality takes no Open311 requests of this category.")
    forward = tip.forward
    if forward is not None and forward.state != "failed":
        return N_("This tip has already been forwarded.")
    return None


def may_be_forwarded(tip: Tip) -> bool:
    return refusal(tip) is None


def forward_tip(tip: Tip, *, actor: User | None) -> TipForward:
    """Queue the tip for its municipality (409 when it cannot go); sent after the commit.
    A forward that failed for good may be queued again."""
    reason = refusal(tip)
    if reason is not None:
        raise Conflict(reason)
    service_code = service_code_for(tip)
    assert service_code is not None  # refusal() checked it
    forward = tip.forward or TipForward(tip=tip, municipality_code=tip.area.municipality_code)
    forward.service_code = service_code
    forward.shares_details = tip.share_details_with_municipality
    forward.payload = outgoing_fields(tip, service_code)
    forward.state, forward.last_error = "queued", None
    forward.forwarded_by_id = actor.id if actor is not None else None
    forward.token = forward.service_request_id = forward.municipality_status = None
    db.session.add(forward)
    db.session.flush()
    db.session.add(
        Delivery(channel="open311", platform="open311", purpose="open311", tip_forward=forward)
    )
    db.session.flush()
    db.session.info["deliveries_written"] = True
    return forward


def outgoing_fields(tip: Tip, service_code: str) -> dict[str, Any]:
    """The GeoReport v2 fields of the request: the coarse cell and masked text, or, when the
    reporter agreed, the exact point, the address and the text as written. Never who
    reported it. (The API key and jurisdiction are added when sending, from the config.)"""
    label = category_label(tip.category, "sv")
    if tip.share_details_with_municipality:
        lat, lon, text = tip.lat, tip.lon, tip.description
    else:
        cell = coarsen(tip.lat, tip.lon)
        lat, lon, text = cell["lat"], cell["lon"], privacy.mask_text(tip.description)
    fields = {
        "service_code": service_code,
        "lat": f"{lat:.6f}",
        "long": f"{lon:.6f}",
        "description": f"{label} (tips via Grannsamverkan): {text}"[:4000],
    }
    if tip.share_details_with_municipality and tip.address:
        fields["address_string"] = tip.address
    return fields


def forward_automatically(tip: Tip) -> TipForward | None:
    """Tips of municipalities configured with ``auto_forward`` go out as soon as they are
    open (reported, or approved by a moderator)."""
    endpoint = endpoints().get(tip.area.municipality_code)
    if endpoint is None or not endpoint.auto_forward or not may_be_forwarded(tip):
        return None
    return forward_tip(tip, actor=None)
