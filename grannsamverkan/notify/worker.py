"""``flask push worker``: a dispatcher as a process of its own."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from flask import Flask

from grannsamverkan.notify.outbox import next_due_in
from grannsamverkan.notify.runner import (
    EXTENSION,
    POLL_S,
    dispatcher_for,
    enqueue_dispatch,
)

log = logging.getLogger(__name__)


def run_polling_worker(app: Flask, *, burst: bool = False) -> None:
    """Dispatch in a loop without Redis; several may run at once (rows are leased)."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    dispatcher = dispatcher_for(app, app.extensions[EXTENSION].sender)
    log.info("push worker %s polling", dispatcher.name)
    while not stop.is_set():
        handled = dispatcher.run_until_idle()
        due = next_due_in()
        if burst and due is None:
            break
        if handled == 0:
            stop.wait(POLL_S if due is None else min(POLL_S, max(0.05, due)))


def run_rq_worker(app: Flask, *, burst: bool = False) -> None:
    """An RQ worker on the push queue, in this process and app context (no fork per job).

    It first enqueues a sweep so rows left by a crashed worker are not forgotten.
    """
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(app.config["GSV_REDIS_URL"])
    queue = Queue(app.config["GSV_RQ_QUEUE"], connection=connection)
    enqueue_dispatch(app)
    worker: Any = SimpleWorker([queue], connection=connection)
    worker.work(burst=burst, with_scheduler=not burst, logging_level="WARNING")
