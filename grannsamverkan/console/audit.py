"""The audit trail page (admins, police leads): the events of GET /audit, newest first,
filtered by object, actor and action, with who did it and what changed (docs/audit.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Blueprint, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy import select

from grannsamverkan.console import forms, pagination
from grannsamverkan.console.session import console_user
from grannsamverkan.errors import Forbidden
from grannsamverkan.extensions import db
from grannsamverkan.models import AuditEvent, User
from grannsamverkan.schemas.audit import AuditQuerySchema
from grannsamverkan.services import audit, permissions

bp = Blueprint("audit", __name__)

FILTER_FIELDS = ("object_type", "object_id", "actor_id", "action")
# The console pages an object's id links to, where it has one.
OBJECT_PAGES = {"tip": ("console.tips.detail", "tip_id")}


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    checked: bool


@bp.get("/audit")
def index() -> Any:
    """Who did what, newest first; a filter that makes no sense is named and left out."""
    user = console_user()
    if not permissions.can_read_audit(user):
        raise Forbidden(_("The audit trail is for admins and police leads."))
    errors = forms.FormErrors()
    asked = {k: v for k in FILTER_FIELDS if (v := request.args.get(k, "").strip())}
    filters = _read_filters(asked, errors)
    page = pagination.paginate(audit.events_query(user, filters=filters))
    names = _actor_names(page.items)
    return render_template(
        "console/audit/index.html",
        errors=errors,
        values={field: asked.get(field, "") for field in FILTER_FIELDS},
        object_types=_choices(audit.OBJECT_TYPES, asked.get("object_type")),
        actions=_choices(audit.ACTIONS, asked.get("action")),
        rows=[_row(event, names) for event in page.items],
        page=page,
        active=bool(asked),
    ), (422 if errors else 200)


def _read_filters(asked: dict[str, str], errors: forms.FormErrors) -> dict[str, Any]:
    messages = {
        "object_type": _("Choose a kind of object from the list"),
        "object_id": _("Enter an id as a whole number"),
        "actor_id": _("Enter an account id as a whole number"),
        "action": _("Choose an action from the list"),
    }
    loaded = forms.load(AuditQuerySchema(), asked, errors, messages=messages)
    if loaded is not None:
        return loaded
    valid = {k: v for k, v in asked.items() if errors.get(k) is None}
    return forms.load(AuditQuerySchema(), valid, forms.FormErrors(), messages={}) or {}


def _choices(values: tuple[str, ...], asked: str | None) -> list[Choice]:
    return [Choice("", _("All"), False)] + [Choice(v, v, v == asked) for v in values]


def _actor_names(events: list[AuditEvent]) -> dict[int, str]:
    """The names of the accounts that acted on this page (those that still exist)."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return {}
    return dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())


def _row(event: AuditEvent, names: dict[int, str]) -> list[Any]:
    if event.actor_id is None:
        actor = _("operator (command line)")
    else:
        name = names.get(event.actor_id, f"#{event.actor_id}")
        actor = f"{name} ({event.actor_role})"
    return [
        format_datetime(event.at, "d MMM y, HH:mm"),
        actor,
        event.action,
        _object_cell(event),
        ", ".join(audit.municipalities_of(event)),
        _changes_text(event.changes),
    ]


def _object_cell(event: AuditEvent) -> Any:
    text = (
        event.object_type if event.object_id is None else f"{event.object_type} {event.object_id}"
    )
    page = OBJECT_PAGES.get(event.object_type)
    if page is None or event.object_id is None:
        return text
    endpoint, argument = page
    values: dict[str, Any] = {argument: event.object_id}  # Any: url_for's keyword values
    return {"text": text, "href": url_for(endpoint, **values)}


def _changes_text(changes: dict[str, list[Any]]) -> str:
    """ "status: open → investigating; police_note: – → [text]"."""
    parts = []
    for field, (old, new) in changes.items():
        parts.append(f"{field}: {_value(old)} → {_value(new)}")
    return "; ".join(parts)


def _value(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "–"
    return str(value)
