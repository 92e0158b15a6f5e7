"""Broadcasts (police only): the list, composing a fraud warning, notice or training event
with a check-your-answers step (reach and the push as a phone shows it), and a broadcast's
page with update and cancel. The same schemas and services as the API's /broadcasts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from grannsamverkan.api.broadcasts import load_managed_broadcast, load_visible_broadcast
from grannsamverkan.console import broadcast_forms, forms, labels, pagination
from grannsamverkan.console.broadcast_forms import Places
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import Conflict, Forbidden, Invalid, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Broadcast, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.messages import preview_broadcast_message
from grannsamverkan.services import broadcasts as broadcast_service
from grannsamverkan.services import permissions

bp = Blueprint("broadcasts", __name__)


@bp.before_request
def police_only() -> None:
    if not permissions.works_as_police(console_user()):
        raise Forbidden(_("Only the police send and manage broadcasts."))


def load_policed(user: User, broadcast_id: int) -> Broadcast:
    """A broadcast of the officer's municipalities (else 404, like the API for strangers)."""
    broadcast = load_visible_broadcast(user, broadcast_id)
    if not permissions.polices_broadcast(user, broadcast):
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
            status_text(b),
            {"text": str(broadcast_service.recipient_count(b)), "numeric": True},
        ]
        for b in page.items
    ]
    return render_template("console/broadcasts/index.html", rows=rows, page=page)


def status_text(broadcast: Broadcast) -> str:
    now = utcnow()
    if broadcast.status == "cancelled":
        return _("Cancelled")
    expiry = broadcast.expires_at or broadcast.ends_at
    if expiry is not None and expiry <= now:
        return _("Expired")
    return _("Updated") if broadcast.status == "updated" else _("Active")


# --- composing -----------------------------------------------------------------------------------


def _places(user: User) -> Places:
    codes, areas = broadcast_service.sendable_places(user)
    return Places(codes, areas)


def _render_form(values: dict[str, Any], places: Places, errors: forms.FormErrors) -> Any:
    status = 422 if errors else 200
    return render_template(
        "console/broadcasts/new.html",
        values=values,
        errors=errors,
        kinds=broadcast_forms.kind_choices(values["kind"]),
        severities=broadcast_forms.severity_choices(values["severity"]),
        topics=broadcast_forms.topic_choices(values["event_topic"]),
        targets=broadcast_forms.target_choices(values["target"]),
        municipalities=broadcast_forms.municipality_choices(
            places.codes, values["municipality_codes"]
        ),
        areas=broadcast_forms.area_choices(places.areas, values["area_ids"]),
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
    if values["kind"] not in labels.BROADCAST_KIND:
        values["kind"] = "fraud_warning"
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
        answers=_answers(message, places),
        reach=reach,
        push=preview_broadcast_message(
            message["title"], message["body"], urgent=message["severity"] == "severe", locale="sv"
        ),
        hidden=broadcast_forms.hidden_fields(values),
    )


@dataclass(frozen=True)
class Answer:
    label: str
    value: str


def _answers(message: dict[str, Any], places: Places) -> list[Answer]:
    answers = [
        Answer(_("Type"), labels.label(labels.BROADCAST_KIND, message["kind"])),
        Answer(_("Title"), message["title"]),
        Answer(_("Text"), message["body"]),
        Answer(
            _("Severity"), labels.label(labels.BROADCAST_SEVERITY, message["severity"]) or _("None")
        ),
        Answer(_("Expires"), _when(message["expires_at"]) or _("Does not expire")),
        Answer(_("Sent to"), target_text(message["target"], _area_names(message, places))),
    ]
    event = message.get("event")
    if event:
        answers += _event_answers(event)
    return answers


def _area_names(message: dict[str, Any], places: Places) -> list[str]:
    chosen = set(message["target"].get("area_ids") or [])
    return [a.name for a in places.areas if a.id in chosen]


def _event_answers(event: dict[str, Any]) -> list[Answer]:
    location = event.get("location")
    return [
        Answer(_("Topic"), broadcast_forms.topic_label(event["topic"])),
        Answer(_("Starts"), _when(event["starts_at"])),
        Answer(_("Ends"), _when(event["ends_at"])),
        Answer(_("Place"), event["place"]),
        Answer(_("Places"), str(event["capacity"])),
        Answer(
            _("Location on the map"),
            f"{location['lat']:.5f}, {location['lon']:.5f}" if location else _("Not given"),
        ),
    ]


def _when(value: Any) -> str:
    return format_datetime(value, "d MMM y, HH:mm") if value else ""


