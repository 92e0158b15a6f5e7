"""What an e-mail about an alert says: rendered when it is sent, from (alert, purpose,
locale), in plain text with an HTML alternative, as members see the alert (its masked text
and coarse cell; never the reporter). The outbox row holds no content, so any copy of it (a
follow-up about the same alert) renders the same way.

Beside messages.py, which does the same for a push.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import render_template

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Broadcast
from grannsamverkan.notify.mail import Mail, unsubscribe_headers
from grannsamverkan.notify.messages import base_purpose, title_prefix
from grannsamverkan.texts import tip_guidance

SWEDEN = ZoneInfo("Europe/Stockholm")
# Purposes with a prefix of their own (messages.title_prefix, as the push has it: an update,
# an outcome's "Avskrivet: "); any other purpose after the first e-mail says only that there
# is news.
GENERIC_PREFIX = {"sv": "Nytt om: ", "en": "News about: "}
STATUS_LABELS = {
    "active": {"sv": "Aktuellt", "en": "Current"},
    "updated": {"sv": "Uppdaterat", "en": "Updated"},
    "cancelled": {"sv": "Avblåst", "en": "Called off"},
    "resolved": {"sv": "Avslutat", "en": "Resolved"},
    "withdrawn": {"sv": "Avskrivet", "en": "Withdrawn"},
}
# Statuses of an alert still in force; any other is an end (messages.title_prefix).
STANDING = ("active", "updated")
TEXTS = {
    "sv": {
        "area": "Område",
        "near": "Ungefärlig plats (inom ett par hundra meter)",
        "map": "Karta",
        "status": "Läge",
        "when": "När",
        "where": "Var",
        "why": (
            "Du får det här e-brevet för att du har valt e-post för larm och varningar "
            "i Grannsamverkan."
        ),
        "stop": "Sluta få larm per e-post",
        "app": "Larmet finns också i din inkorg i appen.",
    },
    "en": {
        "area": "Area",
        "near": "Approximate place (within a few hundred metres)",
        "map": "Map",
        "status": "Status",
        "when": "When",
        "where": "Where",
        "why": (
            "You get this e-mail because you chose e-mail for alerts and warnings in "
            "Grannsamverkan."
        ),
        "stop": "Stop alerts by e-mail",
        "app": "The alert is also in your inbox in the app.",
    },
}
MAP_ZOOM = 15  # a neighbourhood, as coarse as the cell


@dataclass(frozen=True)
class AlertMailView:
    """Everything the templates show, prepared here: templates hold no logic."""

    locale: str
    subject: str
    heading: str
    status: str
    body: str
    area_name: str | None
    coarse_place: str | None
    map_link: str | None
    event_when: str | None
    event_place: str | None
    guidance: str | None
    unsubscribe_url: str | None
    texts: dict[str, str]


def alert_mail(
    alert: Alert, *, to: str, purpose: str, locale: str, unsubscribe_url: str | None
) -> Mail:
    """The e-mail for one recipient; reads the alert's area or event (inside a session)."""
    view = _view(alert, purpose=purpose, locale=locale, unsubscribe_url=unsubscribe_url)
    return Mail(
        to=to,
        subject=view.subject,
        body=render_template("mail/alert.txt", view=view),
        html=render_template("mail/alert.html", view=view),
        headers=unsubscribe_headers(unsubscribe_url),
    )


def _view(alert: Alert, *, purpose: str, locale: str, unsubscribe_url: str | None) -> AlertMailView:
    locale = locale if locale in TEXTS else "sv"
    title = alert.title_in(locale)
    subject = _prefix(alert, purpose, locale) + title
    broadcast = db.session.get(Broadcast, alert.broadcast_id) if alert.broadcast_id else None
    return AlertMailView(
        locale=locale,
        subject=subject,
        heading=subject,
        status=STATUS_LABELS.get(alert.status, STATUS_LABELS["active"])[locale],
        # As a push: a notice's free text (a rejection's reason) stays in the inbox.
        body=alert.body_in(locale, push=True),
        area_name=_area_name(alert),
        coarse_place=_coarse_place(alert),
        map_link=_map_link(alert),
        event_when=_event_when(broadcast),
        event_place=broadcast.place if broadcast is not None else None,
        guidance=tip_guidance(locale) if _still_standing_tip(alert) else None,
        unsubscribe_url=unsubscribe_url,
        texts=TEXTS[locale],
    )


def _still_standing_tip(alert: Alert) -> bool:
    """Whether to tell the reader to call 112: not once the tip is written off or closed
    (the SMS drops the line then too)."""
    return alert.kind == "tip" and alert.status in STANDING


def _prefix(alert: Alert, purpose: str, locale: str) -> str:
    purpose = base_purpose(purpose)
    if purpose == "alert":
        return ""
    return title_prefix(alert, purpose, locale) or GENERIC_PREFIX[locale]


def _area_name(alert: Alert) -> str | None:
    """The tip's area (its name is public, GET /areas), not the place within it."""
    tip = alert.tip if alert.kind == "tip" else None
    if tip is None:
        return None
    return tip.area.name


def _coarse_place(alert: Alert) -> str | None:
    # Stored already snapped to the ≈200 m grid (services/tips.py): never the tip's point.
    if alert.lat is None or alert.lon is None:
        return None
    return f"{alert.lat:.4f}, {alert.lon:.4f}"


def _map_link(alert: Alert) -> str | None:
    if alert.lat is None or alert.lon is None:
        return None
    query = urlencode({"mlat": f"{alert.lat:.4f}", "mlon": f"{alert.lon:.4f}"})
    return f"https://www.openstreetmap.org/?{query}#map={MAP_ZOOM}/{alert.lat:.4f}/{alert.lon:.4f}"


def _event_when(broadcast: Broadcast | None) -> str | None:
    if broadcast is None or broadcast.starts_at is None:
        return None
    return _local(broadcast.starts_at) + (
        f"–{_local(broadcast.ends_at)[-5:]}" if broadcast.ends_at is not None else ""
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(SWEDEN).strftime("%Y-%m-%d %H:%M")
