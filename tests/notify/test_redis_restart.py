"""Redis restarted empty: RQ workers find the due outbox rows again by themselves.

A Redis of the test's own (a redis-server on a free loopback port) is killed and started again
empty, while a real ``flask push worker`` keeps running. The deliveries written meanwhile
(their wake-up job could not be enqueued) are sent without any new tip or job from the API.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from grannsamverkan.notify.runner import EXTENSION
from tests.notify.test_workers import count_sent, start_worker, wait_until, worker_env

LEASE_S = 6
# After Redis is back: the worker's reconnect backoff (1, 2, 4 s), then at most one guard
# interval (LEASE_S / 2) and the sending itself; a loaded machine gets the rest of the lease.
WITHIN_S = LEASE_S + 10

pytestmark = pytest.mark.skipif(shutil.which("redis-server") is None, reason="no redis-server")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, without persistence: a restart starts empty."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.dir = tmp_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self.answers, 20, "redis-server to answer")

    def answers(self) -> bool:
        try:
            return bool(Redis.from_url(self.url, socket_timeout=1).ping())
        except Exception:  # noqa: BLE001 - not up yet
            return False

    def kill(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.kill()


def test_due_rows_are_sent_after_redis_restarts_empty(
    app, sink, make_user, make_area, add_member, add_device, post_tip, own_redis, tmp_path
):
    queue = "gsv-restart"
    env = worker_env(
        app, sink, GSV_REDIS_URL=own_redis.url, GSV_RQ_QUEUE=queue, GSV_PUSH_LEASE_S=str(LEASE_S)
    )
    log = tmp_path / "worker.log"
    worker = start_worker(env, log)
    try:
        # The worker's first job (the sweep at start) has run once it scheduled the next.
        scheduled = ScheduledJobRegistry(
            queue=Queue(queue, connection=Redis.from_url(own_redis.url))
        )
        wait_until(
            lambda: scheduled.count > 0 or worker.poll() is not None,
            60,
            "the worker's first sweep to finish",
        )
        assert worker.poll() is None, log.read_text()

        area = make_area()
        reporter = make_user(home=(57.6663, 15.8557))
        add_member(reporter, area)
        neighbours = [make_user(home=(57.6665, 15.8560)) for _ in range(3)]
        for n, neighbour in enumerate(neighbours):
            add_member(neighbour, area)
            add_device(neighbour, f"restart-phone-{n}")

        own_redis.kill()
        # The API is in RQ mode: its wake-up job after the commit is lost with Redis.
        app.config.update(GSV_DISPATCHER="rq", GSV_REDIS_URL=own_redis.url, GSV_RQ_QUEUE=queue)
        app.extensions[EXTENSION].mode = "rq"
        post_tip(reporter, "burglary")
        assert count_sent(app) == 0

        own_redis.start()  # empty: no queued, scheduled or started job survives
        back = time.monotonic()
        wait_until(
            lambda: count_sent(app) == 3, WITHIN_S + 20, "the worker to send the pending rows"
        )
        took = time.monotonic() - back
        assert worker.poll() is None, log.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(15)
        except subprocess.TimeoutExpired:
            worker.kill()
    print("LOG", log.read_text()[-3000:], took)
    assert took <= WITHIN_S, f"recovered only after {took:.1f} s"
    assert [len(sink.tray(f"restart-phone-{n}")) for n in range(3)] == [1, 1, 1]
