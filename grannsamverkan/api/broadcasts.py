"""Police broadcasts: send, read, update, cancel; RSVPs to training events (the public
documents made of them are in api/warning_documents.py)."""

from __future__ import annotations

from typing import Any

from grannsamverkan.api import caching, idempotency
from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.api.read_only import read_only
from grannsamverkan.errors import Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import Broadcast, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.broadcasts import (
    BroadcastCreatedSchema,
    BroadcastCreateSchema,
    BroadcastMemberSchema,
    BroadcastPageSchema,
    BroadcastPatchSchema,
    BroadcastPoliceSchema,
    BroadcastQuerySchema,
    BroadcastViewSchema,
    ReachSchema,
    RsvpSchema,
    TargetSchema,
)
from grannsamverkan.schemas.common import Shown
from grannsamverkan.services import broadcast_permissions, broadcasts

blp = Blueprint("broadcasts", __name__, description="Police broadcasts and training events")


# --- views of a broadcast --------------------------------------------------------------------


def point_view(lat: float | None, lon: float | None, *, raw: bool) -> dict[str, float] | None:
    if lat is None or lon is None:
        return None
    return {"lat": lat, "lon": lon} if raw else coarsen(lat, lon)


def circle_view(broadcast: Broadcast, *, raw: bool) -> dict[str, Any] | None:
    circle = broadcast.circle
    if circle is None:
        return None
    centre = point_view(circle["lat"], circle["lon"], raw=raw)
    return {**centre, "radius_m": circle["radius_m"]}  # type: ignore[dict-item]


def broadcast_view(
    user: User, broadcast: Broadcast, counts: broadcasts.ViewCounts | None = None
) -> Shown:
    """What the caller sees: police in scope get the reach and raw points; members get
    points coarsened and, for events, counts and their own answer. ``counts``: fetched for
    a whole page at once (else for this broadcast)."""
    if counts is None:
        counts = broadcasts.view_counts(user, [broadcast])
    police = broadcast_permissions.polices_broadcast(user, broadcast)
    view: dict[str, Any] = {
        "id": broadcast.id,
        "kind": broadcast.kind,
        "title": broadcast.title,
        "body": broadcast.body,
        "severity": broadcast.severity,
        "status": broadcast.status,
        "sequence": broadcast.sequence,
        "alert_id": broadcast.alert.id if broadcast.alert else None,
        "target": {
            "municipality_codes": broadcast.target_municipality_codes or [],
            "area_ids": broadcast.target_area_ids or [],
            "circle": circle_view(broadcast, raw=police),
        },
        "expires_at": broadcast.expires_at,
        "created_at": broadcast.created_at,
        "updated_at": broadcast.updated_at,
        "event": None,
    }
    if broadcast.is_event:
        view["event"] = {
            "topic": broadcast.event_topic,
            "starts_at": broadcast.starts_at,
            "ends_at": broadcast.ends_at,
            "place": broadcast.place,
            "location": point_view(broadcast.event_lat, broadcast.event_lon, raw=police),
            "capacity": broadcast.capacity,
        }
        view.update(counts.rsvp_counts(broadcast.id))
        view["my_rsvp"] = counts.my_rsvps.get(broadcast.id)
    if not police:
        return Shown(BroadcastMemberSchema, view)
    view["author_id"] = broadcast.author_id
    view["municipality_codes"] = broadcast.municipality_codes
    view["recipient_count"] = counts.recipients.get(broadcast.id, 0)
    return Shown(BroadcastPoliceSchema, view)


# --- loading and access ----------------------------------------------------------------------


def load_visible_broadcast(user: User, broadcast_id: int) -> Broadcast:
    """The broadcast, if the caller may see it (else 404: they must not learn it exists)."""
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None or not broadcast_permissions.can_see_broadcast(user, broadcast):
        raise NotFound("No such broadcast.")
    return broadcast


def load_managed_broadcast(user: User, broadcast_id: int) -> Broadcast:
    """404 if the caller cannot see it, 403 if they can see it but may not change it."""
    broadcast = load_visible_broadcast(user, broadcast_id)
    if not broadcast_permissions.can_manage_broadcast(user, broadcast):
        raise Forbidden("Only the police who sent this broadcast may change it.")
    return broadcast


def load_visible_event(user: User, broadcast_id: int) -> Broadcast:
    """A training event the caller may see (else 404)."""
    broadcast = load_visible_broadcast(user, broadcast_id)
    if not broadcast.is_event:
        raise NotFound("This broadcast is not an event.")
    return broadcast


# --- sending and managing --------------------------------------------------------------------


