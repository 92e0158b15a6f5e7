"""``flask push worker``: a dispatcher as a process of its own.

SIGTERM (or SIGINT) stops it gracefully: the multicast in flight is finished and recorded,
the unsent rest of its batch is released for another dispatcher to take at once, and the
process exits (docs: README "Stopping workers"). A second signal to the RQ worker is RQ's
cold shutdown: rows still leased then wait for their lease, as after a crash.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
from typing import Any

from flask import Flask

from grannsamverkan.notify.chores import wait_for_background_chores
from grannsamverkan.notify.jobs import SWEEP_S
from grannsamverkan.notify.outbox_rows import next_due_in
from grannsamverkan.notify.runner import (
    EXTENSION,
    POLL_S,
    dispatcher_for,
    enqueue_dispatch,
)

log = logging.getLogger(__name__)

# The --app of ``flask push worker``: the app without the API and the console (create_app).
PUSH_WORKER_APP = 'grannsamverkan:create_app(role="push")'
# Allocations between two collections of the youngest generation (Python's default: 700).
GC_GEN0_THRESHOLD = 5_000


def serve_metrics(port: int, address: str = "127.0.0.1") -> Any:
    """Serve the metrics on ``address:port`` from a thread (prometheus_client's server):
    every process's in PROMETHEUS_MULTIPROC_DIR when set, else this process's. Returns the
    server (``shutdown()`` stops it)."""
    from prometheus_client import REGISTRY, CollectorRegistry, multiprocess, start_http_server

    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    server, _ = start_http_server(port, address, registry=registry)
    log.info("push worker metrics on http://%s:%d/", address, port)
    return server


def freeze_start_up_heap() -> None:
    """Keep the garbage collector to what a dispatch allocates.

    A broadcast's requests make objects by the thousand (aiohttp's requests, futures and
    timers, 2,000 in flight); with Python's default thresholds they set off a collection
    every 700 objects and a full one every few seconds, and a full one walked the whole
    start-up heap (~240,000 objects: the app, SQLAlchemy, firebase-admin): half of a push
    worker's CPU went to it (0.15 of 0.30 ms a push; BENCHMARKS.md, "Push CPU"). Frozen,
    the start-up objects are never walked again; the young generation is collected every
    GC_GEN0_THRESHOLD allocations, so fewer of a request's objects are still alive (and
    promoted) when it runs.
    """
    gc.collect()
    gc.freeze()
    _, *older = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, *older)


def run_polling_worker(app: Flask, *, burst: bool = False) -> None:
    """Dispatch in a loop without Redis; several may run at once (rows are leased)."""
    runner = app.extensions[EXTENSION]
    stop = runner.shutdown
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    dispatcher = dispatcher_for(app, runner.sender, stop=stop)
    log.info("push worker %s polling", dispatcher.name)
    while not stop.is_set():
        handled = dispatcher.run_until_idle()
        due = next_due_in()
        if burst and due is None:
            wait_for_background_chores()  # an import or read-back it started
            break
        if handled == 0:
            stop.wait(POLL_S if due is None else min(POLL_S, max(0.05, due)))


def run_rq_worker(app: Flask, *, burst: bool = False) -> None:
    """An RQ worker on the push queue, in this process and app context (no fork per job).

    It first enqueues a sweep so rows left by a crashed worker are not forgotten, and keeps
    one coming while it runs (``SweepGuard``): Redis may lose every queued and scheduled job.
    """
    from redis import Redis
    from rq import Queue, SimpleWorker

    class PushWorker(SimpleWorker):
        """RQ's worker, whose warm shutdown (the first SIGTERM) also tells the dispatch job
        running in it to stop after its multicast in flight."""

        def handle_warm_shutdown_request(self) -> None:
            app.extensions[EXTENSION].shutdown.set()
            super().handle_warm_shutdown_request()

        def subscribe(self) -> None:
            """RQ's command channel, polled every second instead of RQ's 60 s. RQ stops
            the listening thread by unsubscribing and joining it (redis 8 joins in
            ``stop()``); a thread caught waiting for its subscription then sleeps out its
            whole poll, and the worker took up to a minute to exit after SIGTERM (rq#1613).
            """
            self.pubsub = self.connection.pubsub()
            self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})
            self.pubsub_thread = self.pubsub.run_in_thread(  # type: ignore[assignment]
                sleep_time=1, daemon=True, exception_handler=self._pubsub_exception_handler
            )

    connection = Redis.from_url(app.config["GSV_REDIS_URL"])
    queue = Queue(app.config["GSV_RQ_QUEUE"], connection=connection)
    enqueue_dispatch(app)
    worker: Any = PushWorker([queue], connection=connection)
    guard = None if burst else SweepGuard(app, connection).start()
    try:
        worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
    finally:
        if guard is not None:
            guard.stop()


def guard_interval_s(app: Flask) -> float:
    """How often workers make sure a dispatch job is coming: at least twice per lease, so
    rows are recovered within the lease time, and at least once per sweep."""
    return max(1.0, min(float(SWEEP_S), float(app.config["GSV_PUSH_LEASE_S"]) / 2))


class SweepGuard:
    """A thread that, every ``guard_interval_s``, enqueues a dispatch job for the first worker
    of all to get there (a Redis key with that expiry elects it).

    The jobs that keep dispatching going (the sweep a worker schedules at start, each job's
    next run, RQ's scheduler process) all live in Redis. A Redis restarted empty forgets
    them, and RQ's scheduler process dies with the connection (RQ restarts it only every ten
    minutes); without this, due rows would wait for an unrelated commit to enqueue a job.
    A dispatch that finds nothing due ends at once, so the pulse costs one short job per
    interval for the whole cluster.
    """

    def __init__(self, app: Flask, connection: Any) -> None:
        self.app = app
        self.connection = connection
        self.interval_s = guard_interval_s(app)
        self.key = f"gsv:{app.config['GSV_RQ_QUEUE']}:sweep-pulse"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="gsv-sweep-guard", daemon=True)

    def start(self) -> SweepGuard:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def pulse(self) -> bool:
        """Enqueue a dispatch job unless another worker did in this interval."""
        ttl_ms = int(self.interval_s * 1000) - 100  # expired again by the next pulse
        if not self.connection.set(self.key, "1", nx=True, px=max(ttl_ms, 100)):
            return False
        enqueue_dispatch(self.app)
        return True

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.pulse()
            except Exception:  # noqa: BLE001 - Redis down: try again at the next interval
                log.warning("push sweep guard: Redis not reachable; retrying", exc_info=True)
