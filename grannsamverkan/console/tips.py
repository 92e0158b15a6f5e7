"""Tips: the list with filters beside a map of the same tips, a CSV export for police, and a
tip's page with triage (police) and moderation (the area's contact persons and police).

The list is ``services.tips.visible_tips_query`` (police: their municipalities; contact
persons: their areas); a tip's page answers 404 outside that scope, as the API does. Maps
show police the raw point and everyone else the coarsened one (permissions.sees_exact_tip_point).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from grannsamverkan.console import forms, labels, pagination
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import Forbidden, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import Area, Tip, User
from grannsamverkan.models.tip import POLICE_TIP_STATUSES, TIP_CATEGORIES, TIP_STATUSES
from grannsamverkan.schemas.tips import TipPatchSchema, TipQuerySchema, TipRejectSchema
from grannsamverkan.services import permissions
from grannsamverkan.services import tips as tip_service

bp = Blueprint("tips", __name__)

EXCERPT_LENGTH = 120
FILTER_FIELDS = ("q", "category", "area_id", "status", "from", "to")


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@dataclass(frozen=True)
class Filters:
    """The filter form as shown: the values asked for, and the choices of each select."""

    values: dict[str, str]
    categories: list[Choice]
    areas: list[Choice]
    statuses: list[Choice]
    active: bool


@dataclass(frozen=True)
class MapPoint:
    lat: float
    lon: float
    label: str
    href: str


@dataclass(frozen=True)
class MapView:
    """What tip-map.js draws: points (raw or coarsened already), the tiles, a caption."""

    points: list[MapPoint]
    tiles: str
    attribution: str
    exact: bool

    @property
    def data(self) -> dict[str, Any]:
        return {
            "points": [p.__dict__ for p in self.points],
            "tiles": self.tiles,
            "attribution": self.attribution,
        }


# --- the list -----------------------------------------------------------------------------


@bp.get("/tips")
def index() -> Any:
    """Tips in the user's scope, filtered, a page at a time, beside a map of that page."""
    user = console_user()
    errors = forms.FormErrors()
    filters = _read_filters(errors)
    query = tip_service.visible_tips_query(user, filters=filters).options(contains_eager(Tip.area))
    page = pagination.paginate(query)
    rows = [_row(tip) for tip in page.items]
    export_url = None
    if permissions.can_export_tips(user):
        export_url = url_for("console.tips.export", **_asked_filters())
    return render_template(
        "console/tips/list.html",
        errors=errors,
        filters=_filter_form(user),
        rows=rows,
        page=page,
        map=_map(user, page.items),
        export_url=export_url,
    ), (422 if errors else 200)


@bp.get("/tips.csv")
def export() -> Any:
    """The same selection as the list (every page) as CSV: police only."""
    user = console_user()
    if not permissions.can_export_tips(user):
        raise Forbidden(_("Only police download tips."))
    errors = forms.FormErrors()
    filters = _read_filters(errors)
    if errors:
        return redirect(url_for("console.tips.index", **_asked_filters()))
    query = tip_service.visible_tips_query(user, filters=filters).options(contains_eager(Tip.area))
    return Response(
        tip_service.tips_csv(query),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="tips.csv"'},
    )


def _asked_filters() -> dict[str, str]:
    return {k: v for k in FILTER_FIELDS if (v := request.args.get(k, "").strip())}


def _read_filters(errors: forms.FormErrors) -> dict[str, Any]:
    """The filters of the query string, checked by the API's schema; a filter that does not
    make sense is left out (and named in the error summary)."""
    asked = _asked_filters()
    loaded = forms.load(
        TipQuerySchema(),
        asked,
        errors,
        messages={
            "q": _("Search for at most 200 characters"),
            "category": _("Choose a category from the list"),
            "area_id": _("Choose an area from the list"),
            "status": _("Choose a status from the list"),
            "from": _("Enter the first day as a date, for example 2026-11-01"),
            "to": _("Enter the last day as a date on or after the first day"),
        },
        fields={"date_from": "from", "date_to": "to"},
    )
    if loaded is not None:
        return loaded
    valid = {k: v for k, v in asked.items() if errors.get(k) is None}
    return forms.load(TipQuerySchema(), valid, forms.FormErrors(), messages={}) or {}


