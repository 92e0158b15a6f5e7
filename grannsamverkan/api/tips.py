"""Tips: report, read (per-role views), moderate, triage, delivery records."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, g

from grannsamverkan.api import idempotency
from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query
from grannsamverkan.api.ratelimit import rate_limited
from grannsamverkan.errors import Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.geo import geocoding
from grannsamverkan.models import Tip, TipForward, User
from grannsamverkan.schemas.common import Shown
from grannsamverkan.schemas.tips import (
    DeliveryReportSchema,
    ForwardingSchema,
    TipContactPersonSchema,
    TipCreatedSchema,
    TipCreateSchema,
    TipFullSchema,
    TipMemberSchema,
    TipPageSchema,
    TipPatchSchema,
    TipQuerySchema,
    TipRejectSchema,
    TipViewSchema,
)
from grannsamverkan.services import help_resources, open311, permissions, privacy, tips
from grannsamverkan.texts import close_relationship_guidance, forward_label, tip_guidance

blp = Blueprint("tips", __name__, description="Tips from members")

IDEMPOTENCY_SCOPE = "POST /tips"


def _tip_limit() -> str:
    return current_app.config["GSV_TIP_LIMIT"]


def _is_accepted(response: Response) -> bool:
    """Only tips filed count against the limit: a phone whose tip was refused (422, 403)
    must still be able to send the corrected one. (The limit is then tested before and
    counted after the request, so tips sent at the same moment may pass it together.)"""
    return response.status_code == 201


def _is_retry() -> bool:
    """A retry answered from its stored first response creates nothing, so it is not
    counted against the tip limit (else a phone retrying its last allowed tip gets 429)."""
    return idempotency.is_retry(user=g.get("user"), scope=IDEMPOTENCY_SCOPE)


class TipAsSeen:
    """A tip as one person sees it: its duplicate link only when they may follow it
    (permissions.sees_duplicate_link); everything else is the tip's own."""

    def __init__(self, tip: Tip, user: User) -> None:
        self._tip = tip
        self.duplicate_of_id = duplicate_link(user, tip)
        forward = tip.forward
        self.forwarding = None if forward is None else forwarding_view(forward, user.locale)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._tip, name)


def duplicate_link(user: User, tip: Tip) -> int | None:
    """The earlier tip this one repeats, for those who may follow the link."""
    return tip.duplicate_of_id if permissions.sees_duplicate_link(user, tip) else None


def forwarding_view(forward: TipForward, locale: str) -> dict[str, Any]:
    """A forward as ForwardingSchema shows it, labelled in the reader's language."""
    state = "closed" if forward.resolved else forward.state
    fields = ForwardingSchema().fields
    view = {name: getattr(forward, name) for name in fields if hasattr(forward, name)}
    return {**view, "status_label": forward_label(state, locale)}


def tip_view(user: User, tip: Tip) -> Shown:
    """The full view for police and the reporter; the contact persons' view (coarsened point,
    no protected reporter) for the area's contact persons; else the members' masked and
    coarsened one."""
    seen = TipAsSeen(tip, user)
    if not permissions.sees_tip_in_full(user, tip):
        return Shown(TipMemberSchema, seen)
    exact = permissions.sees_exact_tip_point(user, tip)
    if exact and permissions.sees_tip_reporter(user, tip):
        return Shown(TipFullSchema, seen)
    return Shown(TipContactPersonSchema, seen)


