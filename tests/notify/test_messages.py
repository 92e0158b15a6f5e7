"""Push content: language, urgency, coarse location only, and FCM's 4,096-byte limit."""

from __future__ import annotations

from datetime import timedelta

import pytest

from grannsamverkan.geo.coarsen import coarsen, is_coarse
from grannsamverkan.models import Alert
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.messages import PushKind, build_message
from grannsamverkan.notify.sender import MAX_PAYLOAD_BYTES, fcm_message, payload_size

NOW = utcnow()


def alert(**fields):
    values = {
        "id": 42,
        "kind": "tip",
        "category": "burglary",
        "title": "burglary",
        "body": "Fönstret mot gården krossat.",
        **coarsen(57.6663, 15.8557),
        "urgent": True,
        "status": "active",
        "expires_at": NOW + timedelta(hours=48),
    }
    values.update(fields)
    return Alert(**values)


def test_title_in_the_members_language_and_alert_fields():
    sv = build_message(alert(), PushKind("alert", "sv", False), tokens=["t"], now=NOW)
    en = build_message(alert(), PushKind("alert", "en", False), tokens=["t"], now=NOW)
    assert (sv.title, en.title) == ("Inbrott", "Burglary")
    assert sv.data["alert_id"] == "42"
    assert sv.data["kind"] == "tip"
    assert sv.data["status"] == "active"
    assert sv.data["category"] == "burglary"
    assert is_coarse(float(sv.data["lat"]), float(sv.data["lon"]))
    assert 0 < sv.ttl_seconds <= 48 * 3600


@pytest.mark.parametrize(("urgent", "silent", "rings"), [(True, False, True), (True, True, False),
                                                         (False, False, False)])  # fmt: skip
def test_urgency(urgent, silent, rings):
    message = build_message(
        alert(urgent=urgent), PushKind("alert", "sv", silent), tokens=["t"], now=NOW
    )
    encoded = fcm_message(message, token="t")
    assert (encoded["android"]["priority"] == "high") is rings
    assert (encoded["apns"]["headers"]["apns-priority"] == "10") is rings
    assert ("sound" in encoded["android"].get("notification", {})) is rings


@pytest.mark.parametrize("text", ["å" * 2000, "x" * 2000, "🚨" * 2000])
def test_long_bodies_are_cut_to_fit_fcm(text):
    message = build_message(alert(body=text), PushKind("alert", "sv", False), tokens=["t"], now=NOW)
    assert payload_size(message) <= MAX_PAYLOAD_BYTES
    assert message.body.endswith("…")
    assert message.data["body"] == message.body
    assert payload_size(message) > MAX_PAYLOAD_BYTES - 16  # cut just enough, not emptied


def test_short_body_is_untouched():
    message = build_message(alert(), PushKind("alert", "sv", False), tokens=["t"], now=NOW)
    assert message.body == "Fönstret mot gården krossat."
