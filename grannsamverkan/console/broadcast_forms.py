"""The broadcast forms of the console: what a police officer types, turned into the API's
request bodies (validated by the API's own schemas), and back into form values.

Times are typed in Swedish local time (``datetime-local``) and sent on as aware ISO times;
numbers accept a decimal comma. Unparseable text is passed on as it is, so the schema, not
this module, says it is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from grannsamverkan.console import forms
from grannsamverkan.console.broadcast_choices import TARGETS
from grannsamverkan.console.forms import parse_number
from grannsamverkan.errors import DomainError
from grannsamverkan.models import Area, Broadcast
from grannsamverkan.models.broadcast import BROADCAST_KINDS, BROADCAST_SEVERITIES
from grannsamverkan.schemas.broadcasts import BroadcastCreateSchema, BroadcastPatchSchema

STOCKHOLM = ZoneInfo("Europe/Stockholm")
TARGET_FIELD = {"areas": "area_ids", "municipalities": "municipality_codes", "circle": "circle_lat"}
LIST_FIELDS = ("municipality_codes", "area_ids")
TEXT_FIELDS = (
    "kind",
    "title",
    "body",
    "severity",
    "expires_at",
    "target",
    "circle_lat",
    "circle_lon",
    "circle_radius_m",
    "event_topic",
    "event_starts_at",
    "event_ends_at",
    "event_place",
    "event_capacity",
    "event_lat",
    "event_lon",
)
EVENT_FIELDS = {
    "topic": "event_topic",
    "starts_at": "event_starts_at",
    "ends_at": "event_ends_at",
    "place": "event_place",
    "capacity": "event_capacity",
}
# A schema field (dotted) → the form field its message is shown at.
FORM_FIELD = {
    "target": "target",
    "target.municipality_codes": "municipality_codes",
    "target.area_ids": "area_ids",
    "target.circle": "circle_lat",
    "target.circle.lat": "circle_lat",
    "target.circle.lon": "circle_lon",
    "target.circle.radius_m": "circle_radius_m",
    "event": "event_topic",
    "event.location": "event_lat",
    "event.location.lat": "event_lat",
    "event.location.lon": "event_lon",
    **{f"event.{name}": form_name for name, form_name in EVENT_FIELDS.items()},
}


# --- values in and out -----------------------------------------------------------------------


def read_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The submitted values: text fields stripped, the two lists as lists."""
    values: dict[str, Any] = {name: form.get(name, "").strip() for name in TEXT_FIELDS}
    for name in LIST_FIELDS:
        values[name] = form.getlist(name)
    if values["target"] not in TARGETS:
        values["target"] = TARGETS[0]
    return values