def target_text(target: dict[str, Any], area_names: list[str]) -> str:
    """Who a target names, in words."""
    parts = []
    codes = target.get("municipality_codes") or []
    if codes:
        parts.append(", ".join(broadcast_forms.municipality_name(c) for c in sorted(codes)))
    if area_names:
        parts.append(", ".join(area_names))
    circle = target.get("circle")
    if circle:
        parts.append(
            _(
                "%(radius)s m around %(lat)s, %(lon)s",
                radius=circle["radius_m"],
                lat=f"{circle['lat']:.5f}",
                lon=f"{circle['lon']:.5f}",
            )
        )
    return "; ".join(parts)


# --- one broadcast ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    sequence: int
    sent: str
    what: str


@dataclass(frozen=True)
class Link:
    text: str
    href: str


@dataclass(frozen=True)
class BroadcastPage:
    broadcast: Broadcast
    kind: str
    status: str
    answers: list[Answer]
    people: int
    versions: list[Version]
    links: list[Link]
    manageable: bool


def broadcast_page(user: User, broadcast: Broadcast) -> BroadcastPage:
    """What police see of a broadcast: the texts, the target, reach, versions, documents."""
    target = {
        "municipality_codes": broadcast.target_municipality_codes,
        "circle": broadcast.circle,
    }
    answers = [
        Answer(_("Text"), broadcast.body),
        Answer(
            _("Severity"),
            labels.label(labels.BROADCAST_SEVERITY, broadcast.severity) or _("None"),
        ),
        Answer(_("Sent"), _when(broadcast.created_at)),
        Answer(_("Expires"), _when(broadcast.expires_at) or _("Does not expire")),
        Answer(_("Sent to"), target_text(target, broadcast_service.target_area_names(broadcast))),
        Answer(_("Municipalities reached"), ", ".join(broadcast.municipality_codes)),
    ]
    versions = [
        Version(
            v["sequence"], _when(datetime.fromisoformat(v["sent"])), _version_word(broadcast, v)
        )
        for v in broadcast.versions or []
    ]
    return BroadcastPage(
        broadcast=broadcast,
        kind=labels.label(labels.BROADCAST_KIND, broadcast.kind),
        status=status_text(broadcast),
        answers=answers,
        people=broadcast_service.recipient_count(broadcast),
        versions=versions,
        links=document_links(broadcast),
        manageable=permissions.can_manage_broadcast(user, broadcast)
        and broadcast.status != "cancelled",
    )


def _version_word(broadcast: Broadcast, version: dict[str, Any]) -> str:
    if version["sequence"] == 0:
        return _("Sent")
    last = version["sequence"] == broadcast.sequence
    return _("Cancelled") if last and broadcast.status == "cancelled" else _("Updated")


def document_links(broadcast: Broadcast) -> list[Link]:
    """The public documents: CAP and the Atom feed for warnings, iCalendar for events."""
    links = []
    if broadcast.kind == "fraud_warning":
        links.append(
            Link(
                _("CAP alert (XML)"), url_for("broadcasts.cap_document", broadcast_id=broadcast.id)
            )
        )
        links.append(Link(_("Atom feed of warnings"), url_for("broadcasts.warnings_feed")))
    if broadcast.is_event:
        links.append(
            Link(
                _("Calendar file (iCalendar)"),
                url_for("broadcasts.event_calendar", broadcast_id=broadcast.id),
            )
        )
    return links


@bp.get("/broadcasts/<int:broadcast_id>")
def detail(broadcast_id: int) -> Any:
    """A broadcast as police see it; events have a page of their own."""
    user = console_user()
    broadcast = load_policed(user, broadcast_id)
    return render_template("console/broadcasts/detail.html", view=broadcast_page(user, broadcast))


# --- update and cancel -----------------------------------------------------------------------


def _render_edit(broadcast: Broadcast, values: dict[str, str], errors: forms.FormErrors) -> Any:
    return render_template(
        "console/broadcasts/edit.html",
        broadcast=broadcast,
        back=detail_url(broadcast),
        values=values,
        errors=errors,
        severities=broadcast_forms.severity_choices(values["severity"]),
        topics=broadcast_forms.topic_choices(values.get("event_topic", "")),
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
        broadcast = broadcast_service.update_broadcast(broadcast=broadcast, changes=changes)
    except Invalid as error:
        db.session.rollback()
        broadcast_forms.add_service_error(error, {"target": "areas"}, errors)
        return _render_edit(db.session.get(Broadcast, broadcast_id), values, errors)
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
    broadcast = broadcast_service.cancel_broadcast(broadcast=broadcast)
    db.session.commit()
    flash(_("The broadcast is cancelled; the phones that got it are told."))
    return redirect(detail_url(broadcast))
