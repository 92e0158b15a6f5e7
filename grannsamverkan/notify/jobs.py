"""RQ jobs, run by ``flask push worker`` when GSV_REDIS_URL is set."""

from __future__ import annotations

from flask import current_app

from grannsamverkan.notify.outbox import next_due_in
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for, enqueue_dispatch


def dispatch_pending() -> int:
    """Send everything due; if rows still wait (backoff, leases), come back when they are due."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = app.extensions[EXTENSION]
    handled = dispatcher_for(app, runner.sender).run_until_idle()
    due = next_due_in()
    if due is not None:
        enqueue_dispatch(app, delay_s=max(1.0, due))
    return handled
