"""Street areas, their members and invitations."""

from __future__ import annotations

from typing import Any

from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.openapi import documents
from grannsamverkan.api.pagination import PageArgsSchema, paginate_query, paginate_ranked
from grannsamverkan.api.ratelimit import invitation_email_limits
from grannsamverkan.errors import Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, User
from grannsamverkan.request_input import AREA_BODY, allow_body_bytes
from grannsamverkan.schemas.areas import (
    AreaCreateSchema,
    AreaPatchSchema,
    AreaPublicPageSchema,
    AreaPublicSchema,
    AreaQuerySchema,
    AreaSchema,
    AreaViewSchema,
    InvitationCreateSchema,
    InvitationPageSchema,
    InvitationSchema,
    MemberPageSchema,
    MemberPutSchema,
    MembershipSchema,
)
from grannsamverkan.schemas.common import Shown
from grannsamverkan.services import areas, invitations, memberships, permissions

blp = Blueprint("areas", __name__, description="Street areas and their members")


def load_area(area_id: int) -> Area:
    area = db.session.get(Area, area_id)
    if area is None:
        raise NotFound("No such area.")
    return area


def load_area_for_member_admin(area_id: int) -> Area:
    """The area, if the caller may learn about its members at all (else 404)."""
    area = load_area(area_id)
    if not permissions.knows_area_members(current_user(), area):
        raise NotFound("No such area.")
    return area


@blp.route("/areas", methods=["POST"])
@allow_body_bytes(AREA_BODY)
@auth_required
@checks_access
@blp.arguments(AreaCreateSchema)
@blp.response(201, AreaSchema)
def create_area(body: dict[str, Any]) -> Any:
    """Create a street area (police of its municipality, admin)."""
    if not permissions.serves_municipality(current_user(), body["municipality_code"]):
        raise Forbidden("You can only create areas in the municipalities you serve.")
    area = areas.create_area(actor=current_user(), **body)
    db.session.commit()
    return area


@blp.route("/areas", methods=["GET"])
@auth_required
@blp.arguments(AreaQuerySchema, location="query")
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, AreaPublicPageSchema)
def list_areas(query: dict[str, Any], page: dict[str, Any]) -> Any:
    """Public information on areas, by municipality or near a point."""
    code = query.get("municipality_code")
    if "near" in query:
        lat, lon = (float(x) for x in query["near"].split(","))
        return paginate_ranked(areas.areas_near((lat, lon), municipality_code=code), page)
    return paginate_query(areas.areas_query(municipality_code=code), page)


@blp.route("/areas/<int:area_id>", methods=["GET"])
@auth_required
@blp.response(200, AreaViewSchema)
def get_area(area_id: int) -> Any:
    """An area: full for its police and contact persons, public fields for others."""
    area = load_area(area_id)
    full = permissions.can_manage_area(current_user(), area)
    return Shown(AreaSchema if full else AreaPublicSchema, area)


@blp.route("/areas/<int:area_id>", methods=["PATCH"])
@allow_body_bytes(AREA_BODY)
@auth_required
@checks_access
@blp.arguments(AreaPatchSchema)
@blp.response(200, AreaSchema)
def patch_area(changes: dict[str, Any], area_id: int) -> Any:
    """Rename an area, change its boundary or its tip moderation."""
    area = load_area(area_id)
    if not permissions.can_manage_area(current_user(), area):
        raise Forbidden("Only the area's police and contact persons change it.")
    areas.update_area(area, changes, actor=current_user())
    db.session.commit()
    return area


@blp.route("/areas/<int:area_id>/join-requests", methods=["POST"])
@auth_required
@blp.response(201, MembershipSchema)
def request_to_join(area_id: int) -> Any:
    """Ask to join an area; a contact person approves."""
    membership = memberships.request_to_join(user=current_user(), area=load_area(area_id))
    db.session.commit()
    return membership


