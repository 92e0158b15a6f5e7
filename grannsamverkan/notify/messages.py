"""What a phone receives for an alert: the push content, in the member's language."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from grannsamverkan.models import Alert
from grannsamverkan.notify.sender import (
    MAX_PAYLOAD_BYTES,
    MAX_TTL_SECONDS,
    PushMessage,
    payload_size,
)

# An alert without an expiry (a notice) still should not wait on a phone for weeks.
DEFAULT_TTL_SECONDS = 24 * 3600
ELLIPSIS = "…"

PURPOSE_PREFIX = {
    "update": {"sv": "Uppdatering: ", "en": "Update: "},
    "cancel": {"sv": "Avblåst: ", "en": "All clear: "},
    "reminder": {"sv": "Påminnelse: ", "en": "Reminder: "},
    "promotion": {"sv": "Du har fått en plats: ", "en": "You have a place: "},
}
# The one follow-up about a tip alert's outcome (services/tip_outcomes.py), by the status the
# alert took: the tip closed, or rejected / found a false alarm.
OUTCOME_PREFIX = {
    "resolved": {"sv": "Avslutat: ", "en": "Resolved: "},
    "withdrawn": {"sv": "Avskrivet: ", "en": "Withdrawn: "},
}


def title_prefix(alert: Alert, purpose: str, locale: str) -> str:
    """What a push's title starts with: why this push comes after the first one, if it does."""
    if purpose == "outcome":
        return OUTCOME_PREFIX.get(alert.status, OUTCOME_PREFIX["withdrawn"]).get(locale, "")
    return PURPOSE_PREFIX.get(purpose, {}).get(locale, "")


def base_purpose(purpose: str) -> str:
    """A delivery purpose without its suffix: "update-2" is an "update" to the phone.

    Suffixes exist only to keep the outbox key (alert, device, purpose) unique when one device
    gets a second update, or a second promotion, about the same alert.
    """
    return purpose.split("-", 1)[0]


def ttl_seconds(alert: Alert, now: datetime) -> int:
    if alert.expires_at is None:
        return DEFAULT_TTL_SECONDS
    return max(0, min(MAX_TTL_SECONDS, int((alert.expires_at - now).total_seconds())))


@dataclass(frozen=True)
class PushKind:
    """What a group of devices gets about one alert: why, in which language, with or
    without sound. The dispatcher sends one multicast per alert and kind."""

    purpose: str
    locale: str
    silent: bool


def build_message(alert: Alert, kind: PushKind, *, tokens: list[str], now: datetime) -> PushMessage:
    """The push for these devices; the body is shortened to keep within FCM's 4 KB."""
    purpose = base_purpose(kind.purpose)
    title = title_prefix(alert, purpose, kind.locale) + alert.title_in(kind.locale)
    data = _data(alert, purpose=purpose, title=title)

    def message_with(body: str) -> PushMessage:
        return PushMessage(
            tokens=tokens,
            data={**data, "body": body},
            title=title,
            body=body,
            urgent=alert.urgent and not kind.silent,
            ttl_seconds=ttl_seconds(alert, now),
            collapse_key=f"alert-{alert.id}",
        )

    return _fitted(alert.body_in(kind.locale, push=True), message_with)


# Before sending, the alert and broadcast ids are unknown: ids this wide make the preview's
# payload no smaller than the real one, so its body is cut no later than the phone's.
PREVIEW_ID = 9_999_999_999


def preview_broadcast_message(title: str, body: str, *, urgent: bool, locale: str) -> PushMessage:
    """The push a phone would get for a new broadcast with this text (the console's preview
    before sending): built by build_message, so title and cut body are the phone's."""
    alert = Alert(
        id=PREVIEW_ID,
        kind="broadcast",
        broadcast_id=PREVIEW_ID,
        title=title.strip(),
        body=body.strip(),
        urgent=urgent,
        status="active",
    )
    kind = PushKind(purpose="alert", locale=locale, silent=False)
    return build_message(alert, kind, tokens=["preview"], now=datetime.now().astimezone())


def _data(alert: Alert, *, purpose: str, title: str) -> dict[str, str]:
    data = {
        "alert_id": str(alert.id),
        "kind": alert.kind,
        "status": alert.status,
        "purpose": purpose,
        "title": title,
    }
    if alert.broadcast_id is not None:
        data["broadcast_id"] = str(alert.broadcast_id)
    if alert.about_tip_id is not None:
        data["tip_id"] = str(alert.about_tip_id)
    if alert.category:
        data["category"] = alert.category
    if alert.lat is not None and alert.lon is not None:
        # Stored already coarsened to the ≈200 m grid (services/tips.py).
        data["lat"], data["lon"] = f"{alert.lat:.6f}", f"{alert.lon:.6f}"
    return data


def _fitted(body: str, message_with: Callable[[str], PushMessage]) -> PushMessage:
    """The message with the whole body, or with the longest prefix of it that fits."""
    message = message_with(body)
    if payload_size(message) <= MAX_PAYLOAD_BYTES:
        return message
    # Too long for FCM: bytes per character vary, so search rather than compute.
    fits, too_long = 0, len(body)
    while too_long - fits > 1:
        middle = (fits + too_long) // 2
        candidate = message_with(body[:middle].rstrip() + ELLIPSIS)
        if payload_size(candidate) <= MAX_PAYLOAD_BYTES:
            fits = middle
        else:
            too_long = middle
    return message_with(body[:fits].rstrip() + ELLIPSIS)
