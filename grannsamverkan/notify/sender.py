"""The push-sender interface the outbox dispatcher talks to, and the FCM payload it implies."""

from __future__ import annotations

import email.utils
import json
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

# FCM's own limits: send_each_for_multicast refuses a 501st token, and a message body over
# 4,096 bytes is rejected with INVALID_ARGUMENT.
MAX_BATCH = 500
MAX_PAYLOAD_BYTES = 4096
# FCM keeps an undelivered message at most 28 days.
MAX_TTL_SECONDS = 28 * 24 * 3600


@dataclass(frozen=True)
class PushMessage:
    """One content sent to many device tokens (at most MAX_BATCH)."""

    tokens: list[str]
    data: dict[str, str]
    title: str
    body: str
    # True rings (android priority high, apns-priority 10, sound); False arrives silently.
    urgent: bool
    ttl_seconds: int
    collapse_key: str | None = None

    def __post_init__(self) -> None:
        # Fail where the message is made, not later as a whole batch of FAILED results.
        if len(self.tokens) > MAX_BATCH:
            raise ValueError(f"a push goes to at most {MAX_BATCH} tokens, got {len(self.tokens)}")
        if not all(isinstance(t, str) and t for t in self.tokens):
            raise ValueError("tokens must be non-empty strings")
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in self.data.items()):
            raise ValueError("FCM data keys and values must be strings")
        if not 0 <= self.ttl_seconds <= MAX_TTL_SECONDS:
            raise ValueError(f"ttl_seconds must be within 0..{MAX_TTL_SECONDS}")


class Outcome(StrEnum):
    """What became of a push to one device token."""

    SENT = "sent"
    UNREGISTERED = "unregistered"  # the token is dead: delete it
    RETRY = "retry"  # transient: try again later (after retry_after_s when given)
    FAILED = "failed"  # permanent for this content: do not retry


@dataclass(frozen=True)
class TokenResult:
    """The outcome for one token of a PushMessage."""

    token: str
    outcome: Outcome
    retry_after_s: float | None = None
    error: str | None = None


class PushSender(Protocol):
    """Sends one PushMessage; never raises for delivery problems."""

    def send(self, message: PushMessage) -> list[TokenResult]:
        """Send to every token; one result per token, in the order of message.tokens."""
        ...


@dataclass(frozen=True)
class PlatformOptions:
    """How FCM is asked to deliver a message on Android and iOS: the one rule that both the
    SDK's message (fcm_sender.py) and the JSON encoding (fcm_message) follow."""

    android_priority: str  # "high" rings now; "normal" may wait for the phone to wake
    apns_priority: str  # "10" now, "5" when convenient
    apns_expiration: str  # epoch seconds; "0" means deliver now or never
    ttl_seconds: int
    sound: str | None  # a sound is what makes an urgent alert ring; silent ones have none


def platform_options(message: PushMessage, *, now: float | None = None) -> PlatformOptions:
    """Urgent messages ring at once; the rest wait for the phone and arrive silently."""
    # apns-expiration 0 means "deliver now or never", like an Android ttl of 0 s.
    if message.ttl_seconds == 0:
        expires = 0
    else:
        expires = int(time.time() if now is None else now) + message.ttl_seconds
    urgent = message.urgent
    return PlatformOptions(
        android_priority="high" if urgent else "normal",
        apns_priority="10" if urgent else "5",
        apns_expiration=str(expires),
        ttl_seconds=message.ttl_seconds,
        sound="default" if urgent else None,
    )


def fcm_message(
    message: PushMessage, *, token: str | None = None, now: float | None = None
) -> dict[str, Any]:
    """The FCM HTTP v1 ``message`` object for one device, as firebase-admin encodes it."""
    options = platform_options(message, now=now)
    android: dict[str, Any] = {
        "priority": options.android_priority,
        "ttl": f"{options.ttl_seconds}s",
    }
    if message.collapse_key is not None:
        android["collapse_key"] = message.collapse_key
    apns: dict[str, Any] = {
        "headers": {
            "apns-priority": options.apns_priority,
            "apns-expiration": options.apns_expiration,
        }
    }
    if options.sound is not None:
        android["notification"] = {"sound": options.sound}
        apns["payload"] = {"aps": {"sound": options.sound}}
    body: dict[str, Any] = {
        "android": android,
        "apns": apns,
        "data": dict(message.data),
        "notification": {"body": message.body, "title": message.title},
    }
    if token is not None:
        body["token"] = token
    return body


def payload_size(message: PushMessage) -> int:
    """Bytes of the compact JSON FCM message for one device, target token not counted."""
    # The token is addressing, not payload, and is the same for every content.
    encoded = json.dumps(fcm_message(message), separators=(",", ":"), ensure_ascii=False)
    return len(encoded.encode("utf-8"))


def retry_after_seconds(value: str | None) -> float | None:
    """A Retry-After header's wait in seconds: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
