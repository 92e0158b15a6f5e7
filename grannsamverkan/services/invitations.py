"""Invitations to an area: a contact person's link that makes one household a member.

Each link works once (single-use: a letter with its QR code goes to one letterbox), until
it expires, is revoked by the area's contact persons or police, or its maker stops being a
contact person of the area. Accepting one grants at most an active ``member``: it never
restores a role and never lifts a ``removed`` status (docs/privacy-and-routing.md).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from flask import current_app
from sqlalchemy import CursorResult, Select, select, update

from grannsamverkan.config import public_base_url
from grannsamverkan.errors import N_, Forbidden, InvalidLink
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Invitation, Membership, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import audit, permissions, signing
from grannsamverkan.services.emails import queue_email
from grannsamverkan.services.local_time import LOCAL_TIME
from grannsamverkan.services.memberships import find_membership

NO_LONGER_VALID = N_("This invitation is no longer valid: it was used, revoked or has expired.")
# Where an invitation link leads: the console's public page (console/invitations.py), which
# tells how to accept it in the app.
INVITATION_PATH = "/invitations/"
# Always Swedish, as the printed letter: the invitee has no account, and so no language, yet.
INVITATION_SUBJECT = "Inbjudan till Grannsamverkan: {area}"
INVITATION_BODY = (
    "Hej!\n\n"
    "{inviter}, kontaktombud i Grannsamverkan för {area}, bjuder in ditt hushåll att vara med. "
    "Som medlem får du larm om inbrott och misstänkta händelser i grannskapet och kan "
    "själv tipsa grannarna.\n\n"
    "Så går du med:\n"
    "1. Skapa ett konto i Grannsamverkans app med den här e-postadressen ({email}), eller "
    "logga in om du redan har ett.\n"
    "2. Öppna länken och godta inbjudan:\n\n"
    "{link}\n\n"
    "Länken fungerar en gång, för ett hushåll, till och med {expires}.\n\n"
    "Vill du inte vara med kan du bortse från det här e-brevet: inget händer då.\n\n"
    "Ring 112 om ett brott pågår. Ett tips i appen är ingen polisanmälan.\n"
)


@dataclass(frozen=True)
class IssuedInvitation:
    """A new invitation and its link's token (the token is shown once, to its maker)."""

    invitation: Invitation
    token: str

    @property
    def id(self) -> int:
        return self.invitation.id

    @property
    def expires_at(self) -> datetime:
        return self.invitation.expires_at


def create_invitation(*, area: Area, created_by: User, email: str | None) -> IssuedInvitation:
    """A single-use invitation to ``area`` (only for ``email`` when given); the caller may
    invite (permissions.can_invite_to_area)."""
    max_age = current_app.config["GSV_INVITATION_MAX_AGE"]
    invitation = Invitation(
        area=area,
        created_by=created_by,
        email=email.lower() if email else None,
        nonce=secrets.token_urlsafe(16),
        expires_at=utcnow() + timedelta(seconds=max_age),
    )
    db.session.add(invitation)
    db.session.flush()
    changes = {"email": (None, invitation.email), "expires_at": (None, invitation.expires_at)}
    audit.record(created_by, "invitation.create", invitation, changes)
    return IssuedInvitation(invitation, token_of(invitation))


def invitation_link(token: str) -> str:
    """The link on GSV_PUBLIC_URL (never on the host a request came to)."""
    return public_base_url(current_app.config.get("GSV_PUBLIC_URL")) + INVITATION_PATH + token


def email_invitation(issued: IssuedInvitation) -> None:
    """Queue the invitation's link to the address it is for (sent after the caller commits)."""
    invitation = issued.invitation
    if invitation.email is None:
        return
    area = invitation.area
    inviter = invitation.created_by.name if invitation.created_by else area.name
    expires = invitation.expires_at.astimezone(LOCAL_TIME).strftime("%Y-%m-%d")
    queue_email(
        to=invitation.email,
        subject=INVITATION_SUBJECT.format(area=area.name),
        body=INVITATION_BODY.format(
            inviter=inviter,
            area=area.name,
            email=invitation.email,
            link=invitation_link(issued.token),
            expires=expires,
        ),
        purpose="invitation",
    )


