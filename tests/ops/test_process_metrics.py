"""Metrics of real processes: two gunicorn workers count into PROMETHEUS_MULTIPROC_DIR and a
scrape served by either adds both up; an RQ push worker serves its own counters on a port."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from grannsamverkan.notify.worker import PUSH_WORKER_APP
from tests.e2e.test_server_push import REPO, free_port
from tests.metrics_scrape import parse, value
from tests.tips.conftest import SPOT, offset


def _healthz_count(base: str) -> float:
    text = requests.get(f"{base}/metrics", timeout=5).text
    return value(parse(text), "gsv_http_requests_total", route="/healthz", method="GET",
                 status="200")  # fmt: skip


def _hit(base: str) -> None:
    # A new connection each time, so the kernel hands them to either worker.
    assert requests.get(f"{base}/healthz", timeout=5, headers={"Connection": "close"}).ok


def test_counts_add_up_across_two_worker_processes(gunicorn):
    base, metrics_dir = gunicorn
    # The start-up probes (a slow first answer may have been asked for twice).
    probes = _healthz_count(base)
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        # Until both workers have served a request (each has written its own counter file).
        while len(list(metrics_dir.glob("counter_*.db"))) < 2 and sent < 2000:
            list(pool.map(_hit, [base] * 40))
            sent += 40
    assert len(list(metrics_dir.glob("counter_*.db"))) == 2, "one worker served everything"
    # Each scrape, whichever worker answers it, counts every worker's requests.
    counts = {_healthz_count(base) for _ in range(10)}
    assert counts == {probes + sent}


def test_a_push_worker_serves_its_metrics_on_a_port_of_its_own():
    from grannsamverkan.metrics import DELIVERIES
    from grannsamverkan.notify.worker import serve_metrics

    DELIVERIES.labels(channel="push", outcome="sent", reason="none").inc()
    server = serve_metrics(free_port())
    try:
        host, port = server.server_address[:2]
        samples = parse(requests.get(f"http://{host}:{port}/", timeout=5).text)
    finally:
        server.shutdown()
        server.server_close()
    assert (
        value(samples, "gsv_deliveries_total", channel="push", outcome="sent", reason="none") >= 1
    )


@pytest.fixture
def rq_queue() -> Iterator[str]:
    from redis import Redis

    name = f"gsv-metrics-{uuid.uuid4().hex[:8]}"
    yield name
    connection = Redis.from_url("redis://127.0.0.1:6379/0")
    for key in connection.scan_iter(f"rq:*{name}*"):
        connection.delete(key)


def _sent_by_worker(port: int) -> float:
    try:
        text = requests.get(f"http://127.0.0.1:{port}/", timeout=2).text
    except requests.RequestException:
        return -1
    return value(parse(text), "gsv_deliveries_total", channel="push", outcome="sent",
                 reason="none")  # fmt: skip


def test_an_rq_push_worker_counts_what_it_sent(
    backend, database_urls, sink, rq_queue, make_user, make_area, add_member, add_device,
    post_tip, tmp_path,
):  # fmt: skip
    area = make_area(center=SPOT)
    reporter = make_user(home=SPOT)
    add_member(reporter, area)
    for n in range(3):
        neighbour = make_user(home=offset(SPOT, 100 + 50 * n))
        add_member(neighbour, area)
        add_device(neighbour, f"phone-{n}")
    post_tip(reporter, "burglary")  # GSV_DISPATCHER is off here: the rows wait for the worker
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
    env.update(
        GSV_DATABASE_URL=database_urls[backend], GSV_SECRET_KEY="push-metrics-secret",
        GSV_REDIS_URL="redis://127.0.0.1:6379/0", GSV_RQ_QUEUE=rq_queue,
        GSV_PUSH_BACKEND="fcm", GSV_FCM_ENDPOINT=sink.base_url,
        GSV_FIREBASE_PROJECT_ID="gsv-test", PYTHONWARNINGS="ignore::DeprecationWarning",
    )  # fmt: skip
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", PUSH_WORKER_APP, "push", "worker",
         "--metrics-port", str(port)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _sent_by_worker(port) < 3:
            time.sleep(0.2)
        assert _sent_by_worker(port) == 3, (tmp_path / "worker.log").read_text()
        assert sink.message_count() == 3
    finally:
        worker.terminate()
        worker.wait(30)
        log.close()
