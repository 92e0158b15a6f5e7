"""Chores that wait on other hosts (the police events import, the Open311 status read-back)
run in a thread of their own, so that no push waits for a slow municipality or feed.

The dispatcher runs its chores in every pass; ``in_background`` makes one of two parts: a
quick ``due`` check the pass runs itself (is it configured, and did this dispatcher win this
interval's run?), and the ``work``, which only then starts in a thread (one run at a time
per process) while the pass goes on sending pushes. The work gets an app context, and so a
database session, of its own, and commits or rolls back alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from flask import current_app

from grannsamverkan.extensions import db
from grannsamverkan.notify.outbox import Chore

log = logging.getLogger(__name__)

_running: list[threading.Thread] = []
_running_lock = threading.Lock()


def in_background(work: Chore, *, due: Callable[[datetime], bool]) -> Chore:
    """A dispatcher chore that, when ``due(now)`` says so, runs ``work(now)`` in a thread of
    its own; a pass that finds the previous run still going starts none (nor asks ``due``)."""
    name = getattr(work, "__name__", "chore")
    busy = threading.Lock()

    def start(now: datetime) -> None:
        if not busy.acquire(blocking=False):
            return
        try:
            wanted = due(now)
        except BaseException:
            busy.release()
            raise
        if not wanted:
            busy.release()
            return
        app = current_app._get_current_object()  # type: ignore[attr-defined]

        def run() -> None:
            try:
                with app.app_context():
                    try:
                        work(now)
                        db.session.commit()
                    except Exception:  # noqa: BLE001 - logged; the next interval tries again
                        db.session.rollback()
                        log.exception("background chore %s failed", name)
            finally:
                busy.release()

        thread = threading.Thread(target=run, name=f"gsv-chore-{name}", daemon=True)
        with _running_lock:
            _running[:] = [t for t in _running if t.is_alive()] + [thread]
        thread.start()

    start.__name__ = f"in_background({name})"
    return start


def wait_for_background_chores(timeout_s: float = 30.0) -> None:
    """Join the chores started in the background (a burst worker before it exits, tests)."""
    with _running_lock:
        threads = list(_running)
    for thread in threads:
        thread.join(timeout_s)