def token_of(invitation: Invitation) -> str:
    """The signed token of the invitation's link (its row decides how long it works)."""
    return signing.sign(signing.INVITE, {"id": invitation.id, "nonce": invitation.nonce})


def read_invitation(token: str, *, allow_used: bool = False) -> Invitation:
    """The invitation a token names, if it still works. Raises itsdangerous.BadData (400)
    when the token is forged or too old, InvalidLink when it was revoked, has expired, was
    used (unless ``allow_used``), or its maker is no longer a contact person of the area."""
    max_age = current_app.config["GSV_INVITATION_MAX_AGE"]
    payload = signing.unsign(signing.INVITE, token, max_age=max_age)
    invitation = None
    if isinstance(payload, dict) and isinstance(payload.get("id"), int):
        invitation = db.session.get(Invitation, payload["id"])
    if invitation is None or not secrets.compare_digest(
        invitation.nonce, str(payload.get("nonce"))
    ):
        raise InvalidLink(NO_LONGER_VALID)
    if invitation.state not in (("open", "used") if allow_used else ("open",)):
        raise InvalidLink(NO_LONGER_VALID)
    maker = invitation.created_by
    if maker is None or not permissions.can_invite_to_area(maker, invitation.area):
        raise InvalidLink(NO_LONGER_VALID)
    return invitation


def accept_invitation(*, user: User, token: str) -> Membership:
    """The invited household becomes an active ``member`` and the link is used up. An active
    member keeps their membership as it is (and the link stays unused); a removed one is
    refused (403): an invitation never undoes a removal."""
    invitation = read_invitation(token, allow_used=True)
    if invitation.email and invitation.email != (user.email or "").lower():
        raise InvalidLink("This invitation was sent to another e-mail address.")
    membership = find_membership(invitation.area, user.id)
    if membership is not None and membership.status == "active":
        return membership
    if membership is not None and membership.status == "removed":
        raise Forbidden(
            "You were removed from this area, and an invitation does not undo that: "
            "ask its contact persons."
        )
    _use(invitation, user)
    if membership is None:
        membership = Membership(area=invitation.area, user=user)
        db.session.add(membership)
    membership.status, membership.role = "active", "member"
    membership.decided_by_id = invitation.created_by_id
    db.session.flush()
    return membership


def _use(invitation: Invitation, user: User) -> None:
    """Marks the invitation used, atomically: of two households accepting the same link at
    once, one gets it and the other a 400."""
    statement = (
        update(Invitation)
        .where(
            Invitation.id == invitation.id,
            Invitation.used_at.is_(None),
            Invitation.revoked_at.is_(None),
        )
        .values(used_at=utcnow(), used_by_id=user.id)
        .execution_options(synchronize_session="fetch")
    )
    if cast(CursorResult[Any], db.session.execute(statement)).rowcount != 1:
        raise InvalidLink(NO_LONGER_VALID)


def revoke_invitation(invitation: Invitation, *, actor: User) -> None:
    """The link stops working (a used one has done its work and stays as it was); the caller
    may manage the area."""
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = utcnow()
        audit.record(actor, "invitation.revoke", invitation, {"revoked_at": (None, utcnow())})
        db.session.flush()


def invitations_query(area: Area) -> Select[Any]:
    """The area's invitations, newest first."""
    return select(Invitation).where(Invitation.area_id == area.id).order_by(Invitation.id.desc())


def find_invitation(area: Area, invitation_id: int) -> Invitation | None:
    invitation = db.session.get(Invitation, invitation_id)
    return invitation if invitation is not None and invitation.area_id == area.id else None
