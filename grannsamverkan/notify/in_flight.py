"""Batches of pushes in flight: where a dispatcher's multicasts run while it claims the next
batch and records the finished ones (notify/outbox.py, ``GSV_PUSH_IN_FLIGHT``).

A submitter runs either multicasts.send_groups, blocking (``Inline``), or its coroutine twin
send_groups_on_loop (``OnLoop``): ``runs_coroutines`` says which it takes."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from grannsamverkan.notify.outbox_rows import Claimed
from grannsamverkan.notify.sender import PushSender, TokenResult

Results = dict[int, TokenResult]


class Submitter(Protocol):
    window: int  # batches it sends at once
    runs_coroutines: bool  # submit takes a coroutine function, not a blocking one

    def submit(self, fn: Callable[..., Any], /, *args: Any) -> Future[Results]: ...


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
    runs_coroutines = True

    def submit(
        self, fn: Callable[..., Coroutine[Any, Any, Results]], /, *args: Any
    ) -> Future[Results]:
        return self.sender.run_on_loop(fn(*args))


class Inline:
    """Runs a batch's multicasts right away, in the dispatcher's thread (one batch in flight)."""

    window = 1
    runs_coroutines = False

    def submit(self, fn: Callable[..., Results], /, *args: Any) -> Future[Results]:
        done: Future[Results] = Future()
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
    pushes: Future[Results]

    def outcome(self) -> Results:
        return {**self.results, **self.pushes.result()}


def window_of(in_flight: int, sender: PushSender) -> int:
    """Batches a dispatcher keeps in flight: as many as asked for (``GSV_PUSH_IN_FLIGHT``)
    and the transport carries (its ``max_in_flight``; one for the SDK's)."""
    return max(1, min(in_flight, getattr(sender, "max_in_flight", 1)))


@contextmanager
def push_pool(in_flight: int, sender: PushSender) -> Iterator[Submitter]:
    """Where a pass's multicasts run: on the transport's own loop when several batches may
    be in flight (``window_of``; only a transport with a loop carries several), else inline."""
    window = window_of(in_flight, sender)
    if window > 1 and hasattr(sender, "run_on_loop"):
        yield OnLoop(sender, window)  # type: ignore[arg-type]
    else:
        yield Inline()
