"""Invitations: a contact person makes a single-use link (POST /areas/{id}/invitations's
service), sees it in full and prints an A4 letter with its QR code for one letterbox. The
area page lists its invitations (used, open, revoked, expired); its contact persons and police
revoke open ones there. The link opens a public page that tells how to accept in the phone
app (a signed-in console user may accept right there, through the same service as the API)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import segno
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from itsdangerous import BadData
from markupsafe import Markup

from grannsamverkan.api.ratelimit import invitation_email_limits
from grannsamverkan.console import forms, session
from grannsamverkan.console.areas import load_managed_area, render_detail
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import BadRequest, Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Invitation
from grannsamverkan.schemas.areas import InvitationCreateSchema
from grannsamverkan.services import invitations as invitation_service
from grannsamverkan.services import permissions

bp = Blueprint("invitations", __name__)


@dataclass(frozen=True)
class InvitationView:
    area_id: int
    area_name: str
    token: str
    link: str
    expires_at: datetime


def valid_days() -> int:
    return int(current_app.config["GSV_INVITATION_MAX_AGE"] // 86400)


def invitation_link(token: str) -> str:
    """The full link: on GSV_PUBLIC_URL when it is set, else on the host this request came to."""
    if current_app.config.get("GSV_PUBLIC_URL"):
        return invitation_service.invitation_link(token)
    return url_for("console.invitations.public", token=token, _external=True)


def qr_svg(link: str, title: str) -> Markup:
    """The link as a QR code, inline SVG sized by CSS (medium error correction: it survives a
    crease or a smudge on paper)."""
    svg = segno.make(link, error="m").svg_inline(
        scale=1, border=4, omitsize=True, title=title, svgclass="letter__qr-code"
    )
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 (segno's own SVG)


@bp.post("/areas/<int:area_id>/invitations")
@invitation_email_limits
def create(area_id: int) -> Any:
    """A new invitation link to the area (its contact persons); with an e-mail address, the
    link is e-mailed there (POST /areas/{id}/invitations with ``email``)."""
    user = console_user()
    area = load_managed_area(user, area_id)
    if not permissions.can_invite_to_area(user, area):
        raise Forbidden(_("Only the area's contact persons invite."))
    email = None
    if "invite_email" in request.form:
        errors = forms.FormErrors()
        loaded = forms.load(
            InvitationCreateSchema(),
            {"email": request.form["invite_email"].strip()},
            errors,
            messages={"email": _("Enter an e-mail address like name@example.se")},
            fields={"email": "invite_email"},
        )
        if loaded is None or not loaded.get("email"):
            errors.add("invite_email", _("Enter an e-mail address like name@example.se"))
            return render_detail(user, area, errors, 422)
        email = loaded["email"]
    issued = invitation_service.create_invitation(area=area, created_by=user, email=email)
    invitation_service.email_invitation(issued)
    db.session.commit()
    if email is not None:
        flash(_("The invitation is sent by e-mail to %(email)s.", email=email))
        return redirect(url_for("console.areas.detail", area_id=area.id, _anchor="invite"))
    flash(_("A new invitation link is ready."))
    return redirect(url_for(".show", area_id=area.id, token=issued.token))


@bp.post("/areas/<int:area_id>/invitations/<int:invitation_id>/revoke")
def revoke(area_id: int, invitation_id: int) -> Any:
    """Revoke an open invitation (the area's contact persons and police)."""
    user = console_user()
    area = load_managed_area(user, area_id)
    invitation = invitation_service.find_invitation(area, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.")
    invitation_service.revoke_invitation(invitation, actor=user)
    db.session.commit()
    flash(_("The invitation is revoked: its link no longer works."))
    return redirect(url_for("console.areas.detail", area_id=area.id, _anchor="invite"))


@bp.get("/areas/<int:area_id>/invitations/<token>")
def show(area_id: int, token: str) -> Any:
    """The invitation link in full, with a way to the printable letter."""
    invitation = _own_invitation(area_id, token)
    return render_template("console/invitations/show.html", invitation=invitation)


@bp.get("/areas/<int:area_id>/invitations/<token>/letter")
def letter(area_id: int, token: str) -> Any:
    """The A4 invitation letter with the link's QR code, always in Swedish: it goes to the
    neighbours' letterboxes."""
    invitation = _own_invitation(area_id, token)
    with force_locale("sv"):
        return render_template(
            "console/invitations/letter.html",
            invitation=invitation,
            sender=console_user().name.split()[0],
            qr=qr_svg(invitation.link, _("QR code of the invitation link")),
        )


@bp.get("/invitations/<token>")
@session.public
def public(token: str) -> Any:
    """Where the invitation link leads: how to accept it in the app."""
    invitation = _valid_invitation(token)
    if invitation is None:
        return _invalid()
    area = invitation.area
    user = g.get("console_user")
    membership = permissions.membership_of(user, area) if user is not None else None
    is_member = membership is not None and membership.status == "active"
    if invitation.used_at is not None and not is_member:
        return _invalid()
    context = {
        "area_name": area.name,
        "token": token,
        "signed_in": user is not None,
        "is_member": is_member,
        "expires_at": invitation.expires_at,
    }
    return render_template("console/invitations/public.html", **context)


@bp.post("/invitations/<token>")
@session.public
def accept(token: str) -> Any:
    """Accept the invitation as the signed-in console user (POST /invitations/{token}/accept)."""
    here = url_for(".public", token=token)
    if g.get("console_user") is None:
        return redirect(url_for("console.auth.sign_in_form", next=here))
    try:
        membership = invitation_service.accept_invitation(user=g.console_user, token=token)
    except (BadData, BadRequest):
        db.session.rollback()
        return _invalid()
    except Forbidden:
        db.session.rollback()
        flash(_("You were removed from this area, and an invitation does not undo that."))
        return redirect(here)
    db.session.commit()
    flash(_("You are now a member of %(area)s.", area=membership.area.name))
    return redirect(here)


def _invalid() -> tuple[str, int]:
    return render_template("console/invitations/invalid.html", valid_days=valid_days()), 404


def _valid_invitation(token: str) -> Invitation | None:
    try:
        return invitation_service.read_invitation(token, allow_used=True)
    except (BadData, BadRequest):
        return None


def _own_invitation(area_id: int, token: str) -> InvitationView:
    """The invitation, if it is valid, to this area, and the viewer invites to it; else 404."""
    user = console_user()
    area = load_managed_area(user, area_id)
    if not permissions.can_invite_to_area(user, area):
        raise Forbidden(_("Only the area's contact persons invite."))
    try:
        invitation = invitation_service.read_invitation(token)
    except (BadData, BadRequest):
        raise NotFound("No such invitation.") from None
    if invitation.area_id != area.id:
        raise NotFound("No such invitation.")
    return InvitationView(area.id, area.name, token, invitation_link(token), invitation.expires_at)
