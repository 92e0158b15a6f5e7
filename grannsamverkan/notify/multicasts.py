"""A claimed batch's pushes as multicasts: one per (alert, purpose, language, silence),
built from the detached alerts and sent, from a thread (``send_groups``) or as a coroutine on
the transport's own loop (``send_groups_on_loop``; notify/in_flight.py says which)."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime

from grannsamverkan.metrics import SEND_SECONDS
from grannsamverkan.models import Alert
from grannsamverkan.notify.messages import PushKind, build_message
from grannsamverkan.notify.outbox_rows import Claimed
from grannsamverkan.notify.sender import Outcome, PushMessage, PushSender, TokenResult

# The multicasts of one batch: one per (alert, purpose, language, silence).
PushGroups = dict[tuple[int, PushKind], list[Claimed]]


def push_groups(
    claimed: list[Claimed],
    alerts: dict[int, Alert],
    now: datetime,
    results: dict[int, TokenResult],
) -> PushGroups:
    """The claimed push rows by multicast; those that need none get their result now."""
    groups: PushGroups = defaultdict(list)
    for row in claimed:
        if row.channel != "push":
            continue
        alert = alerts.get(row.alert_id) if row.alert_id is not None else None
        if row.token is None:  # the device was removed meanwhile
            results[row.delivery_id] = TokenResult("", Outcome.UNREGISTERED, error="no device")
        elif alert is None or alert.has_expired(now):
            results[row.delivery_id] = TokenResult(row.token, Outcome.FAILED, error="expired")
        elif row.alert_id is not None:
            groups[(row.alert_id, PushKind(row.purpose, row.locale, row.silent))].append(row)
    return groups


def send_groups(
    sender: PushSender,
    stop: threading.Event,
    groups: PushGroups,
    alerts: dict[int, Alert],
    now: datetime,
) -> dict[int, TokenResult]:
    """One multicast per group, until ``stop`` is set: the rest go back unsent (the
    dispatcher's record releases them). Reads only the detached alerts, no session."""
    results: dict[int, TokenResult] = {}
    for rows, message in _multicasts(stop, groups, alerts, now):
        with SEND_SECONDS.labels(channel="push").time():
            sent = sender.send(message)
        results.update(zip((r.delivery_id for r in rows), sent, strict=True))
    return results


async def send_groups_on_loop(
    sender: PushSender,
    stop: threading.Event,
    groups: PushGroups,
    alerts: dict[int, Alert],
    now: datetime,
) -> dict[int, TokenResult]:
    """``send_groups`` on the transport's loop (its ``send_on_loop``): the same multicasts,
    one after another, the same stop between them."""
    results: dict[int, TokenResult] = {}
    for rows, message in _multicasts(stop, groups, alerts, now):
        with SEND_SECONDS.labels(channel="push").time():
            sent = await sender.send_on_loop(message)  # type: ignore[attr-defined]
        results.update(zip((r.delivery_id for r in rows), sent, strict=True))
    return results


def _multicasts(
    stop: threading.Event, groups: PushGroups, alerts: dict[int, Alert], now: datetime
) -> Iterator[tuple[list[Claimed], PushMessage]]:
    """Each group's rows and their multicast, built as it is due, until ``stop`` is set."""
    for (alert_id, kind), rows in groups.items():
        if stop.is_set():
            return
        yield rows, _message(alerts[alert_id], kind, rows, now)


def _message(alert: Alert, kind: PushKind, rows: list[Claimed], now: datetime) -> PushMessage:
    tokens: list[str] = [r.token for r in rows if r.token is not None]  # push_groups: all set
    return build_message(alert, kind, tokens=tokens, now=now)
