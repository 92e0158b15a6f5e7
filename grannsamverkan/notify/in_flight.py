"""Batches of pushes in flight: where a dispatcher's multicasts run while it claims the next
batch and records the finished ones (notify/outbox.py, ``GSV_PUSH_IN_FLIGHT``).

A submitter sends a batch's multicasts either blocking, in the dispatcher's thread
(``Inline``: multicasts.send_groups), or as a coroutine on the transport's own event loop
(``OnLoop``: multicasts.send_groups_on_loop)."""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from grannsamverkan.models import Alert
from grannsamverkan.notify.multicasts import PushGroups, send_groups, send_groups_on_loop
from grannsamverkan.notify.outbox_rows import Claimed
from grannsamverkan.notify.sender import PushSender, TokenResult

Results = dict[int, TokenResult]


class Submitter(Protocol):
    window: int  # batches it sends at once

    def send(
        self, stop: threading.Event, groups: PushGroups, alerts: dict[int, Alert], now: datetime
    ) -> Future[Results]:
        """One multicast per group, until ``stop`` is set; the results when done."""
        ...


class LoopSender(PushSender, Protocol):
    """A transport with an event loop of its own (fcm_aiohttp.AiohttpFcmSender)."""

    def run_on_loop(self, coroutine: Coroutine[Any, Any, Results]) -> Future[Results]: ...


@dataclass
class OnLoop:
    """Runs each batch's multicasts as a coroutine on the transport's own event loop,
    ``window`` batches at once: the dispatcher's thread hands a batch to the loop that sends
    it, not to a thread that hands it on (the first push of a tip leaves sooner)."""

    sender: LoopSender
    window: int

    def send(
        self, stop: threading.Event, groups: PushGroups, alerts: dict[int, Alert], now: datetime
    ) -> Future[Results]:
        return self.sender.run_on_loop(send_groups_on_loop(self.sender, stop, groups, alerts, now))


@dataclass
class Inline:
    """Runs a batch's multicasts right away, in the dispatcher's thread (one batch in flight)."""

    sender: PushSender
    window = 1

    def send(
        self, stop: threading.Event, groups: PushGroups, alerts: dict[int, Alert], now: datetime
    ) -> Future[Results]:
        done: Future[Results] = Future()
        try:
            done.set_result(send_groups(self.sender, stop, groups, alerts, now))
        except BaseException as error:  # noqa: BLE001 - re-raised by result(), as before
            done.set_exception(error)
        return done


@dataclass
class Sending:
    """A claimed batch on its way: the results known without a push, and the pushes."""

    claimed: list[Claimed]
    results: dict[int, TokenResult]
    pushes: Future[Results]

    def outcome(self) -> Results:
        return {**self.results, **self.pushes.result()}


def window_of(in_flight: int, sender: PushSender) -> int:
    """Batches a dispatcher keeps in flight: as many as asked for (``GSV_PUSH_IN_FLIGHT``)
    and the transport carries (its ``max_in_flight``; one for the SDK's)."""
    return max(1, min(in_flight, getattr(sender, "max_in_flight", 1)))


def push_pool(in_flight: int, sender: PushSender) -> Submitter:
    """Where a pass's multicasts run: on the transport's own loop when several batches may
    be in flight (``window_of``; only a transport with a loop carries several), else inline."""
    window = window_of(in_flight, sender)
    if window > 1 and hasattr(sender, "run_on_loop"):
        return OnLoop(sender, window)  # type: ignore[arg-type]
    return Inline(sender)
