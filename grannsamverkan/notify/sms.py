"""SMS, the outbox's third channel: the ``SmsSender`` interface, a sender for a 46elks-style
HTTP API (a form POST of ``from``, ``to`` and ``message`` with HTTP basic auth), a logging
one for development, and ``make_sms_sender`` that picks one from GSV_SMS_BACKEND.

The dispatcher (outbox.py) claims SMS rows with the other rows, with the same leases,
retries and backoff, and hands them to ``send_text_messages``; the text itself is made at
send time (sms_text.py), never stored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import requests

from grannsamverkan.notify.sender import Outcome, TokenResult, retry_after_seconds
from grannsamverkan.notify.sms_text import SmsSubject, sms_text

logger = logging.getLogger("grannsamverkan.sms")

# 46elks' documented endpoint; GSV_SMS_ENDPOINT points elsewhere (a test server, a proxy).
ELKS_ENDPOINT = "https://api.46elks.com/a1/sms"
# An alphanumeric sender id is at most 11 letters and digits (GSM 03.40); a number is E.164.
SENDER_ID = re.compile(r"^(?:[A-Za-z][A-Za-z0-9]{0,10}|\+[1-9]\d{6,14})$")
# How long a gateway's own throttling asks us to wait when it says nothing (429 alone).
THROTTLED_WAIT_S = 30.0


@dataclass(frozen=True)
class Sms:
    """One text message to one number (E.164)."""

    to: str
    message: str


@dataclass(frozen=True)
class SmsResult:
    outcome: Outcome
    retry_after_s: float | None = None
    error: str | None = None


class SmsSender(Protocol):
    """Sends text messages; never raises for delivery problems."""

    def send(self, messages: Sequence[Sms]) -> list[SmsResult]:
        """One result per message, in order."""
        ...


def masked(number: str) -> str:
    """A number as logs show it: enough to tell two apart, not enough to call."""
    return number[:3] + "…" + number[-2:] if len(number) > 6 else "…"


class LogSmsSender:
    """For development and when no gateway is configured: logs, reports SENT."""

    def send(self, messages: Sequence[Sms]) -> list[SmsResult]:
        for sms in messages:
            logger.info(
                "SMS (not sent: GSV_SMS_BACKEND=log) to=%s chars=%d",
                masked(sms.to),
                len(sms.message),
            )
        return [SmsResult(Outcome.SENT) for _ in messages]


class ElksSmsSender:
    """46elks' SMS API: ``POST {endpoint}`` with form fields from, to, message and basic
    auth; 2xx is accepted, 429 and 5xx are tried again later (Retry-After honoured), any
    other 4xx (an invalid number, a refused sender id) will not succeed on a retry."""

    def __init__(
        self,
        *,
        endpoint: str,
        username: str,
        password: str,
        sender: str,
        timeout_s: float = 10.0,
    ) -> None:
        self.endpoint = endpoint
        self.sender = sender
        self.timeout_s = timeout_s
        # One session per process: the gateway's TLS connection is kept between messages.
        self.session = requests.Session()
        self.session.auth = (username, password)

    def send(self, messages: Sequence[Sms]) -> list[SmsResult]:
        results: list[SmsResult] = []
        for sms in messages:
            result = self._send_one(sms)
            results.append(result)
            if result.error and result.error.startswith("unreachable"):
                break  # the gateway is down: the rest wait for the next pass
        untried = SmsResult(Outcome.RETRY, error="not tried: gateway unreachable")
        return results + [untried] * (len(messages) - len(results))

    def _send_one(self, sms: Sms) -> SmsResult:
        form = {"from": self.sender, "to": sms.to, "message": sms.message}
        try:
            response = self.session.post(
                self.endpoint, data=form, timeout=(self.timeout_s, self.timeout_s)
            )
        except requests.Timeout as error:
            # The gateway may have taken it: a retry risks a duplicate, which beats a loss.
            return SmsResult(Outcome.RETRY, error=f"timeout: {type(error).__name__}")
        except requests.RequestException as error:
            logger.warning("SMS gateway not reachable: %r", error)
            return SmsResult(Outcome.RETRY, error=f"unreachable: {type(error).__name__}")
        return classify_response(response)


def classify_response(response: requests.Response) -> SmsResult:
    """What a gateway's answer means for the message."""
    status = response.status_code
    if 200 <= status < 300:
        return SmsResult(Outcome.SENT)
    detail = f"HTTP {status}: {response.text.strip()[:200]}"
    if status == 429:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        wait = THROTTLED_WAIT_S if wait is None else wait
        return SmsResult(Outcome.RETRY, retry_after_s=wait, error=detail)
    if status >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"))
        return SmsResult(Outcome.RETRY, retry_after_s=wait, error=detail)
    return SmsResult(Outcome.FAILED, error=detail)


def make_sms_sender(config: Mapping[str, Any]) -> SmsSender:
    """The sender GSV_SMS_BACKEND names: "log" (default) or "elks" (needs credentials)."""
    backend = (config.get("GSV_SMS_BACKEND") or "log").strip().lower()
    if backend == "log":
        return LogSmsSender()
    if backend != "elks":
        raise ValueError(f"GSV_SMS_BACKEND must be 'log' or 'elks', not {backend!r}")
    username = config.get("GSV_SMS_USERNAME") or None
    password = config.get("GSV_SMS_PASSWORD") or None
    sender = config.get("GSV_SMS_FROM") or None
    if not username or not password:
        raise ValueError("GSV_SMS_BACKEND=elks needs GSV_SMS_USERNAME and GSV_SMS_PASSWORD")
    if not sender or not SENDER_ID.match(sender):
        raise ValueError(
            "GSV_SMS_FROM must be a sender name of 1-11 letters and digits starting with a "
            f"letter (e.g. Grannsamv), or a number like +46701234567: {sender!r}"
        )
    return ElksSmsSender(
        endpoint=config.get("GSV_SMS_ENDPOINT") or ELKS_ENDPOINT,
        username=username,
        password=password,
        sender=sender,
        timeout_s=float(config.get("GSV_SMS_TIMEOUT_S") or 10.0),
    )


def send_text_messages(
    sender: SmsSender, rows: Sequence[Any], subjects: Mapping[int, SmsSubject], *, now: datetime
) -> dict[int, TokenResult]:
    """Send claimed SMS rows (``delivery_id``, ``alert_id``, ``sms_to``, ``purpose``,
    ``locale``), each text made now from its alert; results keyed by delivery id."""
    results: dict[int, TokenResult] = {}
    sendable: list[tuple[Any, Sms]] = []
    for row in rows:
        subject = subjects.get(row.alert_id) if row.alert_id is not None else None
        if not row.sms_to:  # erased meanwhile (delete_account clears the number)
            results[row.delivery_id] = TokenResult("", Outcome.FAILED, error="no number")
        elif subject is None or (
            subject.alert.expires_at is not None and subject.alert.expires_at <= now
        ):
            results[row.delivery_id] = TokenResult("", Outcome.FAILED, error="expired")
        else:
            text = sms_text(subject, row.purpose, row.locale)
            sendable.append((row, Sms(row.sms_to, text)))
    sent = sender.send([sms for _, sms in sendable]) if sendable else []
    for (row, _), result in zip(sendable, sent, strict=True):
        results[row.delivery_id] = TokenResult(
            "", result.outcome, retry_after_s=result.retry_after_s, error=result.error
        )
    return results
