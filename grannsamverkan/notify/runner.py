"""Where dispatchers run: a background thread in the app (default), RQ workers, or nowhere.

``GSV_DISPATCHER`` picks: ``thread`` (the embedded default), ``rq`` (the default when
GSV_REDIS_URL is set: the API enqueues jobs, ``flask push worker`` runs them), or ``off``
(tests and one-off commands that drive a Dispatcher themselves). Whatever runs them, the
outbox rows are the truth: a wake-up lost is only a delay, never a lost push.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from flask import Flask, current_app, has_app_context, request
from sqlalchemy import event
from sqlalchemy.orm import Session

from grannsamverkan.extensions import db
from grannsamverkan.logs import current_request_id
from grannsamverkan.notify.backends import make_sender
from grannsamverkan.notify.hand_off import (
    HAND_OFF,
    HandedBatch,
    HandOff,
    committed_batches,
    forget_batches,
    start_pushes,
)
from grannsamverkan.notify.in_flight import OnLoop, Sending, push_pool
from grannsamverkan.notify.mail import Mailer, make_mailer
from grannsamverkan.notify.mail_rows import UnsubscribeLinks
from grannsamverkan.notify.open311 import make_client
from grannsamverkan.notify.outbox import Chore, Dispatcher
from grannsamverkan.notify.outbox_rows import RetryPolicy, next_due_in
from grannsamverkan.notify.sender import MAX_BATCH, PushSender
from grannsamverkan.notify.sms import SmsSender, make_sms_sender
from grannsamverkan.open311_config import parse_open311

log = logging.getLogger(__name__)

EXTENSION = "gsv_push"
# How often an idle dispatcher looks for rows nobody woke it for (retries, leases run out).
POLL_S = 5.0


def dispatcher_for(
    app: Flask, sender: PushSender, *, stop: threading.Event | None = None
) -> Dispatcher:
    """A dispatcher configured from the app, with the chores the factory registered; it
    stops between multicasts once ``stop`` is set (by default the process's shutdown event,
    ``PushRunner.shutdown``, which the push worker sets on SIGTERM)."""
    runner: PushRunner = app.extensions[EXTENSION]
    config = app.config
    dispatcher = Dispatcher(
        sender,
        batch_size=config["GSV_PUSH_BATCH_SIZE"],
        lease_s=config["GSV_PUSH_LEASE_S"],
        policy=RetryPolicy(
            base_s=config["GSV_PUSH_BACKOFF_BASE_S"],
            cap_s=config["GSV_PUSH_BACKOFF_CAP_S"],
            max_attempts=config["GSV_PUSH_MAX_ATTEMPTS"],
        ),
        chores=runner.chores,
    )
    dispatcher.in_flight = config["GSV_PUSH_IN_FLIGHT"]
    dispatcher.mailer = runner.mailer
    dispatcher.sms_sender = runner.sms_sender
    if runner.unsubscribe_links is not None:
        dispatcher.unsubscribe_links = runner.unsubscribe_links
    # One HTTP session per dispatcher: a dispatcher is one thread.
    dispatcher.open311 = make_client(config)
    dispatcher.stop = stop or runner.shutdown
    return dispatcher


class PushRunner:
    """The app's handle on dispatching: ``wake()`` after a commit that wrote deliveries."""

    def __init__(
        self,
        app: Flask,
        chores: Sequence[Chore] = (),
        unsubscribe_links: UnsubscribeLinks | None = None,
    ) -> None:
        self.app = app
        self.chores = tuple(chores)
        self.unsubscribe_links = unsubscribe_links
        self.mode = app.config["GSV_DISPATCHER"] or (
            "rq" if app.config["GSV_REDIS_URL"] else "thread"
        )
        self._sender: PushSender | None = None
        # Built now, so that a wrong GSV_SMTP_URL stops the app at start-up.
        self.mailer: Mailer = make_mailer(app.config)
        # Likewise a wrong GSV_SMS_* setting; one sender (one HTTP session) per process.
        self.sms_sender: SmsSender = make_sms_sender(app.config)
        parse_open311(app.config.get("GSV_OPEN311"))  # a malformed GSV_OPEN311 stops it too
        self._thread: threading.Thread | None = None
        self._wakeup = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stopped_at_exit = False
        # A request's push rows, leased to the dispatcher thread and handed to it on commit.
        self.hand_off = HandOff(
            lease_s=app.config["GSV_PUSH_LEASE_S"],
            limit=min(app.config["GSV_PUSH_BATCH_SIZE"], MAX_BATCH),  # as Dispatcher's batch
        )
        # Set once when this process is asked to stop (``flask push worker`` on SIGTERM):
        # every dispatcher made by dispatcher_for then finishes its multicast in flight and
        # hands back the rest of its batch.
        self.shutdown = threading.Event()

    @property
    def sender(self) -> PushSender:
        """One sender per process (FCM keeps a connection pool)."""
        with self._lock:
            if self._sender is None:
                self._sender = make_sender(self.app.config)
            return self._sender

    def close_sender(self) -> None:
        """Close the sender (its connections, firebase-admin's app) and forget it: the next
        use makes a new one, so an app kept across tests never sends through a closed one."""
        with self._lock:
            sender, self._sender = self._sender, None
        close = getattr(sender, "close", None)
        if close is not None:
            close()

    def wake(self) -> None:
        if self.mode == "thread":
            self._ensure_thread()
            self._wakeup.set()
        elif self.mode == "rq":
            try:
                enqueue_dispatch(self.app)
            except Exception:  # noqa: BLE001 - Redis down: rows wait for a worker's sweep
                log.exception("could not enqueue a push job; the worker's sweep will send it")

    def takes_hand_offs(self) -> bool:
        """Does a dispatcher thread run in this process, to send a request's rows?"""
        thread = self._thread
        return (
            self.mode == "thread"
            and thread is not None
            and thread.is_alive()
            and not self._stop.is_set()
        )

    def start_handed_off(self, batches: list[HandedBatch]) -> None:
        """After the commit that wrote them: put the batches' multicasts on the transport's
        loop now, if it has one (the dispatcher records them), else hand them to the
        dispatcher to start; then wake it."""
        items: list[Sending | HandedBatch] = []
        for batch in batches:
            try:
                pool = push_pool(self.app.config["GSV_PUSH_IN_FLIGHT"], self.sender)
                if isinstance(pool, OnLoop):
                    items.append(start_pushes(pool, self._stop, batch))
                    continue
            except Exception:  # noqa: BLE001 - the request has committed: never fail it now
                log.exception("could not start handed-off pushes; the dispatcher will")
            items.append(batch)
        self.hand_off.put(items)
        self.wake()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _ensure_thread(self) -> None:
        with self._lock:
            if not self._stopped_at_exit:
                # A process that serves the app (a gunicorn worker told to stop by SIGTERM
                # ends by exiting) stops its dispatcher thread cleanly first: the thread is
                # a daemon, and would otherwise die mid-batch with its rows leased.
                _before_exit(self.stop, self.app.config["GSV_FCM_TIMEOUT_S"] + 5)
                self._stopped_at_exit = True
            if self._thread is None or not self._thread.is_alive():
                self._stop.clear()
                self._thread = threading.Thread(
                    target=self._loop, name="gsv-push-dispatcher", daemon=True
                )
                self._thread.start()

    def _loop(self) -> None:
        with self.app.app_context():
            dispatcher = dispatcher_for(self.app, self.sender, stop=self._stop)
            dispatcher.name = self.hand_off.name  # the leases requests write for it
            dispatcher.handed_off = self.hand_off
            while not self._stop.is_set():
                self._wakeup.clear()
                wait = POLL_S
                try:
                    dispatcher.run_until_idle()
                    due = next_due_in()
                    if due is not None:
                        wait = min(POLL_S, max(0.05, due))
                except Exception:  # noqa: BLE001 - keep the loop alive; rows stay pending
                    log.exception("push dispatch failed; retrying")
                    db.session.rollback()
                self._wakeup.wait(wait)
            dispatcher.settle_handed_off()