def _filter_form(user: User) -> Filters:
    asked = _asked_filters()
    areas = db.session.execute(
        select(Area.id, Area.name)
        .where(Area.id.in_(permissions.managed_area_ids(user)))
        .order_by(Area.name, Area.id)
    ).all()
    every = Choice("", _("All"), False)
    return Filters(
        values={field: asked.get(field, "") for field in FILTER_FIELDS},
        categories=[every]
        + [
            Choice(c, labels.category(c), asked.get("category") == c)
            for c in sorted(TIP_CATEGORIES, key=labels.category)
        ],
        areas=[every] + [Choice(str(i), name, asked.get("area_id") == str(i)) for i, name in areas],
        statuses=[every]
        + [
            Choice(s, labels.label(labels.TIP_STATUS, s), asked.get("status") == s)
            for s in TIP_STATUSES
        ],
        active=bool(asked),
    )


def _row(tip: Tip) -> list[Any]:
    text = " ".join(tip.description.split())
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return [
        format_datetime(tip.created_at, "d MMM y, HH:mm"),
        {"text": labels.category(tip.category), "href": _detail_url(tip)},
        tip.area.name,
        tip.address or "",
        labels.label(labels.TIP_STATUS, tip.status),
        text,
    ]


def _detail_url(tip: Tip) -> str:
    return url_for("console.tips.detail", tip_id=tip.id)


def _map(user: User, tips: list[Tip]) -> MapView:
    points = []
    exact = True
    for tip in tips:
        if permissions.sees_exact_tip_point(user, tip):
            lat, lon = tip.lat, tip.lon
        else:
            exact = False
            cell = coarsen(tip.lat, tip.lon)
            lat, lon = cell["lat"], cell["lon"]
        label = f"{labels.category(tip.category)}, {format_datetime(tip.created_at, 'd MMM')}"
        points.append(MapPoint(lat, lon, label, _detail_url(tip)))
    config = current_app.config
    return MapView(points, config["GSV_MAP_TILES"], config["GSV_MAP_ATTRIBUTION"], exact)


# --- one tip ------------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    at: Any
    text: str


def load_tip(user: User, tip_id: int) -> Tip:
    """The tip, if it is in the user's console scope (else 404, like the API)."""
    tip = db.session.get(Tip, tip_id)
    if tip is None or not permissions.sees_tip_in_full(user, tip):
        raise NotFound("No such tip.")
    return tip


@bp.get("/tips/<int:tip_id>")
def detail(tip_id: int) -> Any:
    """A tip in full, with the forms the user may use on it."""
    user = console_user()
    tip = load_tip(user, tip_id)
    return _render_detail(user, tip, forms.FormErrors(), {})


def _render_detail(
    user: User, tip: Tip, errors: forms.FormErrors, submitted: dict[str, str], status: int = 200
) -> Any:
    triage = permissions.can_triage_tip(user, tip) and tip.status != "pending"
    moderate = permissions.can_moderate_tip(user, tip) and tip.status == "pending"
    chosen_status = submitted.get("status", tip.status)
    context = {
        "tip": tip,
        "category": labels.category(tip.category),
        "status": labels.label(labels.TIP_STATUS, tip.status),
        "errors": errors,
        "map": _map(user, [tip]),
        "duplicate": _duplicate(user, tip),
        "history": _history(tip),
        "deliveries": _deliveries(user, tip),
        "triage": triage,
        "statuses": [
            Choice(s, labels.label(labels.TIP_STATUS, s), s == chosen_status)
            for s in POLICE_TIP_STATUSES
        ],
        "note": submitted.get("note", tip.police_note or ""),
        "moderate": moderate,
        "reason": submitted.get("reason", ""),
    }
    return render_template("console/tips/detail.html", **context), status


def _duplicate(user: User, tip: Tip) -> dict[str, Any] | None:
    if tip.duplicate_of_id is None:
        return None
    first = db.session.get(Tip, tip.duplicate_of_id)
    visible = first is not None and permissions.sees_tip_in_full(user, first)
    return {
        "text": _("Tip %(id)s", id=tip.duplicate_of_id),
        "href": _detail_url(first) if visible and first is not None else None,
    }


