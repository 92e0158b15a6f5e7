"""Chores that wait on other hosts run in a thread of their own: a dispatcher pass only
checks whether one is due and starts it, one run at a time, and its writes are committed
apart from the pass."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import ScheduledRun
from grannsamverkan.notify.chores import in_background, wait_for_background_chores
from grannsamverkan.notify.outbox import Dispatcher
from grannsamverkan.notify.sender import Outcome, TokenResult


class NoSender:
    def send(self, message):
        return [TokenResult(t, Outcome.SENT) for t in message.tokens]


def test_a_slow_chore_does_not_hold_up_the_pass(app):
    release, runs, asked = threading.Event(), [], []

    def slow_import(now):
        runs.append(now)
        release.wait(10)
        db.session.add(ScheduledRun(name="slow-import", started_at=now))

    def due(now):
        asked.append(now)
        return True

    dispatcher = Dispatcher(NoSender(), chores=[in_background(slow_import, due=due)])
    with app.app_context():
        started = time.monotonic()
        dispatcher.run_until_idle()
        dispatcher.run_until_idle()  # the first run is still going: no second one
        assert time.monotonic() - started < 5
        assert db.session.scalar(select(ScheduledRun.name)) is None
    assert len(asked) == 1  # nor is it asked whether one is due
    release.set()
    wait_for_background_chores()
    assert len(runs) == 1
    with app.app_context():
        assert db.session.scalar(select(ScheduledRun.name)) == "slow-import"  # committed
        dispatcher.run_until_idle()
    wait_for_background_chores()
    assert len(runs) == 2  # the next pass runs it again


def test_nothing_starts_when_not_due(app):
    started = []
    chore = in_background(started.append, due=lambda now: False)
    with app.app_context():
        Dispatcher(NoSender(), chores=[chore]).run_until_idle()
    wait_for_background_chores()
    assert started == []
    assert not [t for t in threading.enumerate() if t.name.startswith("gsv-chore-")]


def test_a_failing_background_chore_is_rolled_back_and_logged(app, caplog):
    def broken(now):
        db.session.add(ScheduledRun(name="half-done", started_at=now))
        db.session.flush()
        raise RuntimeError("the feed answered nonsense")

    with app.app_context():
        Dispatcher(NoSender(), chores=[in_background(broken, due=lambda now: True)]).run_chores()
    wait_for_background_chores()
    assert "background chore broken failed" in caplog.text
    with app.app_context():
        assert db.session.scalar(select(ScheduledRun.name)) is None