def _before_exit(stop: Callable[[float], None], timeout: float) -> None:
    """Call ``stop(timeout)`` when the process exits, before its thread pools are shut.

    concurrent.futures shuts every ThreadPoolExecutor at exit *before* atexit handlers run
    (documented): a dispatcher told to stop only by atexit still claimed its next batch
    meanwhile, could not hand it to its push pool (then a thread pool) and left it leased;
    the SDK transport's own pool likewise turned a batch into retries. threading's
    exit hook (what concurrent.futures itself uses) runs last-registered first, so the
    dispatcher stops, finishes its batches in flight and releases the rest while the pools
    still work. atexit stays the fallback where that hook is missing or already past.
    """
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        try:
            register(stop, timeout)
            return
        except RuntimeError:  # the interpreter is already shutting its threads down
            pass
    atexit.register(stop, timeout)


def enqueue_dispatch(app: Flask, *, delay_s: float = 0, job_id: str | None = None) -> Any:
    """Put a dispatch job on the RQ queue (now, or after ``delay_s``); a job with the same
    ``job_id`` that has not run yet is replaced, not doubled."""
    from datetime import timedelta

    from redis import Redis
    from rq import Queue

    queue = Queue(
        app.config["GSV_RQ_QUEUE"], connection=Redis.from_url(app.config["GSV_REDIS_URL"])
    )
    job = "grannsamverkan.notify.jobs.dispatch_pending"
    # The request (or job) that asked: the worker's log lines about the job carry its id.
    options: dict[str, Any] = {
        "job_timeout": 600,
        "job_id": job_id,
        "meta": {"request_id": current_request_id()},
    }
    if delay_s > 0:
        return queue.enqueue_in(timedelta(seconds=delay_s), job, **options)
    return queue.enqueue(job, **options)