def _history(tip: Tip) -> list[HistoryEntry]:
    """What is known of the tip's course: reported, and approved or rejected by whom."""
    entries = [HistoryEntry(tip.created_at, _("Reported"))]
    if tip.moderated_at is not None:
        who = tip.moderated_by.name if tip.moderated_by else _("a deleted account")
        if tip.status == "rejected" and tip.rejection_reason is not None:
            text = _("Rejected by %(name)s: %(reason)s", name=who, reason=tip.rejection_reason)
        elif tip.status == "rejected":
            text = _("Rejected by %(name)s", name=who)
        else:
            text = _("Approved by %(name)s; the alert went out", name=who)
        entries.append(HistoryEntry(tip.moderated_at, text))
    return entries


def _deliveries(user: User, tip: Tip) -> list[list[Any]] | None:
    if not permissions.can_see_tip_deliveries(user, tip) or tip.alert is None:
        return None
    counts = tip_service.delivery_report(tip)["counts"]
    names = {
        "pending": _("Waiting to be sent"),
        "sent": _("Sent"),
        "failed": _("Failed"),
        "unregistered": _("Phone no longer registered"),
    }
    return [[names[state], {"text": counts[state], "numeric": True}] for state in names]


@bp.post("/tips/<int:tip_id>/status")
def change_status(tip_id: int) -> Any:
    """Police triage: a new status and the police note (PATCH /tips/{id})."""
    user = console_user()
    tip = load_tip(user, tip_id)
    if not permissions.can_triage_tip(user, tip):
        raise Forbidden(_("Only police change a tip's status."))
    if tip.status == "pending":
        flash(_("Approve or reject the tip first."))
        return redirect(_detail_url(tip))
    submitted = {"status": request.form.get("status", ""), "note": request.form.get("note", "")}
    errors = forms.FormErrors()
    loaded = forms.load(
        TipPatchSchema(),
        submitted,
        errors,
        messages={
            "status": _("Choose a status"),
            "note": _("Write the note in at most 2,000 characters"),
        },
    )
    errors.anchors["status"] = "status"
    if loaded is None:
        return _render_detail(user, tip, errors, submitted, 422)
    tip_service.update_tip_status(tip=tip, status=loaded["status"], note=loaded["note"].strip())
    db.session.commit()
    flash(_("The tip is saved."))
    return redirect(_detail_url(tip))


@bp.post("/tips/<int:tip_id>/approve")
def approve(tip_id: int) -> Any:
    """Approve a waiting tip: its alert goes out now."""
    user, tip = _moderation_target(tip_id)
    if tip.status != "pending":
        flash(_("The tip was already moderated."))
        return redirect(_detail_url(tip))
    reported = tip_service.moderate_tip(actor=user, tip=tip, approve=True)
    db.session.commit()
    flash(
        ngettext(
            "The tip is approved; %(num)s person was alerted.",
            "The tip is approved; %(num)s people were alerted.",
            reported.recipient_count,
        )
    )
    return redirect(_detail_url(tip))


@bp.post("/tips/<int:tip_id>/reject")
def reject(tip_id: int) -> Any:
    """Reject a waiting tip with a reason its reporter reads; nobody is alerted."""
    user, tip = _moderation_target(tip_id)
    if tip.status != "pending":
        flash(_("The tip was already moderated."))
        return redirect(_detail_url(tip))
    submitted = {"reason": request.form.get("reason", "").strip()}
    errors = forms.FormErrors()
    if not submitted["reason"]:
        errors.add("reason", _("Write why the tip is rejected: its reporter reads it"))
    loaded = forms.load(
        TipRejectSchema(),
        submitted,
        errors,
        messages={"reason": _("Write the reason in at most 500 characters")},
    )
    if errors or loaded is None:
        return _render_detail(user, tip, errors, submitted, 422)
    tip_service.moderate_tip(actor=user, tip=tip, approve=False, reason=loaded["reason"])
    db.session.commit()
    flash(_("The tip is rejected; its reporter sees your reason."))
    return redirect(_detail_url(tip))


def _moderation_target(tip_id: int) -> tuple[User, Tip]:
    user = console_user()
    tip = load_tip(user, tip_id)
    if not permissions.can_moderate_tip(user, tip):
        raise Forbidden(_("Only the area's contact persons and police moderate its tips."))
    return user, tip
