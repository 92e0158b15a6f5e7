"""Broadcasts (police only): the list, composing a fraud warning, notice or training event
with a check-your-answers step (reach and the push as a phone shows it), and a broadcast's
page with update and cancel. The same schemas and services as the API's /broadcasts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from grannsamverkan.api.broadcasts import load_managed_broadcast, load_visible_broadcast
from grannsamverkan.console import (
    broadcast_choices,
    broadcast_forms,
    broadcast_views,
    forms,
    labels,
    pagination,
)
from grannsamverkan.console.broadcast_forms import Places
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import Conflict, Forbidden, Invalid, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Broadcast, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.messages import preview_broadcast_message
from grannsamverkan.services import broadcast_permissions
from grannsamverkan.services import broadcasts as broadcast_service

bp = Blueprint("broadcasts", __name__)


@bp.before_request
def police_only() -> None:
    if not broadcast_permissions.can_send_broadcasts(console_user()):
        raise Forbidden(_("Only the police and the municipality send and manage broadcasts."))


def load_policed(user: User, broadcast_id: int) -> Broadcast:
    """A broadcast of the officer's municipalities (else 404, like the API for strangers)."""
    broadcast = load_visible_broadcast(user, broadcast_id)
    if not broadcast_permissions.polices_broadcast(user, broadcast):
        raise NotFound("No such broadcast.")
    return broadcast


def detail_url(broadcast: Broadcast) -> str:
    endpoint = "console.events.detail" if broadcast.is_event else "console.broadcasts.detail"
    return url_for(endpoint, broadcast_id=broadcast.id)


# --- the list --------------------------------------------------------------------------------


@bp.get("/broadcasts")
def index() -> Any:
    """Every broadcast of the officer's municipalities, newest first, expired ones too."""
    user = console_user()
    query = broadcast_service.visible_broadcasts_query(user, at=utcnow(), include_expired=True)
    page = pagination.paginate(query)
    rows = [
        [
            format_datetime(b.created_at, "d MMM y, HH:mm"),
            {"text": b.title, "href": detail_url(b)},
            labels.label(labels.BROADCAST_KIND, b.kind),
            broadcast_views.status_text(b),
            {"text": str(broadcast_service.recipient_count(b)), "numeric": True},
        ]
        for b in page.items
    ]
    return render_template("console/broadcasts/index.html", rows=rows, page=page)


# --- composing -----------------------------------------------------------------------------------


def _area_names(message: dict[str, Any], places: Places) -> list[str]:
    chosen = set(message["target"].get("area_ids") or [])
    return [a.name for a in places.areas if a.id in chosen]


def _places(user: User) -> Places:
    codes, areas = broadcast_service.sendable_places(user)
    return Places(codes, areas)


def _render_form(values: dict[str, Any], places: Places, errors: forms.FormErrors) -> Any:
    status = 422 if errors else 200
    return render_template(
        "console/broadcasts/new.html",
        values=values,
        errors=errors,
        kinds=broadcast_choices.kind_choices(
            values["kind"], broadcast_permissions.broadcast_kinds_for(console_user())
        ),
        severities=broadcast_choices.severity_choices(values["severity"]),
        topics=broadcast_choices.topic_choices(values["event_topic"]),
        targets=broadcast_choices.target_choices(values["target"]),
        municipalities=broadcast_choices.municipality_choices(
            places.codes, values["municipality_codes"]
        ),
        areas=broadcast_choices.area_choices(places.areas, values["area_ids"]),
        map_tiles=current_app.config.get("GSV_MAP_TILES") or "",
        map_centre=_map_centre(places),
    ), status


def _map_centre(places: Places) -> str:
    if not places.areas:
        return "62.0,15.0"  # the middle of Sweden
    lats = [a.center_lat for a in places.areas]
    lons = [a.center_lon for a in places.areas]
    return f"{sum(lats) / len(lats):.5f},{sum(lons) / len(lons):.5f}"


@bp.get("/broadcasts/new")
def new() -> Any:
    """An empty form; ``?kind=`` picks fraud warning, notice or training event."""
    values = broadcast_forms.read_form(request.args)
    allowed = broadcast_permissions.broadcast_kinds_for(console_user())
    if values["kind"] not in allowed:
        values["kind"] = allowed[0]
    return _render_form(values, _places(console_user()), forms.FormErrors())


