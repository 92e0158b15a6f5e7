"""Areas and their members: the list with a map and, for police, a new area; an area's
settings, join requests and members. The same schemas, services and rules as the API's
``/areas`` routes: police see their municipalities' areas, contact persons their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from grannsamverkan import request_input
from grannsamverkan.console import area_views, forms, labels, pagination
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Membership, User
from grannsamverkan.request_input import AREA_BODY, allow_body_bytes
from grannsamverkan.schemas.areas import AreaCreateSchema, AreaPatchSchema
from grannsamverkan.services import areas as area_service
from grannsamverkan.services import households as household_service
from grannsamverkan.services import memberships as membership_service
from grannsamverkan.services import permission_scopes, permissions

bp = Blueprint("areas", __name__)


@bp.before_request
def area_managers_only() -> None:
    """Municipality staff and Lokala BRÅ members manage no area (the session check ran
    before, so someone is signed in)."""
    if not permissions.sees_console_areas(console_user()):
        raise Forbidden(_("The area pages are for police and contact persons."))


# A button's ``action`` → the membership's new (status, role); role None keeps the role.
ACTIONS: dict[str, tuple[str, str | None]] = {
    "approve": ("active", None),
    "decline": ("removed", None),
    "remove": ("removed", None),
    "appoint": ("active", "contact_person"),
    "demote": ("active", "member"),
}


@dataclass(frozen=True)
class Refill:
    """What a form on the area page was sent with, to show it again with its errors."""

    settings: dict[str, Any] | None = None
    household: MultiDict[str, str] | None = None


def load_managed_area(user: User, area_id: int) -> Area:
    """The area, if ``user`` manages it (PATCH /areas rule); else 404, never 403."""
    area = db.session.get(Area, area_id)
    if area is None or not permissions.can_manage_area(user, area):
        raise NotFound("No such area.")
    return area


def map_settings() -> dict[str, str]:
    config = current_app.config
    return {
        "tiles": config.get("GSV_MAP_TILES") or "",
        "attribution": config.get("GSV_MAP_ATTRIBUTION") or "",
    }


# --- the list and a new area -------------------------------------------------------------


@bp.get("/areas")
def index() -> Any:
    """The areas the person manages, on a table and a map; police also get a new-area form."""
    user = console_user()
    return _render_index(user, MultiDict(), forms.FormErrors(), 200)


@bp.post("/areas")
@allow_body_bytes(AREA_BODY)
def create() -> Any:
    """Create an area (police of its municipality), as POST /api/v1/areas does."""
    user = console_user()
    if not permissions.works_as_police(user):
        raise Forbidden(_("Only police create areas."))
    errors = forms.FormErrors()
    data = _area_form_data(request.form, errors)
    loaded = forms.load(
        AreaCreateSchema(),
        data,
        errors,
        messages={
            "name": _("Enter the area's name"),
            "municipality_code": _("Choose a municipality"),
            "center": _("Enter the centre's latitude and longitude, or click the map"),
            "boundary": _("The boundary must be a GeoJSON Polygon in longitude, latitude"),
        },
        fields={"center": "center_lat"},
    )
    if errors or loaded is None:
        return _render_index(user, request.form, errors, 422)
    if not permissions.serves_municipality(user, loaded["municipality_code"]):
        raise Forbidden(_("You can only create areas in the municipalities you serve."))
    area = area_service.create_area(actor=user, **loaded)
    db.session.commit()
    flash(_("The area %(name)s is created.", name=area.name))
    return redirect(url_for(".detail", area_id=area.id))


def _area_form_data(form: MultiDict[str, str], errors: forms.FormErrors) -> dict[str, Any]:
    """The form as the API's JSON body; decimal commas are accepted in the coordinates."""
    data: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "municipality_code": form.get("municipality_code", "").strip(),
        "center": {
            "lat": forms.parse_number(form.get("center_lat", "").strip()),
            "lon": forms.parse_number(form.get("center_lon", "").strip()),
        },
        "tip_moderation": "tip_moderation" in form,
    }
    boundary = form.get("boundary", "").strip()
    if boundary:
        try:
            geometry = request_input.loads(boundary)
        except ValueError:
            errors.add("boundary", _("The boundary is not valid GeoJSON"))
            return data
        # A Feature (what drawing tools save) carries the Polygon as its geometry.
        if isinstance(geometry, dict) and geometry.get("type") == "Feature":
            geometry = geometry.get("geometry")
        data["boundary"] = geometry
    return data


