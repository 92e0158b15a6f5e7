"""The police's public events of a municipality, as JSON and as an Atom feed (public, no
token); imported by ``flask import police-events`` and the worker."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app

from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.extensions import db
from grannsamverkan.feeds.atom import ATOM_MEDIA_TYPE
from grannsamverkan.feeds.police_atom import police_events_atom
from grannsamverkan.geo.municipalities import swedish_name
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.police_events import PoliceEventPageSchema, PoliceEventQuerySchema
from grannsamverkan.services import police_events

# The Atom feed's length: the newest events.
FEED_ENTRIES = 50

blp = Blueprint("police_events", __name__, description="The police's public events")


@blp.route("/police-events", methods=["GET"])
@blp.arguments(PoliceEventQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, PoliceEventPageSchema)
def list_police_events(query: dict[str, Any], page: dict[str, Any]) -> Any:
    """The police's public events of a municipality, newest first (public, no token)."""
    return paginate_query(police_events.events_query(query["municipality_code"]), page)


@blp.route("/feeds/police-events.atom", methods=["GET"])
@blp.arguments(PoliceEventQuerySchema, location="query")
@blp.response(200, {"type": "string"}, content_type=ATOM_MEDIA_TYPE, description="Atom 1.0")
def police_events_feed(query: dict[str, Any]) -> Any:
    """The newest public events of a municipality as an Atom feed, linking polisen.se."""
    code = query["municipality_code"]
    events = list(db.session.scalars(police_events.events_query(code).limit(FEED_ENTRIES)))
    base = current_app.config["GSV_PUBLIC_URL"]
    feed_url = f"{base}/api/v1/feeds/police-events.atom?{urlencode({'municipality_code': code})}"
    xml = police_events_atom(
        events,
        feed_url=feed_url,
        title=f"Polisens händelser – {swedish_name(code)}",
        updated=max((e.occurred_at for e in events), default=utcnow()),
    )
    return Response(xml, mimetype=ATOM_MEDIA_TYPE)
