"""RQ jobs, run by ``flask push worker`` when GSV_REDIS_URL is set."""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app

from grannsamverkan.notify.outbox import next_due_in
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for, enqueue_dispatch

log = logging.getLogger(__name__)


def dispatch_pending() -> int:
    """Send everything due; if rows still wait (backoff, leases), come back when they are due.

    A commit enqueues one job, which one worker takes. When its first claim comes back
    full, it enqueues one more before sending, so an idle worker joins in; that job, if its
    own first claim is full, asks for one more, and so on: a large fan-out spreads over all
    idle workers, a small one stays on one. A job that finds nothing due ends at once.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = app.extensions[EXTENSION]
    handled = dispatcher_for(app, runner.sender).run_until_idle(
        on_full_batch=lambda: _ask_for_help(app)
    )
    due = next_due_in()
    if due is not None:
        enqueue_dispatch(app, delay_s=max(1.0, due))
    return handled


def _ask_for_help(app: Any) -> None:
    try:
        enqueue_dispatch(app)
    except Exception:  # noqa: BLE001 - Redis down: this job still sends everything itself
        log.exception("could not enqueue a helper push job")
