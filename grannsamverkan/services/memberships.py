"""Memberships: join requests, approval, roles and leaving (invitations: invitations.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import contains_eager

from grannsamverkan.errors import Conflict, Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Membership, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import accounts, audit, notices, permission_scopes, permissions


def find_membership(area: Area, user_id: int) -> Membership | None:
    return db.session.scalar(
        select(Membership).where(Membership.area_id == area.id, Membership.user_id == user_id)
    )


def request_to_join(*, user: User, area: Area) -> Membership:
    """A household asks to join; a contact person approves. A removed one may ask again."""
    membership = find_membership(area, user.id)
    if membership is not None and membership.status != "removed":
        raise Conflict("You are already a member of this area or have asked to join.")
    if membership is None:
        membership = Membership(area=area, user=user, role="member", status="pending")
        db.session.add(membership)
    else:
        membership.status, membership.role, membership.decided_by_id = "pending", "member", None
    db.session.flush()
    notices.notify_join_request(membership, at=utcnow())
    return membership


def check_may_set_membership(actor: User, area: Area, user_id: int, role: str | None) -> None:
    """Police may set anything; contact persons only the status of ordinary members."""
    if permissions.can_police_area(actor, area):
        return
    if not permissions.is_contact_person(actor, area):
        raise Forbidden("Only the area's contact persons and police manage its members.")
    membership = find_membership(area, user_id)
    if membership is None:
        raise NotFound("No such member in this area.")
    if not permissions.contact_person_may_set(membership, role):
        raise Forbidden("Contact persons may only change the status of ordinary members.")


def check_may_remove_membership(actor: User, area: Area, user_id: int) -> None:
    """Anyone may leave and police remove anyone; contact persons remove ordinary members."""
    if permissions.may_remove_without_limits(actor, area, user_id):
        return
    # Check the right first, so members without it cannot probe who else is a member.
    if not permissions.is_contact_person(actor, area):
        raise Forbidden("You may not remove this member.")
    membership = find_membership(area, user_id)
    if membership is not None and not permissions.is_ordinary_member(membership):
        raise Forbidden("Contact persons may remove only ordinary members.")


def set_membership(
    *, actor: User, area: Area, user: User, status: str, role: str | None
) -> Membership:
    """PUT a membership: create it (police) or change its status and, when given, its role.
    The caller may (check_may_set_membership)."""
    membership = find_membership(area, user.id)
    before: dict[str, str | None] = {"status": None, "role": None}
    if membership is None:
        membership = Membership(area=area, user=user, role=role or "member")
        db.session.add(membership)
    else:
        before = {"status": membership.status, "role": membership.role}
        if role is not None:
            membership.role = role
    membership.status = status
    membership.decided_by_id = actor.id
    db.session.flush()
    after: dict[str, str | None] = {"status": membership.status, "role": membership.role}
    changes = {"user_id": (user.id, user.id), **audit.changed(before, after)}
    audit.record(actor, membership_action(before, after), membership, changes)
    return membership


def membership_action(before: dict[str, str | None], after: dict[str, str | None]) -> str:
    """The audit action of a membership change: what the change was for."""
    if before["status"] is None:
        return "membership.create"
    if before["role"] != after["role"]:
        return "membership.role"
    if after["status"] == "removed":
        return "membership.remove"
    if before["status"] == "pending" and after["status"] == "active":
        return "membership.approve"
    return "membership.status"


def remove_membership(*, actor: User, area: Area, user_id: int) -> None:
    """Leave an area, or remove someone from it; the caller may. Removing someone else is
    audited; leaving is the member's own business."""
    membership = find_membership(area, user_id)
    if membership is None:
        raise NotFound("No such member in this area.")
    if actor.id != user_id:
        changes = {
            "user_id": (user_id, user_id),
            "status": (membership.status, None),
            "role": (membership.role, None),
        }
        audit.record(actor, "membership.delete", membership, changes)
    if membership.user.is_household:
        # A household exists only as this membership: removed, it is erased, not orphaned.
        accounts.delete_account(membership.user)
        return
    db.session.delete(membership)
    db.session.flush()


def members_query(area: Area) -> Select[Membership]:
    """The area's households; people with protected personal data are never listed."""
    return (
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .options(contains_eager(Membership.user))  # the list shows each one's name
        .where(Membership.area_id == area.id, User.home_protected.is_(False))
        .order_by(Membership.id)
    )


def join_requests_query(actor: User) -> Select[Any]:
    """Households waiting to join an area ``actor`` manages, oldest first; as in
    ``members_query``, people with protected personal data are never listed."""
    return (
        select(Membership)
        .join(User, Membership.user_id == User.id)
        .where(
            Membership.status == "pending",
            Membership.area_id.in_(permission_scopes.managed_area_ids(actor)),
            User.home_protected.is_(False),
        )
        .order_by(Membership.created_at, Membership.id)
    )