@blp.route("/areas/<int:area_id>/invitations", methods=["POST"])
@auth_required
@checks_access
@invitation_email_limits
@blp.arguments(InvitationCreateSchema)
@blp.response(201, InvitationSchema)
def create_invitation(body: dict[str, Any], area_id: int) -> Any:
    """A single-use invitation token to the area, for its contact person to pass on to one
    household; valid 7 days. With ``email``, the link is also e-mailed to that address."""
    area = load_area_for_member_admin(area_id)
    actor = current_user()
    if not permissions.can_invite_to_area(actor, area):
        raise Forbidden("Only the area's contact persons invite.")
    issued = invitations.create_invitation(area=area, created_by=actor, email=body.get("email"))
    invitations.email_invitation(issued)
    db.session.commit()
    return issued


def load_area_for_invitation_admin(area_id: int) -> Area:
    area = load_area_for_member_admin(area_id)
    if not permissions.can_manage_area(current_user(), area):
        raise Forbidden("Only the area's contact persons and police manage its invitations.")
    return area


@blp.route("/areas/<int:area_id>/invitations", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, InvitationPageSchema)
def list_invitations(page: dict[str, Any], area_id: int) -> Any:
    """The area's invitations, newest first, and whether each is open, used, revoked or
    expired (contact persons and police)."""
    area = load_area_for_invitation_admin(area_id)
    return paginate_query(invitations.invitations_query(area), page)


@blp.route("/areas/<int:area_id>/invitations/<int:invitation_id>", methods=["DELETE"])
@auth_required
@checks_access
@blp.response(204)
def revoke_invitation(area_id: int, invitation_id: int) -> None:
    """Revoke an invitation: its link stops working (contact persons and police)."""
    area = load_area_for_invitation_admin(area_id)
    invitation = invitations.find_invitation(area, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.")
    invitations.revoke_invitation(invitation, actor=current_user())
    db.session.commit()


@blp.route("/invitations/<token>/accept", methods=["POST"])
@auth_required
@checks_access
@documents(400)
@blp.response(200, MembershipSchema)
def accept_invitation(token: str) -> Any:
    """Accept an invitation: the caller becomes an active member (each link works once)."""
    membership = invitations.accept_invitation(user=current_user(), token=token)
    db.session.commit()
    return membership


@blp.route("/areas/<int:area_id>/members", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(PageArgsSchema, location="query")
@blp.response(200, MemberPageSchema)
def list_members(page: dict[str, Any], area_id: int) -> Any:
    """The area's households with addresses (contact persons and police)."""
    area = load_area_for_member_admin(area_id)
    if not permissions.can_manage_area(current_user(), area):
        raise Forbidden("Only the area's contact persons and police see its members.")
    return paginate_query(memberships.members_query(area), page)


def load_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


@blp.route("/areas/<int:area_id>/members/<int:user_id>", methods=["PUT"])
@auth_required
@checks_access
@blp.arguments(MemberPutSchema)
@blp.response(200, MembershipSchema)
def put_member(body: dict[str, Any], area_id: int, user_id: int) -> Any:
    """Approve, remove, or (police) appoint a contact person."""
    actor = current_user()
    area = load_area_for_member_admin(area_id)
    memberships.check_may_set_membership(actor, area, user_id, body.get("role"))
    membership = memberships.set_membership(
        actor=actor,
        area=area,
        user=load_user(user_id),
        status=body["status"],
        role=body.get("role"),
    )
    db.session.commit()
    return membership


@blp.route("/areas/<int:area_id>/members/<int:user_id>", methods=["DELETE"])
@auth_required
@checks_access
@blp.response(204)
def delete_member(area_id: int, user_id: int) -> None:
    """Leave the area, or remove a member from it."""
    actor = current_user()
    area = load_area_for_member_admin(area_id)
    memberships.check_may_remove_membership(actor, area, user_id)
    memberships.remove_membership(actor=actor, area=area, user_id=user_id)
    db.session.commit()
