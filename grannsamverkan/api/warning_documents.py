"""The public documents made of broadcasts, served without a token: iCalendar files of
training events, CAP 1.2 alerts and the public page of fraud warnings, the Atom feed."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Response, current_app

from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.broadcasts import circle_view, point_view
from grannsamverkan.errors import NotFound
from grannsamverkan.extensions import db
from grannsamverkan.feeds.atom import ATOM_MEDIA_TYPE, cap_url, warnings_atom
from grannsamverkan.feeds.cap import CAP_MEDIA_TYPE, cap_alert_xml
from grannsamverkan.feeds.document import WarningDocument
from grannsamverkan.feeds.ical import ICS_MEDIA_TYPE, event_ics
from grannsamverkan.geo.municipalities import swedish_name
from grannsamverkan.models import Broadcast
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.broadcasts import FeedQuerySchema, PublicWarningSchema
from grannsamverkan.services import broadcasts

# The documents are text in their own formats; the content type says which.
TEXT = {"type": "string"}

blp = Blueprint("warning_documents", __name__, description="Public documents: CAP, Atom, iCalendar")


def _public_url() -> str:
    """The base of every link in the public documents: GSV_PUBLIC_URL (or its fallback),
    never the request's Host, which whoever sends the request chooses."""
    return current_app.config["GSV_PUBLIC_URL"]


def _host() -> str:
    return urlsplit(_public_url()).hostname or "localhost"


def warning_document(broadcast: Broadcast) -> WarningDocument:
    """The feeds' view of a broadcast: public, so every point is coarsened."""
    circle = circle_view(broadcast, raw=False)
    location = point_view(broadcast.event_lat, broadcast.event_lon, raw=False)
    return WarningDocument(
        broadcast_id=broadcast.id,
        kind=broadcast.kind,
        title=broadcast.title,
        body=broadcast.body,
        severity=broadcast.severity,
        status=broadcast.status,
        sequence=broadcast.sequence,
        created_at=broadcast.created_at,
        updated_at=broadcast.updated_at,
        expires_at=broadcast.expires_at,
        municipality_codes=broadcast.municipality_codes,
        area_names=broadcasts.target_area_names(broadcast),
        circle=(circle["lat"], circle["lon"], float(circle["radius_m"])) if circle else None,
        sender=f"polisen@{_host()}",
        event_topic=broadcast.event_topic,
        starts_at=broadcast.starts_at,
        ends_at=broadcast.ends_at,
        place=broadcast.place,
        location=(location["lat"], location["lon"]) if location else None,
        capacity=broadcast.capacity,
    )


def _public(broadcast_id: int, kind: str) -> Broadcast:
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.kind != kind:
        raise NotFound("No such document.")
    return broadcast


@blp.route("/broadcasts/<int:broadcast_id>/event.ics", methods=["GET"])
@blp.response(200, TEXT, content_type=ICS_MEDIA_TYPE, description="One VEVENT (RFC 5545)")
def event_calendar(broadcast_id: int) -> Any:
    """A training event as an iCalendar file (public, no token)."""
    doc = warning_document(_public(broadcast_id, "training_event"))
    response = Response(event_ics(doc, domain=_host()), mimetype=ICS_MEDIA_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="event-{broadcast_id}.ics"'
    return response


@blp.route("/broadcasts/<int:broadcast_id>/cap.xml", methods=["GET"])
@blp.response(200, TEXT, content_type=CAP_MEDIA_TYPE, description="A CAP 1.2 alert")
def cap_document(broadcast_id: int) -> Any:
    """A fraud warning as a CAP 1.2 alert (public); Update and Cancel reference earlier
    versions."""
    broadcast = _public(broadcast_id, "fraud_warning")
    xml = cap_alert_xml(
        warning_document(broadcast),
        base_url=_public_url(),
        previous_versions=broadcasts.previous_versions(broadcast),
    )
    return Response(xml, mimetype=CAP_MEDIA_TYPE)


@blp.route("/warnings/<int:broadcast_id>", methods=["GET"])
@blp.response(200, PublicWarningSchema)
def public_warning(broadcast_id: int) -> Any:
    """A fraud warning as published to everyone (no token): the page its CAP alert links."""
    doc = warning_document(_public(broadcast_id, "fraud_warning"))
    circle = doc.circle
    return {
        "id": doc.broadcast_id,
        "title": doc.title,
        "body": doc.body,
        "severity": doc.severity,
        "status": doc.status,
        "sequence": doc.sequence,
        "created_at": doc.created_at,
        "updated_at": doc.updated_at,
        "expires_at": doc.expires_at,
        "municipalities": [
            {"code": code, "name": swedish_name(code)} for code in doc.municipality_codes
        ],
        "area_names": doc.area_names,
        "circle": {"lat": circle[0], "lon": circle[1], "radius_m": circle[2]} if circle else None,
        "cap_url": cap_url(doc.broadcast_id, base_url=_public_url()),
    }


@blp.route("/feeds/warnings.atom", methods=["GET"])
@blp.arguments(FeedQuerySchema, location="query")
@blp.response(200, TEXT, content_type=ATOM_MEDIA_TYPE, description="An Atom 1.0 feed")
def warnings_feed(query: dict[str, Any]) -> Any:
    """Active fraud warnings (public), optionally of one municipality, linking their CAP."""
    now = utcnow()
    code = query.get("municipality_code")
    found = broadcasts.active_warnings(at=now, municipality_code=code)
    docs = [warning_document(b) for b in found]
    # Each filtered feed has its own id and self link, built from the public URL.
    feed_url = f"{_public_url()}/api/v1/feeds/warnings.atom"
    if code:
        feed_url += f"?{urlencode({'municipality_code': code})}"
    xml = warnings_atom(
        docs,
        base_url=_public_url(),
        feed_url=feed_url,
        title=f"Varningar – {swedish_name(code)}" if code else "Varningar",
        updated=max((d.updated_at for d in docs), default=now),
    )
    return Response(xml, mimetype=ATOM_MEDIA_TYPE)