def _render_index(
    user: User, values: MultiDict[str, str], errors: forms.FormErrors, status: int
) -> tuple[str, int]:
    query = (
        select(Area)
        .where(Area.id.in_(permission_scopes.managed_area_ids(user)))
        .order_by(Area.municipality_code, Area.name, Area.id)
    )
    page = pagination.paginate(query)
    waiting = _waiting_by_area(user)
    form = (
        area_views.new_area_form(permissions.served_municipalities(user), values)
        if permissions.works_as_police(user)
        else None
    )
    context = {
        "page": page,
        "rows": [area_views.area_row(area, waiting.get(area.id, 0)) for area in page.items],
        "map_areas": [area_views.map_area(area) for area in page.items],
        "map": map_settings(),
        "form": form,
        "errors": errors,
        "scope": _scope(user),
    }
    return render_template("console/areas/index.html", **context), status


def _scope(user: User) -> str:
    served = permissions.served_municipalities(user)
    if served is None:
        return _("Areas in every municipality.")
    if permissions.works_as_police(user):
        codes = labels.municipalities_label(served)
        return _("Areas in the municipalities you serve: %(codes)s.", codes=codes)
    return _("The areas where you are a contact person.")


def _waiting_by_area(user: User) -> dict[int, int]:
    """Join requests waiting per area, counted as Today lists them."""
    waiting = membership_service.join_requests_query(user).order_by(None).subquery()
    counts = db.session.execute(select(waiting.c.area_id, func.count()).group_by(waiting.c.area_id))
    return {area_id: count for area_id, count in counts}


# --- one area --------------------------------------------------------------------------


@bp.get("/areas/<int:area_id>")
def detail(area_id: int) -> Any:
    """An area's settings, join requests and members."""
    user = console_user()
    area = load_managed_area(user, area_id)
    return render_detail(user, area, forms.FormErrors(), 200)


@bp.post("/areas/<int:area_id>/settings")
@allow_body_bytes(AREA_BODY)
def save_settings(area_id: int) -> Any:
    """Rename the area or change its tip moderation (PATCH /areas/{id} rule)."""
    user = console_user()
    area = load_managed_area(user, area_id)
    errors = forms.FormErrors()
    values = {
        "name": request.form.get("name", "").strip(),
        "tip_moderation": "tip_moderation" in request.form,
    }
    loaded = forms.load(
        AreaPatchSchema(), values, errors, messages={"name": _("Enter the area's name")}
    )
    if errors or loaded is None:
        return render_detail(user, area, errors, 422, Refill(settings=values))
    area_service.update_area(area, loaded, actor=user)
    db.session.commit()
    flash(_("The area's settings are saved."))
    return redirect(url_for(".detail", area_id=area.id))


@bp.post("/areas/<int:area_id>/members/<int:user_id>")
def decide(area_id: int, user_id: int) -> Any:
    """Approve, decline or remove a household; police also appoint and demote contact
    persons (PUT /areas/{id}/members/{user_id} rule)."""
    user = console_user()
    area = load_managed_area(user, area_id)
    action = request.form.get("action", "")
    if action not in ACTIONS:
        abort(400)
    membership = membership_service.find_membership(area, user_id)
    if membership is None:
        raise NotFound("No such member in this area.")
    status, role = ACTIONS[action]
    membership_service.check_may_set_membership(user, area, user_id, role)
    if action == "remove" and membership.user.is_household:
        # A household has no account to come back to: removing it erases it.
        name = membership.user.name
        household_service.remove_household(membership.user)
        db.session.commit()
        flash(_("%(name)s is removed and their details erased.", name=name))
        return redirect(url_for(".detail", area_id=area.id, _anchor="members"))
    membership_service.set_membership(
        actor=user, area=area, user=membership.user, status=status, role=role
    )
    db.session.commit()
    flash(area_views.decision_message(action, membership.user.name))
    return redirect(url_for(".detail", area_id=area.id, _anchor="members"))


def render_detail(
    user: User,
    area: Area,
    errors: forms.FormErrors,
    status: int,
    refill: Refill | None = None,
) -> tuple[str, int]:
    """The area page; ``refill`` puts back what a form with errors was sent with."""
    refill = refill or Refill()
    settings = refill.settings
    # Waiting and removed households in full; members a page at a time, so that a street of
    # hundreds of households keeps the page within its weight (docs/console.md).
    households = membership_service.members_query(area)
    members_page = pagination.paginate(households.where(Membership.status == "active"))
    others = db.session.scalars(households.where(Membership.status != "active"))
    context = {
        "area": area_views.area_summary(area),
        "members": area_views.member_sections(user, area, [*others, *members_page.items]),
        "members_page": members_page,
        "settings": settings or {"name": area.name, "tip_moderation": area.tip_moderation},
        "may_invite": permissions.can_invite_to_area(user, area),
        "invitation_days": current_app.config["GSV_INVITATION_MAX_AGE"] // 86400,
        "invitations": area_views.invitation_rows(user, area),
        "map_areas": [area_views.map_area(area)],
        "map": map_settings(),
        "errors": errors,
        "household_form": area_views.household_form(user, area, refill.household),
    }
    return render_template("console/areas/detail.html", **context), status