@bp.post("/broadcasts/new")
def compose() -> Any:
    """One handler for the form's steps: check (show reach and preview), change (back to the
    form), send (validate again and send). The check step carries the form in hidden
    fields, so nothing is trusted that was not validated on this request."""
    user = console_user()
    places = _places(user)
    values = broadcast_forms.read_form(request.form)
    step = request.form.get("step", "check")
    errors = forms.FormErrors()
    if step == "change":
        return _render_form(values, places, errors)
    message = broadcast_forms.load_new(values, places, errors)
    if message is None:
        return _render_form(values, places, errors)
    try:
        broadcast_service.check_author_may_send(user, message["kind"])
        broadcast_service.check_new_message(message, utcnow())
        if step == "send":
            created = broadcast_service.create_broadcast(author=user, **message)
        else:
            reach = broadcast_service.preview_reach(user, message["target"])
    except (Invalid, Forbidden) as error:
        db.session.rollback()
        broadcast_forms.add_service_error(error, values, errors)
        return _render_form(values, places, errors)
    if step == "send":
        db.session.commit()
        flash(
            _(
                "Sent to %(people)s people.",
                people=created.recipient_count,
            )
        )
        return redirect(detail_url(created.broadcast))
    return render_template(
        "console/broadcasts/check.html",
        answers=broadcast_views.check_answers(message, _area_names(message, places)),
        reach=reach,
        push=preview_broadcast_message(
            message["title"], message["body"], urgent=message["severity"] == "severe", locale="sv"
        ),
        hidden=broadcast_forms.hidden_fields(values),
    )


@bp.get("/broadcasts/<int:broadcast_id>")
def detail(broadcast_id: int) -> Any:
    """A broadcast as police see it; events have a page of their own."""
    user = console_user()
    broadcast = load_policed(user, broadcast_id)
    return render_template(
        "console/broadcasts/detail.html", view=broadcast_views.broadcast_page(user, broadcast)
    )


# --- update and cancel -----------------------------------------------------------------------


def _render_edit(broadcast: Broadcast, values: dict[str, str], errors: forms.FormErrors) -> Any:
    return render_template(
        "console/broadcasts/edit.html",
        broadcast=broadcast,
        back=detail_url(broadcast),
        values=values,
        errors=errors,
        severities=broadcast_choices.severity_choices(values["severity"]),
        topics=broadcast_choices.topic_choices(values.get("event_topic", "")),
    ), (422 if errors else 200)


@bp.get("/broadcasts/<int:broadcast_id>/edit")
def edit(broadcast_id: int) -> Any:
    """The update form, filled in with what was sent."""
    user = console_user()
    broadcast = load_changeable(user, broadcast_id)
    return _render_edit(broadcast, broadcast_forms.stored_values(broadcast), forms.FormErrors())


@bp.post("/broadcasts/<int:broadcast_id>/edit")
def update(broadcast_id: int) -> Any:
    """Save the changes (only what changed) through the service behind PATCH; the phones
    that got the broadcast are told."""
    user = console_user()
    broadcast = load_changeable(user, broadcast_id)
    initial = broadcast_forms.stored_values(broadcast)
    values = broadcast_forms.read_edit(request.form, broadcast)
    errors = forms.FormErrors()
    changes = broadcast_forms.load_changes(values, initial, errors)
    if changes is None:
        return _render_edit(broadcast, values, errors)
    try:
        broadcast = broadcast_service.update_broadcast(
            actor=user, broadcast=broadcast, changes=changes
        )
    except Invalid as error:
        db.session.rollback()
        broadcast_forms.add_service_error(error, {"target": "areas"}, errors)
        return _render_edit(db.get_or_404(Broadcast, broadcast_id), values, errors)
    db.session.commit()
    flash(_("The broadcast is updated; the phones that got it are told."))
    return redirect(detail_url(broadcast))


def load_changeable(user: User, broadcast_id: int) -> Broadcast:
    load_policed(user, broadcast_id)
    broadcast = load_managed_broadcast(user, broadcast_id)
    if broadcast.status == "cancelled":
        raise Conflict(_("A cancelled broadcast cannot be changed."))
    return broadcast


@bp.get("/broadcasts/<int:broadcast_id>/cancel")
def confirm_cancel(broadcast_id: int) -> Any:
    """Are you sure? Cancelling tells every phone that got it."""
    user = console_user()
    broadcast = load_changeable(user, broadcast_id)
    return render_template(
        "console/broadcasts/cancel.html",
        broadcast=broadcast,
        back=detail_url(broadcast),
        people=broadcast_service.recipient_count(broadcast),
    )


@bp.post("/broadcasts/<int:broadcast_id>/cancel")
def cancel(broadcast_id: int) -> Any:
    """Cancel through the service behind POST /broadcasts/{id}/cancel."""
    user = console_user()
    broadcast = load_changeable(user, broadcast_id)
    broadcast = broadcast_service.cancel_broadcast(actor=user, broadcast=broadcast)
    db.session.commit()
    flash(_("The broadcast is cancelled; the phones that got it are told."))
    return redirect(detail_url(broadcast))