def _report(user: User, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    location = body["location"]
    if "lat" not in location:
        place = geocoding.geocode(location["address"], field="location.address")
        location = {"lat": place.lat, "lon": place.lon, "address": place.address}
    reported = tips.report_tip(
        reporter=user,
        category=body["category"],
        description=body["description"],
        lat=location["lat"],
        lon=location["lon"],
        address=location.get("address"),
        observed_at=body.get("observed_at"),
        vehicle=body.get("vehicle"),
        traffic_kind=body.get("traffic_kind"),
        time_of_day=body.get("time_of_day"),
        share_details_with_municipality=body["share_details_with_municipality"],
    )
    tip = reported.tip
    count = reported.recipient_count
    if not permissions.can_see_tip_deliveries(user, tip):
        count = privacy.coarse_count(count)  # members: no map of homes from probe tips
    answer = {
        "id": tip.id,
        "category": tip.category,
        "status": tip.status,
        "created_at": tip.created_at,
        "guidance": tip_guidance(user.locale),
        "police_only": tip.police_only,
        "help_resources": [],
        "alert": ({"id": reported.alert.id, "recipient_count": count} if reported.alert else None),
        # Not TipAsSeen: its forwarding view would load the new tip's forward for nothing.
        "duplicate_of": duplicate_link(user, tip),
    }
    if tip.police_only:
        answer["guidance"] = close_relationship_guidance(user.locale)
        code = tip.area.municipality_code
        answer["help_resources"] = help_resources.help_for_close_relationship_violence(code)
    return TipCreatedSchema().dump(answer), 201


@blp.route("/tips", methods=["POST"])
@auth_required
@checks_access
@rate_limited(_tip_limit, exempt_when=_is_retry, deduct_when=_is_accepted)
@blp.arguments(TipCreateSchema)
@blp.response(201, TipCreatedSchema)
@blp.doc(parameters=[idempotency.HEADER_DOC])
def create_tip(body: dict[str, Any]) -> Any:
    """Report a tip; the right neighbours and contact persons are alerted."""
    user = current_user()
    if not permissions.can_send_tips(user):
        raise Forbidden("Only active members of an area can send tips.")
    return idempotency.respond_once(
        user=user, scope=IDEMPOTENCY_SCOPE, action=lambda: _report(user, body)
    )


@blp.route("/tips", methods=["GET"])
@auth_required
@blp.arguments(TipQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, TipPageSchema)
def list_tips(filters: dict[str, Any], page: dict[str, Any]) -> Any:
    """Own tips; contact persons: their areas'; police: their municipalities'."""
    user = current_user()
    result = paginate_query(tips.visible_tips_query(user, filters=filters), page)
    result["items"] = [tip_view(user, tip) for tip in result["items"]]
    return result


def load_visible_tip(user: User, tip_id: int) -> Tip:
    """The tip, if the caller may see it (else 404: they must not learn it exists)."""
    tip = db.session.get(Tip, tip_id)
    if tip is None or not permissions.can_see_tip(user, tip):
        raise NotFound("No such tip.")
    return tip


@blp.route("/tips/<int:tip_id>", methods=["GET"])
@auth_required
@blp.response(200, TipViewSchema)
def get_tip(tip_id: int) -> Any:
    """A tip: in full for police, the area's contact persons and the reporter; masked and
    coarsened for members who were alerted."""
    user = current_user()
    tip = load_visible_tip(user, tip_id)
    return tip_view(user, tip)


@blp.route("/tips/<int:tip_id>", methods=["PATCH"])
@auth_required
@checks_access
@blp.arguments(TipPatchSchema)
@blp.response(200, TipViewSchema)
def patch_tip(body: dict[str, Any], tip_id: int) -> Any:
    """Triage: set the tip's status and a police note (police of its area); municipality
    staff set the status of the unsafe-place, vandalism and traffic tips they handle."""
    user = current_user()
    tip = load_visible_tip(user, tip_id)
    if not permissions.can_triage_tip(user, tip):
        raise Forbidden("Only police and the municipality change a tip's status.")
    if body.get("note") is not None and not permissions.can_write_police_note(user, tip):
        raise Forbidden("Only police write the police note.")
    tips.update_tip_status(
        actor=user,
        tip=tip,
        status=body["status"],
        note=body.get("note"),
        reason=body.get("reason"),
    )
    db.session.commit()
    return tip_view(user, tip)


def _moderate(tip_id: int, approve: bool, reason: str | None = None) -> Any:
    user = current_user()
    tip = load_visible_tip(user, tip_id)
    if not permissions.can_moderate_tip(user, tip):
        raise Forbidden("Only the area's contact persons and police moderate its tips.")
    tips.moderate_tip(actor=user, tip=tip, approve=approve, reason=reason)
    db.session.commit()
    return tip_view(user, tip)


@blp.route("/tips/<int:tip_id>/approve", methods=["POST"])
@auth_required
@checks_access
@blp.response(200, TipViewSchema)
def approve_tip(tip_id: int) -> Any:
    """Approve a tip waiting for moderation; its alert goes out now."""
    return _moderate(tip_id, approve=True)


@blp.route("/tips/<int:tip_id>/reject", methods=["POST"])
@auth_required
@checks_access
@blp.arguments(TipRejectSchema, required=False)
@blp.response(200, TipViewSchema)
def reject_tip(body: dict[str, Any], tip_id: int) -> Any:
    """Reject a tip waiting for moderation, optionally with a reason its reporter reads;
    nobody is alerted."""
    return _moderate(tip_id, approve=False, reason=(body or {}).get("reason"))


@blp.route("/tips/<int:tip_id>/deliveries", methods=["GET"])
@auth_required
@checks_access
@blp.response(200, DeliveryReportSchema)
def tip_deliveries(tip_id: int) -> Any:
    """How the tip's pushes fared: counts by state, per-device rows without tokens."""
    user = current_user()
    tip = load_visible_tip(user, tip_id)
    if not permissions.can_see_tip_deliveries(user, tip):
        raise Forbidden("Only police and the area's contact persons see its deliveries.")
    return tips.delivery_report(tip)


@blp.route("/tips/<int:tip_id>/forward", methods=["POST"])
@auth_required
@checks_access
@blp.response(202, ForwardingSchema)
def forward_tip(tip_id: int) -> Any:
    """Forward an unsafe-place or vandalism tip to its municipality's case system (Open311
    GeoReport v2). Queued now, sent by the outbox with retries; 409 when the category is not
    forwarded, the municipality has no Open311 endpoint or no service for the category, or
    the tip was already forwarded (a failed forward may be sent again)."""
    user = current_user()
    tip = load_visible_tip(user, tip_id)
    if not permissions.can_forward_tip_to_municipality(user, tip):
        raise Forbidden("Only police of the tip's area forward it to the municipality.")
    forward = open311.forward_tip(tip, actor=user)
    db.session.commit()
    return forwarding_view(forward, user.locale)
