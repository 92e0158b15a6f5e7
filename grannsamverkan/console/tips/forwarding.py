"""A tip's forwarding to the municipality (Open311) on its page: how far it has come, and the
button "Skicka till kommunen" for those allowed (permissions.can_forward_tip_to_municipality)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect
from flask_babel import get_locale
from flask_babel import gettext as _

from grannsamverkan.console.session import console_user
from grannsamverkan.console.tips.blueprint import bp, detail_url
from grannsamverkan.errors import Conflict, Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Tip, User
from grannsamverkan.services import open311, permissions
from grannsamverkan.texts import forward_label


def forwarding_panel(user: User, tip: Tip) -> dict[str, Any] | None:
    """What the tip page shows of forwarding: None when there is nothing to show or do."""
    forward = tip.forward
    may_forward = permissions.can_forward_tip_to_municipality(user, tip) and (
        open311.may_be_forwarded(tip)
    )
    if forward is None and not may_forward:
        return None
    state = None
    if forward is not None:
        locale = str(get_locale() or "sv")
        state = forward_label("closed" if forward.resolved else forward.state, locale)
    return {"forward": forward, "state": state, "may_forward": may_forward}


@bp.post("/tips/<int:tip_id>/forward")
def forward(tip_id: int) -> Any:
    """Queue the tip for its municipality's case system (POST /tips/{id}/forward)."""
    user = console_user()
    tip = db.session.get(Tip, tip_id)
    if tip is None or not permissions.sees_tip_in_full(user, tip):
        raise NotFound("No such tip.")
    if not permissions.can_forward_tip_to_municipality(user, tip):
        raise Forbidden(_("Only police of the tip's area send it to the municipality."))
    try:
        open311.forward_tip(tip, actor=user)
    except Conflict:
        flash(_("The tip cannot be sent to the municipality."))
        return redirect(detail_url(tip))
    db.session.commit()
    flash(_("The tip is on its way to the municipality."))
    return redirect(detail_url(tip))
