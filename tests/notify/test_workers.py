"""Dispatchers as real processes: killed mid fan-out, and as RQ workers on the real Redis."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from sqlalchemy import func, insert, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, Device, Membership, User
from grannsamverkan.notify.worker import PUSH_WORKER_APP
from grannsamverkan.services.privacy import coarse_count
from tests.notify.conftest import PROJECT
from tests.tips.conftest import SPOT, offset

REPO = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("GSV_TEST_REDIS", "redis://127.0.0.1:6379/0")


def seed_neighbours(app: Any, area_id: int, count: int) -> list[str]:
    """``count`` active members around SPOT, each with one phone; returns their tokens."""
    with app.app_context():
        first = db.session.scalar(select(func.coalesce(func.max(User.id), 0))) + 1
        homes = [offset(SPOT, 5 + (i % 900), (i * 7) % 360) for i in range(count)]
        db.session.execute(
            insert(User),
            [
                {
                    "id": first + i,
                    "email": f"n{first + i}@example.se",
                    "password_hash": "-",
                    "name": f"Neighbour {i}",
                    "home_lat": lat,
                    "home_lon": lon,
                    "municipality_codes": [],
                }
                for i, (lat, lon) in enumerate(homes)
            ],
        )
        ids = range(first, first + count)
        db.session.execute(
            insert(Membership),
            [{"area_id": area_id, "user_id": uid, "status": "active"} for uid in ids],
        )
        tokens = [f"phone-{uid}" for uid in ids]
        db.session.execute(
            insert(Device),
            [
                {"user_id": uid, "token": t, "platform": "android"}
                for uid, t in zip(ids, tokens, strict=True)
            ],
        )
        if db.engine.dialect.name == "postgresql":  # explicit ids leave the sequence behind
            db.session.execute(
                db.text("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
            )
        db.session.commit()
    return tokens


def worker_env(app: Any, sink: Any, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
    env.update(
        GSV_DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        GSV_SECRET_KEY="test-secret",
        GSV_PUSH_BACKEND="fcm",
        GSV_FCM_ENDPOINT=sink.base_url,
        GSV_FIREBASE_PROJECT_ID=PROJECT,
        # Generous: a request that times out is retried, and the phone would get it twice
        # (correct at-least-once behaviour, but not what these tests count).
        GSV_FCM_TIMEOUT_S="30",
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    env.update(extra)
    return env


def start_worker(env: dict[str, str], log: Path, *args: str) -> subprocess.Popen[bytes]:
    """``flask push worker`` as an operator starts it; its output goes to ``log``."""
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", PUSH_WORKER_APP, "push", "worker", *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def count_sent(app: Any) -> int:
    with app.app_context():
        sent = db.session.scalar(select(func.count()).where(Delivery.state == "sent"))
        db.session.commit()
        return sent or 0


def wait_until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def fan_out(app, make_user, make_area, add_member, post_tip):
    def make(count: int) -> tuple[list[str], int]:
        area = make_area(center=SPOT)
        reporter = make_user(home=SPOT)
        add_member(reporter, area)
        tokens = seed_neighbours(app, area.id, count)
        answer = post_tip(reporter, "burglary")
        assert answer["alert"]["recipient_count"] == coarse_count(count)
        return tokens, answer["alert"]["id"]

    return make


def test_sigkill_mid_fan_out_loses_nothing(app, sink, fan_out, capsys, tmp_path):
    # 12 batches of 50: the kill comes after 3 and leaves 9 to the second worker. (The size
    # was 2,000 in 20 batches: the same claims, leases and kill, at 3x the suite's time.)
    batch, total = 50, 600
    tokens, alert_id = fan_out(total)
    sink.delay(0.25)  # every FCM request takes 250 ms, so the fan-out takes seconds
    # The lease must outlast a batch's time in flight, which with several batches in flight
    # includes waiting behind the one before it (on a loaded machine, a cold first connection
    # took 2.7 s): a shorter one lets a worker re-claim rows it is still sending, duplicates
    # the kill does not explain. 5 s keeps the second worker's wait for the leases short.
    env = worker_env(app, sink, GSV_PUSH_BATCH_SIZE=str(batch), GSV_PUSH_LEASE_S="5")
    window = in_flight_window(env)
    log = tmp_path / "workers.log"
    first = start_worker(env, log)
    try:
        wait_until(
            lambda: count_sent(app) >= 3 * batch or first.poll() is not None,
            120,
            "the first worker to send three batches",
        )
        assert first.poll() is None, log.read_text()
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    sent_at_kill = count_sent(app)
    assert sent_at_kill < total, "the worker finished before it was killed: nothing was tested"
    sink.delay(0)  # the slow answers were to catch the worker mid fan-out; the rest may be quick

    second = start_worker(env, log, "--burst")
    assert second.wait(180) == 0, log.read_text()

    with app.app_context():
        states = dict(
            db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
        )
    assert states == {"sent": total}
    per_phone = [len(sink.tray(token)) for token in tokens]
    assert min(per_phone) == 1, "a phone got nothing: a delivery was lost"
    duplicates = sum(per_phone) - len(tokens)
    assert all(m["data"]["alert_id"] == str(alert_id) for t in tokens[:50] for m in sink.tray(t))
    # A killed dispatcher holds at most its window of batches (outbox.py claims the next only
    # once the oldest is recorded): only those rows are leased, so only they can have gone
    # out and then be sent again after the lease. More would mean rows claimed unrecorded.
    bound = batch * window
    assert duplicates <= bound, f"{duplicates} duplicates: more than {window} batches resent"
    with capsys.disabled():
        print(
            f"\n[kill test, {app.config['SQLALCHEMY_DATABASE_URI'].split(':')[0]}] "
            f"killed at {sent_at_kill}/{total} sent; 0 lost; {duplicates} duplicates "
            f"(bound: {window} batches in flight of {batch})"
        )


def in_flight_window(env: dict[str, str]) -> int:
    """The batches a worker started with ``env`` keeps in flight: its transport's and its
    GSV_PUSH_IN_FLIGHT's (the worker's own Config, as it reads them)."""
    from grannsamverkan.config import Settings
    from grannsamverkan.notify.backends import make_sender
    from grannsamverkan.notify.in_flight import window_of

    with pytest.MonkeyPatch.context() as patch:
        for name in [n for n in os.environ if n.startswith("GSV_") and n not in env]:
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        config = Settings().as_flask_config()
    sender = make_sender(config)
    try:
        return window_of(config["GSV_PUSH_IN_FLIGHT"], sender)
    finally:
        sender.close()


@pytest.fixture
def rq_queue() -> Iterator[str]:
    name = f"gsv-test-{uuid.uuid4().hex[:8]}"
    yield name
    redis = Redis.from_url(REDIS_URL)
    for key in redis.scan_iter(f"rq:*{name}*"):
        redis.delete(key)


def test_two_rq_workers_on_real_redis_send_each_row_once(app, sink, fan_out, rq_queue, tmp_path):
    # Batches of 100 and 300 rows: three full claims, the first of which asks for a helper,
    # as 1,200 rows in the default batches of 500 did at 4x the time.
    env = worker_env(
        app, sink, GSV_REDIS_URL=REDIS_URL, GSV_RQ_QUEUE=rq_queue, GSV_PUSH_BATCH_SIZE="100"
    )
    log = tmp_path / "workers.log"
    workers = [start_worker(env, log) for _ in range(2)]
    try:
        # The API enqueues a job after the commit that wrote the deliveries.
        app.config.update(GSV_DISPATCHER="rq", GSV_REDIS_URL=REDIS_URL, GSV_RQ_QUEUE=rq_queue)
        from grannsamverkan.notify.runner import EXTENSION

        app.extensions[EXTENSION].mode = "rq"
        tokens, alert_id = fan_out(300)
        wait_until(lambda: count_sent(app) == 300, 120, "the RQ workers to send 300")
        for worker in workers:
            assert worker.poll() is None, log.read_text()
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            try:
                worker.wait(15)
            except subprocess.TimeoutExpired:
                worker.kill()
    assert [len(sink.tray(t)) for t in tokens] == [1] * 300
    with app.app_context():
        claimers = db.session.scalar(select(func.count()).where(Delivery.state != "sent"))
    assert claimers == 0


@pytest.mark.parametrize("seconds_before_a_minute", [30.5, 4.5])
def test_rq_sweep_is_scheduled_once_per_moment(app, rq_queue, monkeypatch, seconds_before_a_minute):
    """With nothing pending a worker still comes back (reminders, crashed peers), and many
    jobs asking for the same moment leave one scheduled job. The clock stands still while
    they ask (on a loaded machine the calls could otherwise straddle a second); at 4.5 s
    before a whole minute the row due in 5 s and the sweep share a moment, not a job."""
    from rq import Queue
    from rq.registry import ScheduledJobRegistry

    from grannsamverkan.notify import jobs
    from grannsamverkan.notify.jobs import SWEEP_S, schedule_next_run

    app.config.update(GSV_REDIS_URL=REDIS_URL, GSV_RQ_QUEUE=rq_queue)
    queue = Queue(rq_queue, connection=Redis.from_url(REDIS_URL))
    registry = ScheduledJobRegistry(queue=queue)
    before = time.time()
    now = (before // SWEEP_S + 1) * SWEEP_S - seconds_before_a_minute
    monkeypatch.setattr(jobs, "time", type("FrozenClock", (), {"time": staticmethod(lambda: now)}))
    for _ in range(3):
        schedule_next_run(app, None)
    assert len(registry.get_job_ids()) == 1
    for _ in range(3):
        schedule_next_run(app, 5.0)
    assert len(registry.get_job_ids()) == 2
    runs_at = sorted(
        registry.get_scheduled_time(job_id).timestamp() for job_id in registry.get_job_ids()
    )
    assert before + 4 <= runs_at[0] <= time.time() + 6
    assert before + SWEEP_S - 1 <= runs_at[1] <= time.time() + SWEEP_S + 1


def test_a_worker_freezes_its_start_up_heap():
    # The objects alive at start-up are left out of later collections, and the youngest
    # generation waits for more allocations than Python's 700 (what a broadcast's requests
    # made the worker spend half its CPU on).
    from grannsamverkan.notify import worker

    thresholds = gc.get_threshold()
    try:
        worker.freeze_start_up_heap()
        assert gc.get_freeze_count() > 10_000
        assert gc.get_threshold() == (worker.GC_GEN0_THRESHOLD, *thresholds[1:])
        assert worker.GC_GEN0_THRESHOLD > thresholds[0]
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_a_wrong_push_backend_stops_the_rq_worker_at_start_up(app, sink, rq_queue, tmp_path):
    # The sender is made before the worker starts (and frozen with the rest of the start-up
    # heap), so a wrong setting stops it at once, as a wrong mail or SMS setting does; it
    # used to fail each RQ job instead, the worker running on.
    env = worker_env(
        app, sink, GSV_REDIS_URL=REDIS_URL, GSV_RQ_QUEUE=rq_queue, GSV_PUSH_BACKEND="pigeon"
    )
    log = tmp_path / "worker.log"
    process = start_worker(env, log)
    try:
        assert process.wait(30) != 0
    finally:
        if process.poll() is None:
            process.kill()
    assert "GSV_PUSH_BACKEND must be 'log' or 'fcm'" in log.read_text()
