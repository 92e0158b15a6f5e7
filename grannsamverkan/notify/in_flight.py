"""Batches of pushes in flight: where a dispatcher's multicasts run while it claims the next
batch and records the finished ones (notify/outbox.py, ``GSV_PUSH_IN_FLIGHT``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from grannsamverkan.notify.outbox_rows import Claimed
from grannsamverkan.notify.sender import PushSender, TokenResult


class Submitter(Protocol):
    window: int  # batches it sends at once

    def submit(
        self, fn: Callable[..., dict[int, TokenResult]], /, *args: Any
    ) -> Future[dict[int, TokenResult]]: ...


@dataclass
class Threads:
    """Runs each batch's multicasts in a thread of its own, ``window`` batches at once."""

    threads: ThreadPoolExecutor
    window: int

    def submit(
        self, fn: Callable[..., dict[int, TokenResult]], /, *args: Any
    ) -> Future[dict[int, TokenResult]]:
        return self.threads.submit(fn, *args)


class Inline:
    """Runs a batch's multicasts right away, in the dispatcher's thread (one batch in flight)."""

    window = 1

    def submit(
        self, fn: Callable[..., dict[int, TokenResult]], /, *args: Any
    ) -> Future[dict[int, TokenResult]]:
        done: Future[dict[int, TokenResult]] = Future()
        try:
            done.set_result(fn(*args))
        except BaseException as error:  # noqa: BLE001 - re-raised by result(), as before
            done.set_exception(error)
        return done


@dataclass
class Sending:
    """A claimed batch on its way: the results known without a push, and the pushes."""

    claimed: list[Claimed]
    results: dict[int, TokenResult]
    pushes: Future[dict[int, TokenResult]]

    def outcome(self) -> dict[int, TokenResult]:
        return {**self.results, **self.pushes.result()}


def window_of(in_flight: int, sender: PushSender) -> int:
    """Batches a dispatcher keeps in flight: as many as asked for (``GSV_PUSH_IN_FLIGHT``)
    and the transport carries (its ``max_in_flight``; one for the SDK's)."""
    return max(1, min(in_flight, getattr(sender, "max_in_flight", 1)))


@contextmanager
def push_pool(in_flight: int, sender: PushSender) -> Iterator[Submitter]:
    """Where a pass's multicasts run: threads when several batches may be in flight
    (``window_of``), else inline."""
    window = window_of(in_flight, sender)
    if window == 1:
        yield Inline()
        return
    with ThreadPoolExecutor(window, thread_name_prefix="gsv-push-send") as threads:
        yield Threads(threads, window)
