"""The tip list: filters, a page of tips beside their map, and the CSV export for police."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from grannsamverkan.console import forms, labels, pagination
from grannsamverkan.console.session import console_user
from grannsamverkan.console.tips.blueprint import Choice, bp, detail_url, shown_tip
from grannsamverkan.console.tips.maps import tip_map
from grannsamverkan.errors import Forbidden
from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Tip, User
from grannsamverkan.models.tip import TIP_CATEGORIES, TIP_STATUSES
from grannsamverkan.schemas.tips import TipQuerySchema
from grannsamverkan.services import permission_scopes, permissions
from grannsamverkan.services import tips as tip_service

EXCERPT_LENGTH = 120
FILTER_FIELDS = ("q", "category", "area_id", "status", "from", "to")


@dataclass(frozen=True)
class Filters:
    """The filter form as shown: the values asked for, and the choices of each select."""

    values: dict[str, str]
    categories: list[Choice]
    areas: list[Choice]
    statuses: list[Choice]
    active: bool


@bp.get("/tips")
def index() -> Any:
    """Tips in the user's scope, filtered, a page at a time, beside a map of that page."""
    user = console_user()
    errors = forms.FormErrors()
    filters = _read_filters(errors)
    query = tip_service.visible_tips_query(user, filters=filters).options(contains_eager(Tip.area))
    page = pagination.paginate(query)
    rows = [_row(user, tip) for tip in page.items]
    export_url = None
    if permissions.can_export_tips(user):
        export_url = url_for("console.tips.export", **_asked_filters())
    return render_template(
        "console/tips/list.html",
        errors=errors,
        filters=_filter_form(user),
        rows=rows,
        page=page,
        map=tip_map(user, page.items),
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
    csv_text = tip_service.tips_csv(query, actor=user, filters=filters)
    db.session.commit()  # the export's audit event
    return Response(
        csv_text,
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="tips.csv"'},
    )


def _asked_filters() -> dict[str, Any]:  # Any: url_for keyword values
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
        .where(Area.id.in_(permission_scopes.managed_area_ids(user)))
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


def _row(user: User, tip: Tip) -> list[Any]:
    shown = shown_tip(user, tip)
    text = " ".join(shown.description.split())
    if len(text) > EXCERPT_LENGTH:
        text = text[: EXCERPT_LENGTH - 1].rstrip() + "…"
    return [
        format_datetime(tip.created_at, "d MMM y, HH:mm"),
        {"text": labels.category(tip.category), "href": detail_url(tip)},
        tip.area.name,
        shown.address or "",
        labels.label(labels.TIP_STATUS, tip.status),
        text,
    ]