def init_app(
    app: Flask,
    *,
    chores: Sequence[Chore] = (),
    unsubscribe_links: UnsubscribeLinks | None = None,
) -> None:
    """Bind push dispatching to the app; ``chores`` run in every dispatcher pass;
    ``unsubscribe_links`` makes the one-click unsubscribe links of list e-mails."""
    runner = PushRunner(app, chores, unsubscribe_links)
    app.extensions[EXTENSION] = runner
    if runner.mode == "thread":
        # Rows left pending by an earlier run are picked up once the app serves requests.
        app.before_request(_start_thread_once)
        app.before_request(_offer_hand_off)


def _start_thread_once() -> None:
    runner: PushRunner = current_app.extensions[EXTENSION]
    if runner._thread is None:
        runner.wake()


def _offer_hand_off() -> None:
    """A request in a process whose dispatcher thread runs writes its push rows leased to
    it (services/push_hand_off.py)."""
    runner: PushRunner = current_app.extensions[EXTENSION]
    if request.method not in ("GET", "HEAD", "OPTIONS") and runner.takes_hand_offs():
        db.session.info[HAND_OFF] = runner.hand_off


@event.listens_for(Session, "after_commit")
def _wake_after_commit(session: Session) -> None:
    """Deliveries become sendable only once committed: start the rows handed to this
    process's dispatcher, and wake a dispatcher."""
    batches = committed_batches(session)
    if session.info.pop("deliveries_written", False) and has_app_context():
        runner = current_app.extensions.get(EXTENSION)
        if runner is not None and batches:
            runner.start_handed_off(batches)
        elif runner is not None:
            runner.wake()


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop("deliveries_written", None)
    forget_batches(session)
