"""What police see of a broadcast, in words: the answers of the check step, a broadcast's
page (texts, target, reach, versions) and links to its public documents."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from grannsamverkan.console import broadcast_choices, labels
from grannsamverkan.models import Broadcast, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import broadcast_permissions
from grannsamverkan.services import broadcasts as broadcast_service


def status_text(broadcast: Broadcast) -> str:
    now = utcnow()
    if broadcast.status == "cancelled":
        return _("Cancelled")
    expiry = broadcast.expires_at or broadcast.ends_at
    if expiry is not None and expiry <= now:
        return _("Expired")
    return _("Updated") if broadcast.status == "updated" else _("Active")


@dataclass(frozen=True)
class Answer:
    label: str
    value: str


def check_answers(message: dict[str, Any], area_names: list[str]) -> list[Answer]:
    """A new broadcast, as the check step lists it."""
    answers = [
        Answer(_("Type"), labels.label(labels.BROADCAST_KIND, message["kind"])),
        Answer(_("Title"), message["title"]),
        Answer(_("Text"), message["body"]),
        Answer(
            _("Severity"), labels.label(labels.BROADCAST_SEVERITY, message["severity"]) or _("None")
        ),
        Answer(_("Expires"), _when(message["expires_at"]) or _("Does not expire")),
        Answer(_("Sent to"), target_text(message["target"], area_names)),
    ]
    event = message.get("event")
    if event:
        answers += _event_answers(event)
    return answers


def _event_answers(event: dict[str, Any]) -> list[Answer]:
    location = event.get("location")
    return [
        Answer(_("Topic"), broadcast_choices.topic_label(event["topic"])),
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
        parts.append(labels.municipalities_label(sorted(codes)))
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
        manageable=broadcast_permissions.can_manage_broadcast(user, broadcast)
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
                _("CAP alert (XML)"),
                url_for("warning_documents.cap_document", broadcast_id=broadcast.id),
            )
        )
        links.append(Link(_("Atom feed of warnings"), url_for("warning_documents.warnings_feed")))
    if broadcast.is_event:
        links.append(
            Link(
                _("Calendar file (iCalendar)"),
                url_for("warning_documents.event_calendar", broadcast_id=broadcast.id),
            )
        )
    return links
