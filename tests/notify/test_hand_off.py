"""A request's push rows handed straight to its process's dispatcher thread
(notify/hand_off.py): written leased to it, sent after the commit without a claim, and sent
exactly once whatever becomes of the process."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, User
from grannsamverkan.notify.hand_off import BATCHES, HAND_OFF, HandedBatch, HandOff
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for
from grannsamverkan.services import tips
from tests.conftest import send_all
from tests.notify.test_dispatcher import street  # noqa: F401 - the fixture
from tests.query_count import counted_statements
from tests.tips.conftest import SPOT, offset

NEIGHBOURS = ("near_a-phone", "near_b-phone")


@pytest.fixture
def app_config(request: pytest.FixtureRequest, push_config: dict[str, Any]) -> dict[str, Any]:
    """Tests drive dispatchers themselves, unless parametrized with "thread" (the app runs
    its own dispatcher thread, as under gunicorn)."""
    mode, transport = getattr(request, "param", ("off", "aiohttp"))
    return {**push_config, "GSV_DISPATCHER": mode, "GSV_FCM_TRANSPORT": transport}


# aiohttp: the request puts the multicast on the transport's loop; the SDK's transport has
# none, so the dispatcher thread starts it.
in_thread_mode = pytest.mark.parametrize(
    "app_config", [("thread", "aiohttp"), ("thread", "sdk")], indirect=True, ids=str
)


def wait_until(check: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def rows(app: Any) -> list[tuple[str, str | None]]:
    with app.app_context():
        found = db.session.execute(select(Delivery.state, Delivery.claimed_by)).all()
        db.session.commit()
        return sorted(found, key=str)


def report(app: Any, reporter_id: int, hand_off: HandOff) -> list[HandedBatch]:
    """A tip stored through the service in a request of a process that offers ``hand_off``;
    the batches its commit would hand over are taken away (the process dies first)."""
    with app.test_request_context():
        db.session.info[HAND_OFF] = hand_off
        reporter = db.session.get(User, reporter_id)
        tips.report_tip(
            reporter=reporter, category="burglary", description="Inbrott", lat=SPOT[0], lon=SPOT[1]
        )
        taken = db.session.info.pop(BATCHES)
        db.session.commit()
        return taken


@in_thread_mode
def test_a_tips_pushes_go_out_without_a_claim(app, sink, street, post_tip):  # noqa: F811
    sink.delay(0.3)  # the rows are still out when the 201 has come
    runner = app.extensions[EXTENSION]
    with counted_statements(app) as statements:
        answer = post_tip(street["reporter"], "burglary")
        assert answer["alert"] is not None
        # Written leased to this process's dispatcher thread, under its name.
        assert rows(app) == [("pending", runner.hand_off.name)] * 2
        wait_until(lambda: all(sink.tray(token) for token in NEIGHBOURS))
        wait_until(lambda: rows(app) == [("sent", None)] * 2)
    # One statement wrote them leased; no claim returned them (a claim lists its columns).
    inserted = [s for s in statements if s.startswith("INSERT INTO deliveries")]
    assert len(inserted) == 1
    assert "claimed_by" in inserted[0]
    assert [len(sink.tray(token)) for token in NEIGHBOURS] == [1, 1]
    assert sink.tray("far-phone") == []
    assert sink.tray("reporter-phone") == []


def test_without_a_dispatcher_thread_rows_are_written_for_any_dispatcher(
    app,
    sink,
    dispatcher,
    street,  # noqa: F811
    post_tip,
):
    """RQ workers or a push worker elsewhere: the request leases nothing (and enqueues, or
    leaves the rows to a sweep, as before)."""
    post_tip(street["reporter"], "burglary")
    assert rows(app) == [("pending", None)] * 2
    send_all(app, dispatcher)
    assert [len(sink.tray(token)) for token in NEIGHBOURS] == [1, 1]


def test_rows_of_a_process_that_died_are_sent_once_its_lease_runs_out(
    app,
    sink,
    dispatcher,
    street,  # noqa: F811
):
    dead = HandOff(lease_s=0.5, limit=500)  # a process that dies right after its commit
    assert len(report(app, street["reporter"].id, dead)) == 1
    assert rows(app) == [("pending", dead.name)] * 2
    with app.app_context():
        assert dispatcher.run_until_idle() == 0  # leased: not due for anyone else
    assert sink.tray("near_a-phone") == []
    time.sleep(0.6)
    send_all(app, dispatcher)
    assert [len(sink.tray(token)) for token in NEIGHBOURS] == [1, 1]
    assert rows(app) == [("sent", None)] * 2


def test_only_one_batch_of_an_alert_is_handed_over(
    app,
    sink,
    dispatcher,
    street,  # noqa: F811
):
    """The rest of a large alert is claimed in batches as before (here: batches of one)."""
    one = HandOff(lease_s=0.5, limit=1)
    (batch,) = report(app, street["reporter"].id, one)
    assert len(batch.claimed) == 1
    assert {by for _, by in rows(app)} == {None, one.name}
    with app.app_context():
        assert dispatcher.run_until_idle() == 1  # the other row, at once


def test_a_stopped_dispatcher_releases_what_it_was_handed_and_did_not_start(
    app,
    sink,
    street,  # noqa: F811
):
    """A process asked to stop (SIGTERM) before its dispatcher took a request's rows: they
    go back at once, for another dispatcher, none twice."""
    runner = app.extensions[EXTENSION]
    with app.app_context():
        stopping = dispatcher_for(app, runner.sender, stop=threading.Event())
        stopping.handed_off = HandOff(lease_s=60, limit=500)
        stopping.name = stopping.handed_off.name
        stopping.handed_off.put(report(app, street["reporter"].id, stopping.handed_off))
        stopping.stop.set()
        stopping.settle_handed_off()  # what its thread does as it ends
        assert rows(app) == [("pending", None)] * 2  # released, not left for 60 s
        assert sink.tray("near_a-phone") == []
        other = dispatcher_for(app, runner.sender)
        send_all(app, other)
    assert [len(sink.tray(token)) for token in NEIGHBOURS] == [1, 1]


def test_a_rolled_back_transaction_hands_nothing_over(app, street):  # noqa: F811
    offered = HandOff(lease_s=60, limit=500)
    with app.test_request_context():
        db.session.info[HAND_OFF] = offered
        reporter = db.session.get(User, street["reporter"].id)
        tips.report_tip(
            reporter=reporter, category="burglary", description="Inbrott", lat=SPOT[0], lon=SPOT[1]
        )
        assert db.session.info[BATCHES]
        db.session.rollback()
        assert BATCHES not in db.session.info
    assert offered.take_all() == []
    assert rows(app) == []


@in_thread_mode
def test_handed_off_rows_and_a_second_dispatcher_send_each_push_once(
    app,
    sink,
    dispatcher,
    street,  # noqa: F811
    post_tip,
):
    """Another dispatcher claiming all along (a push worker beside the web workers) takes
    none of the rows handed to the thread, and the thread none of its."""
    sink.delay(0.05)
    for n in range(4):
        post_tip(street["reporter"], "burglary", at=offset(SPOT, 5, 90 * n))
        with app.app_context():
            dispatcher.run_until_idle()
    send_all(app, dispatcher)
    wait_until(lambda: rows(app) == [("sent", None)] * 8)
    assert [len(sink.tray(token)) for token in NEIGHBOURS] == [4, 4]


@pytest.mark.parametrize("app_config", [("thread", "aiohttp")], indirect=True, ids=str)
def test_a_hand_off_that_cannot_start_is_started_by_the_dispatcher(
    app,
    sink,
    street,  # noqa: F811
    post_tip,
    monkeypatch,
):
    """The request has committed when it hands over: a failure then is logged, not a 500,
    and the dispatcher thread starts the batch itself."""

    def refuse(*args: Any) -> None:
        raise RuntimeError("the loop refuses work")

    monkeypatch.setattr("grannsamverkan.notify.runner.start_pushes", refuse)
    post_tip(street["reporter"], "burglary")  # 201
    wait_until(lambda: rows(app) == [("sent", None)] * 2)
    assert [len(sink.tray(token)) for token in NEIGHBOURS] == [1, 1]