def _send(user: User, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    created = broadcasts.create_broadcast(author=user, **body)
    answer = {
        "id": created.broadcast.id,
        "alert_id": created.alert.id,
        "recipient_count": created.recipient_count,
    }
    return BroadcastCreatedSchema().dump(answer), 201


@blp.route("/broadcasts", methods=["POST"])
@auth_required
@checks_access
@blp.arguments(BroadcastCreateSchema)
@blp.response(201, BroadcastCreatedSchema)
@blp.doc(parameters=[idempotency.HEADER_DOC])
def create_broadcast(body: dict[str, Any]) -> Any:
    """Send a fraud warning, notice or training event to municipalities, areas or a circle
    (police, in their own municipalities)."""
    user = current_user()
    if not broadcast_permissions.can_send_broadcasts(user):
        raise Forbidden("Only police send broadcasts.")
    return idempotency.respond_once(
        user=user, scope="POST /broadcasts", action=lambda: _send(user, body)
    )


@blp.route("/broadcasts/reach", methods=["POST"])
@auth_required
@checks_access
@blp.arguments(TargetSchema)
@blp.response(200, ReachSchema)
def broadcast_reach(target: dict[str, Any]) -> Any:
    """How many people and phones a target would reach, before sending (police, in their own
    municipalities; body: the ``target`` of POST /broadcasts). Nothing is written."""
    user = current_user()
    if not broadcast_permissions.can_send_broadcasts(user):
        raise Forbidden("Only police send broadcasts.")
    preview = broadcasts.preview_reach(user, target)
    return {"people": preview.people, "phones": preview.phones}


@blp.route("/broadcasts", methods=["GET"])
@auth_required
@blp.arguments(BroadcastQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, BroadcastPageSchema)
def list_broadcasts(query: dict[str, Any], page: dict[str, Any]) -> Any:
    """Broadcasts that reach the caller; police also their own and their municipalities'."""
    user = current_user()
    result = paginate_query(
        broadcasts.visible_broadcasts_query(
            user,
            at=utcnow(),
            include_expired=query["include_expired"],
            kind=query.get("kind"),
        ),
        page,
    )
    counts = broadcasts.view_counts(user, result["items"])
    result["items"] = [broadcast_view(user, b, counts) for b in result["items"]]
    return result


@blp.route("/broadcasts/<int:broadcast_id>", methods=["GET"])
@read_only
@auth_required
@blp.response(200, BroadcastViewSchema, headers=caching.HEADERS_DOC)
@caching.revalidated
def get_broadcast(broadcast_id: int) -> Any:
    """A broadcast, for the members it reached and the police in scope."""
    user = current_user()
    broadcast = load_visible_broadcast(user, broadcast_id)
    police = broadcast_permissions.polices_broadcast(user, broadcast)
    # A member's view of a warning or notice shows no counts: none are fetched.
    counted = [broadcast] if police or broadcast.is_event else []
    counts = broadcasts.view_counts(user, counted)
    etag = caching.etag_of(
        "broadcast", user.id, police, broadcast.id, broadcast.sequence, broadcast.status,
        broadcast.updated_at, counts.rsvp_counts(broadcast.id),
        counts.my_rsvps.get(broadcast.id), counts.recipients.get(broadcast.id),
    )  # fmt: skip
    unchanged = caching.not_modified(etag)
    if unchanged is not None:
        return unchanged
    return broadcast_view(user, broadcast, counts), caching.validator_headers(etag)


@blp.route("/broadcasts/<int:broadcast_id>", methods=["PATCH"])
@auth_required
@checks_access
@blp.arguments(BroadcastPatchSchema)
@blp.response(200, BroadcastViewSchema)
def patch_broadcast(body: dict[str, Any], broadcast_id: int) -> Any:
    """Update a broadcast; the phones it reached are told (alert status "updated")."""
    user = current_user()
    broadcast = load_managed_broadcast(user, broadcast_id)
    broadcast = broadcasts.update_broadcast(actor=user, broadcast=broadcast, changes=body)
    db.session.commit()
    return broadcast_view(user, broadcast)


@blp.route("/broadcasts/<int:broadcast_id>/cancel", methods=["POST"])
@auth_required
@checks_access
@blp.response(200, BroadcastViewSchema)
def cancel_broadcast(broadcast_id: int) -> Any:
    """Cancel a broadcast ("all clear"); the phones it reached are told."""
    user = current_user()
    broadcast = load_managed_broadcast(user, broadcast_id)
    broadcast = broadcasts.cancel_broadcast(actor=user, broadcast=broadcast)
    db.session.commit()
    return broadcast_view(user, broadcast)


# --- RSVPs -----------------------------------------------------------------------------------


@blp.route("/broadcasts/<int:broadcast_id>/rsvp", methods=["POST"])
@auth_required
@checks_access
@blp.response(201, RsvpSchema)
def post_rsvp(broadcast_id: int) -> Any:
    """Take a place at a training event, or a place on its waiting list when it is full."""
    user = current_user()
    broadcast = load_visible_event(user, broadcast_id)
    if not broadcast_permissions.can_rsvp(user, broadcast):
        raise Forbidden("Only the members the event was sent to can take a place.")
    row = broadcasts.rsvp(user=user, broadcast=broadcast)
    status = row.status
    db.session.commit()
    return {"status": status}


@blp.route("/broadcasts/<int:broadcast_id>/rsvp", methods=["DELETE"])
@auth_required
@blp.response(204)
def delete_rsvp(broadcast_id: int) -> None:
    """Give up a place; the first on the waiting list is confirmed and told."""
    user = current_user()
    broadcast = load_visible_event(user, broadcast_id)
    broadcasts.cancel_rsvp(user=user, broadcast=broadcast)
    db.session.commit()