def hidden_fields(values: dict[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs that carry the form through the check step without JavaScript."""
    pairs = [(name, values[name]) for name in TEXT_FIELDS if values.get(name)]
    for name in LIST_FIELDS:
        pairs += [(name, value) for value in values.get(name) or []]
    return pairs


def local_input(value: datetime | None) -> str:
    """A stored time as a ``datetime-local`` value in Swedish time."""
    return value.astimezone(STOCKHOLM).strftime("%Y-%m-%dT%H:%M") if value else ""


def _aware(text: str) -> str | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment.isoformat()


def _point(lat: str, lon: str) -> dict[str, Any] | None:
    if not lat and not lon:
        return None
    return {"lat": parse_number(lat), "lon": parse_number(lon)}


def _target(values: dict[str, Any]) -> dict[str, Any]:
    if values["target"] == "municipalities":
        return {"municipality_codes": values["municipality_codes"]}
    if values["target"] == "areas":
        return {"area_ids": [parse_number(v) for v in values["area_ids"]]}
    circle = _point(values["circle_lat"], values["circle_lon"]) or {}
    if circle or values["circle_radius_m"]:
        circle["radius_m"] = parse_number(values["circle_radius_m"])
    return {"circle": circle} if circle else {}


def _event(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "topic": values["event_topic"],
        "starts_at": _aware(values["event_starts_at"]),
        "ends_at": _aware(values["event_ends_at"]),
        "place": values["event_place"],
        "capacity": parse_number(values["event_capacity"]),
        "location": _point(values["event_lat"], values["event_lon"]),
    }


# --- the new broadcast -----------------------------------------------------------------------


def _messages(values: dict[str, Any]) -> dict[str, str]:
    # By schema field, dotted: a nested field listed here would take its fields' messages.
    missing_target = {
        "municipalities": _("Choose at least one municipality"),
        "areas": _("Choose at least one area"),
        "circle": _("Click the map or enter the centre of the circle"),
    }[values["target"]]
    return {
        "kind": _("Choose what you are sending"),
        "title": _("Enter a title of at most 200 characters"),
        "body": _("Enter the message, at most 4,000 characters"),
        "severity": _("Choose a severity"),
        "expires_at": _("Enter the expiry as a date and time, for example 24/12/2026 18:00"),
        "target.municipality_codes": missing_target,
        "target.area_ids": _("Choose among your areas"),
        "target.circle.lat": _("Enter the centre's latitude, for example 57.6663"),
        "target.circle.lon": _("Enter the centre's longitude, for example 15.8557"),
        "target.circle.radius_m": _("Enter a radius between 100 and 50,000 metres"),
        "event.topic": _("Choose a topic"),
        "event.starts_at": _("Enter when the training event starts, as a date and time"),
        "event.ends_at": _("Enter when the training event ends, after it starts"),
        "event.place": _("Enter where the training event is held"),
        "event.capacity": _("Enter the number of places, from 1 to 10,000"),
        "event.location.lat": _("Enter the location's latitude, or leave both empty"),
        "event.location.lon": _("Enter the location's longitude, or leave both empty"),
    }


def _anchors(errors: forms.FormErrors, places: Places) -> None:
    errors.anchors.update(
        kind=f"kind-{BROADCAST_KINDS[0]}",
        severity=f"severity-{BROADCAST_SEVERITIES[0]}",
        target=f"target-{TARGETS[0]}",
    )
    if places.codes:
        errors.anchors["municipality_codes"] = f"municipality_codes-{places.codes[0]}"
    if places.areas:
        errors.anchors["area_ids"] = f"area_ids-{places.areas[0].id}"


@dataclass(frozen=True)
class Places:
    """Where the officer may send: municipality codes and areas."""

    codes: list[str]
    areas: list[Area]


def load_new(values: dict[str, Any], places: Places, errors: forms.FormErrors) -> Any:
    """The POST /broadcasts body of the form, validated by BroadcastCreateSchema; None with
    ``errors`` filled when it is not valid."""
    data: dict[str, Any] = {
        "kind": values["kind"],
        "title": values["title"],
        "body": values["body"],
        "severity": values["severity"] or None,
        "expires_at": _aware(values["expires_at"]),
        "target": _target(values),
        "event": _event(values) if values["kind"] == "training_event" else None,
    }
    loaded = forms.load(
        BroadcastCreateSchema(),
        data,
        errors,
        messages=_messages(values),
        # "Name someone" lands on municipality_codes; show it where the officer chose.
        fields={**FORM_FIELD, "target.municipality_codes": TARGET_FIELD[values["target"]]},
    )
    _anchors(errors, places)
    return loaded


# The services' rules beyond the schema, and where their messages are shown.
SERVICE_FIELDS = {
    "expires_at": "expires_at",
    "event.starts_at": "event_starts_at",
    "event.ends_at": "event_ends_at",
    "target.area_ids": "area_ids",
}


def add_service_error(error: DomainError, values: dict[str, Any], errors: forms.FormErrors) -> None:
    """A service's refusal (a time in the past, a place the officer does not serve) as a
    message at the field it is about."""
    name = next(iter(error.errors or {}), "target")
    messages = {
        "expires_at": _("The expiry must lie in the future"),
        "event.starts_at": _("The training event must start in the future"),
        "event.ends_at": _("Enter when the training event ends, after it starts"),
        "target.area_ids": _("Choose among your areas"),
    }
    if name in messages:
        errors.add(SERVICE_FIELDS[name], messages[name])
        return
    errors.add(
        TARGET_FIELD[values["target"]],
        _("You can send only to your own municipalities and areas")
        if values["target"] != "circle"
        else _("The circle reaches no area in your municipalities"),
    )


# --- changing a broadcast ---------------------------------------------------------------------


def stored_values(broadcast: Broadcast) -> dict[str, str]:
    """A broadcast's changeable fields as form values."""
    values = {
        "title": broadcast.title,
        "body": broadcast.body,
        "severity": broadcast.severity or "",
        "expires_at": local_input(broadcast.expires_at),
    }
    if broadcast.is_event:
        values.update(
            event_topic=broadcast.event_topic or "",
            event_starts_at=local_input(broadcast.starts_at),
            event_ends_at=local_input(broadcast.ends_at),
            event_place=broadcast.place or "",
            event_capacity=str(broadcast.capacity or ""),
            event_lat="" if broadcast.event_lat is None else str(broadcast.event_lat),
            event_lon="" if broadcast.event_lon is None else str(broadcast.event_lon),
        )
    return values


def read_edit(form: MultiDict[str, str], broadcast: Broadcast) -> dict[str, str]:
    return {name: form.get(name, "").strip() for name in stored_values(broadcast)}


def load_changes(values: dict[str, str], initial: dict[str, str], errors: forms.FormErrors) -> Any:
    """The PATCH body of what changed, validated by BroadcastPatchSchema; None on errors."""
    changed = {name for name in values if values[name] != initial.get(name)}
    data: dict[str, Any] = {}
    for name in ("title", "body"):
        if name in changed:
            data[name] = values[name]
    if "severity" in changed:
        data["severity"] = values["severity"] or None
    if "expires_at" in changed:
        data["expires_at"] = _aware(values["expires_at"])
    event: dict[str, Any] = {}
    for name, form_name in EVENT_FIELDS.items():
        if form_name in changed:
            value = values[form_name]
            event[name] = {
                "starts_at": _aware,
                "ends_at": _aware,
                "capacity": parse_number,
            }.get(name, lambda v: v)(value)
    if {"event_lat", "event_lon"} & changed:
        event["location"] = _point(values["event_lat"], values["event_lon"])
    if event:
        data["event"] = event
    if not data:
        errors.add("title", _("Change something before you save"))
        return None
    return forms.load(
        BroadcastPatchSchema(),
        data,
        errors,
        messages=_messages({"target": TARGETS[0]}),
        fields=FORM_FIELD,
    )
