"""The tip pages' blueprint, apart so that its view modules can share it."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, url_for
from flask_babel import gettext as _

from grannsamverkan.errors import Forbidden
from grannsamverkan.models import Tip, User
from grannsamverkan.services import permissions, privacy

bp = Blueprint("tips", __name__)


@bp.before_request
def tip_pages_only() -> None:
    """Lokala BRÅ members read numbers, never a tip (the console's session check ran
    before, so someone is signed in)."""
    user = g.get("console_user")
    if user is not None and not permissions.sees_console_tips(user):
        raise Forbidden(_("Statistics accounts see the statistics, not the tips."))


@dataclass(frozen=True)
class ShownTip:
    """What of a tip's text the user may read: in full for police, the area's contact persons
    and the reporter; masked text and no address for municipality staff, who see the tips
    they handle as a member would (no person, no exact place)."""

    description: str
    address: str | None
    vehicle: str | None
    unmasked: bool


def shown_tip(user: User, tip: Tip) -> ShownTip:
    vehicle = [tip.vehicle_registration, tip.vehicle_description]
    if permissions.sees_tip_in_full(user, tip):
        return ShownTip(tip.description, tip.address, ", ".join(v for v in vehicle if v), True)
    masked_vehicle = [
        privacy.mask_registration(tip.vehicle_registration),
        privacy.mask_text(tip.vehicle_description) if tip.vehicle_description else None,
    ]
    return ShownTip(
        privacy.mask_text(tip.description),
        None,
        ", ".join(v for v in masked_vehicle if v),
        False,
    )


@dataclass(frozen=True)
class Choice:
    """One option of a select on these pages."""

    value: str
    label: str
    checked: bool


def detail_url(tip: Tip) -> str:
    return url_for("console.tips.detail", tip_id=tip.id)
