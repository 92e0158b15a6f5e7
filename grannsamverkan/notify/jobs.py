"""RQ jobs, run by ``flask push worker`` when GSV_REDIS_URL is set."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import current_app
from rq import get_current_job

from grannsamverkan.logs import acting_for
from grannsamverkan.notify.outbox_rows import next_due_in
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for, enqueue_dispatch

log = logging.getLogger(__name__)

# Even with nothing pending, a worker looks again this often (reminders, crashed peers).
SWEEP_S = 60


def dispatch_pending() -> int:
    """Send everything due; if rows still wait (backoff, leases), come back when they are due.

    A commit enqueues one job, which one worker takes. When its first claim comes back
    full, it enqueues one more before sending, so an idle worker joins in; that job, if its
    own first claim is full, asks for one more, and so on: a large fan-out spreads over all
    idle workers, a small one stays on one. A job that finds nothing due ends at once.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    runner = app.extensions[EXTENSION]
    job = get_current_job()
    started = time.perf_counter()
    dispatcher = dispatcher_for(app, runner.sender)
    handled = dispatcher.run_until_idle(on_full_batch=lambda: _ask_for_help(app))
    if dispatcher.released:
        # This worker is stopping: another takes the rows it handed back, now.
        _ask_for_help(app)
    if handled:
        # Under the id of the request that enqueued the job; the rows' own lines
        # (notify/reporting.py) carry the ids of the requests that wrote them.
        with acting_for(job.meta.get("request_id") if job is not None else None):
            log.info(
                "dispatch job done",
                extra={"rows": handled, "ms": round((time.perf_counter() - started) * 1e3, 1)},
            )
    schedule_next_run(app, next_due_in())
    return handled


def schedule_next_run(app: Any, due_in_s: float | None) -> None:
    """Come back when the next row is due, and at least every SWEEP_S seconds anyway.

    The sweep is what runs the dispatcher's chores (event reminders) and picks up rows a
    crashed worker left leased when no new commit wakes anyone. The job id names the
    second (or, for sweeps, the minute) it runs in, so however many jobs ask for the same
    moment, one job runs then.
    """
    delay = SWEEP_S if due_in_s is None else min(SWEEP_S, max(1.0, due_in_s))
    at = time.time() + delay
    # The two kinds are named apart: a second that is also a whole minute must not make a
    # row due then wait for the sweep scheduled a minute later under the same id.
    if due_in_s is not None and delay < SWEEP_S:
        moment = f"at-{int(at)}"
    else:
        moment = f"sweep-{int(at // SWEEP_S) * SWEEP_S}"
    enqueue_dispatch(app, delay_s=delay, job_id=f"{app.config['GSV_RQ_QUEUE']}-dispatch-{moment}")


def _ask_for_help(app: Any) -> None:
    try:
        enqueue_dispatch(app)
    except Exception:  # noqa: BLE001 - Redis down: this job still sends everything itself
        log.exception("could not enqueue a helper push job")
