"""Stopping dispatchers gracefully: a push worker (polling or RQ) or a gunicorn worker told
to stop mid fan-out finishes the multicast in flight and hands back the rest of its batch,
so another dispatcher takes it at once. Counted on the push sink's trays: no phone gets a
push twice, none gets none, and nothing waits for the (long) lease."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import func, select, update

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, User
from tests.fakes.nominatim import KnownPlace, nominatim  # noqa: F401 - a fixture
from tests.notify.test_workers import (  # noqa: F401 - fixtures
    REDIS_URL,
    REPO,
    count_sent,
    rq_queue,
    seed_neighbours,
    start_worker,
    wait_until,
    worker_env,
)
from tests.tips.conftest import SPOT

SPOT_JSON = {"lat": SPOT[0], "lon": SPOT[1]}
# Longer than any of these tests: a row that waited for its lease would fail them.
LEASE_S = "300"


def leased(app: Any) -> int:
    """Pending rows some dispatcher still holds."""
    with app.app_context():
        held = db.session.scalar(
            select(func.count()).where(
                Delivery.state == "pending", Delivery.claimed_by.is_not(None)
            )
        )
        db.session.commit()
        return held or 0


def every_phone_once(app: Any, sink: Any, tokens: list[str]) -> tuple[int, int]:
    """(lost, duplicates) over the trays; the rows all sent."""
    with app.app_context():
        states = dict(
            db.session.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
        )
        db.session.commit()
    assert states == {"sent": len(tokens)}
    per_phone = [len(sink.tray(token)) for token in tokens]
    lost = per_phone.count(0)
    return lost, sum(per_phone) - len(tokens) + lost


def two_languages(app: Any, tokens: list[str]) -> None:
    """Every other neighbour reads English: a batch of one alert is then two multicasts, and
    a stop between them leaves rows to hand back."""
    with app.app_context():
        ids = [int(token.removeprefix("phone-")) for token in tokens[::2]]
        db.session.execute(update(User).where(User.id.in_(ids)).values(locale="en"))
        db.session.commit()


@pytest.fixture
def bilingual_fan_out(app, make_user, make_area, add_member, post_tip):
    def make(count: int) -> tuple[list[str], int]:
        area = make_area(center=SPOT)
        reporter = make_user(home=SPOT)
        add_member(reporter, area)
        tokens = seed_neighbours(app, area.id, count)
        two_languages(app, tokens)
        answer = post_tip(reporter, "burglary")
        return tokens, answer["alert"]["id"]

    return make


# --- in process: the dispatcher's own behaviour ------------------------------------------


def test_a_stopped_dispatcher_hands_back_what_it_did_not_send(
    app, sink, dispatcher, bilingual_fan_out, monkeypatch
):
    tokens, _ = bilingual_fan_out(40)
    calls = []
    send = dispatcher.sender.send_on_loop  # the default transport's, on its loop
    dispatcher.stop = threading.Event()  # its own, not the process's shared one

    async def send_then_stop(message):
        calls.append(len(message.tokens))
        results = await send(message)
        dispatcher.stop.set()  # SIGTERM arrives during the first multicast
        return results

    monkeypatch.setattr(dispatcher.sender, "send_on_loop", send_then_stop)
    dispatcher.lease_s = float(LEASE_S)
    with app.app_context():
        assert dispatcher.run_until_idle() == 40, "one batch claimed, then no other"
    assert calls == [20], "the second multicast of the batch was not sent"
    assert dispatcher.released == 20
    assert leased(app) == 0, "the unsent rows are free at once, not leased"
    with app.app_context():
        pending = db.session.scalar(select(func.count()).where(Delivery.state == "pending"))
        db.session.commit()
    assert pending == 20

    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    monkeypatch.undo()
    with app.app_context():
        other = dispatcher_for(app, app.extensions[EXTENSION].sender)
        assert other.run_until_idle() == 20, "another dispatcher takes them without waiting"
    assert every_phone_once(app, sink, tokens) == (0, 0)


# --- several batches in flight (the aiohttp transport) ------------------------------------


@pytest.fixture
def pipelined(app, sink):
    """A dispatcher on the aiohttp transport, batches of 10, up to 4 of them in flight; the
    sink's sends counted as they overlap."""
    from grannsamverkan.notify.fcm_aiohttp import AiohttpFcmSender
    from grannsamverkan.notify.runner import dispatcher_for
    from tests.conftest import PUSH_PROJECT

    with AiohttpFcmSender(PUSH_PROJECT, endpoint=sink.base_url, timeout_s=5) as sender:
        dispatcher = dispatcher_for(app, sender, stop=threading.Event())
        dispatcher.batch_size, dispatcher.in_flight = 10, 4
        dispatcher.lease = timedelta(seconds=float(LEASE_S))
        yield dispatcher


def count_overlap(dispatcher, monkeypatch, after_first=None) -> dict[str, Any]:
    """Wrap the sender's multicasts (sent on its loop): counts, the most at once, sizes."""
    seen: dict[str, Any] = {"now": 0, "most": 0, "sizes": []}
    lock = threading.Lock()
    send = dispatcher.sender.send_on_loop

    async def counting(message):
        with lock:
            seen["now"] += 1
            seen["most"] = max(seen["most"], seen["now"])
            seen["sizes"].append(len(message.tokens))
        try:
            return await send(message)
        finally:
            with lock:
                seen["now"] -= 1
            if after_first is not None:
                after_first()

    monkeypatch.setattr(dispatcher.sender, "send_on_loop", counting)
    return seen


def test_batches_in_flight_overlap_and_each_row_is_sent_once(
    app, sink, pipelined, bilingual_fan_out, monkeypatch
):
    tokens, _ = bilingual_fan_out(80)
    sink.delay(0.3)  # each multicast waits: the next batches are claimed meanwhile
    seen = count_overlap(pipelined, monkeypatch)
    with app.app_context():
        assert pipelined.run_until_idle() == 80
    assert seen["most"] > 1, "batches were sent one after another"
    assert seen["most"] <= 4, "more batches in flight than the window"
    assert sorted(seen["sizes"]) == [5] * 16  # 8 batches, each two languages
    assert leased(app) == 0
    assert every_phone_once(app, sink, tokens) == (0, 0)


def test_batches_go_from_the_dispatcher_straight_to_the_transports_loop(
    app, sink, pipelined, bilingual_fan_out, monkeypatch
):
    """No thread between the dispatcher and the aiohttp loop: a tip's first push leaves
    without waiting for a pool's thread to start and pass it on (BENCHMARKS.md, "Tip →
    first push (issue 14, third pass)")."""
    tokens, _ = bilingual_fan_out(20)
    threads_at_first_push: list[set[str]] = []
    handle_send = sink._handle_send

    def noting_threads(*args: Any) -> Any:
        if not threads_at_first_push:
            threads_at_first_push.append({t.name for t in threading.enumerate()})
        return handle_send(*args)

    monkeypatch.setattr(sink, "_handle_send", noting_threads)
    with app.app_context():
        assert pipelined.run_until_idle() == 20
    (names,) = threads_at_first_push
    assert "fcm-aiohttp" in names
    assert not [name for name in names if name.startswith("gsv-push-send")], names
    assert every_phone_once(app, sink, tokens) == (0, 0)


def test_a_stop_with_batches_in_flight_finishes_them_and_hands_back_the_rest(
    app, sink, pipelined, bilingual_fan_out, monkeypatch
):
    tokens, _ = bilingual_fan_out(80)
    sink.delay(0.5)  # the four batches' first multicasts are all under way at the stop
    seen = count_overlap(pipelined, monkeypatch, after_first=pipelined.stop.set)
    with app.app_context():
        claimed = pipelined.run_until_idle()
    sent = sum(seen["sizes"])
    assert claimed == 40, "four batches in flight, then no other claim"
    assert 5 <= sent < claimed, "each batch's second multicast stays unsent"
    assert pipelined.released == claimed - sent
    assert leased(app) == 0, "the unsent rows are free at once, not leased"

    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    monkeypatch.undo()
    with app.app_context():
        other = dispatcher_for(app, app.extensions[EXTENSION].sender)
        assert other.run_until_idle() == 80 - sent
    assert every_phone_once(app, sink, tokens) == (0, 0)


def test_a_batch_the_transport_refuses_is_handed_back_not_left_leased(
    app, sink, pipelined, bilingual_fan_out, monkeypatch
):
    """A dispatcher whose transport's loop refuses new work (at interpreter exit a new loop
    thread cannot start) cannot start its next batch: that batch goes back at once; the
    batches in flight are recorded."""
    tokens, _ = bilingual_fan_out(80)
    sink.delay(0.3)
    refusing = threading.Event()
    running_loop = pipelined.sender._running_loop

    def refuse_once_shut():
        if refusing.is_set():
            raise RuntimeError("can't create new thread at interpreter shutdown")
        return running_loop()

    monkeypatch.setattr(pipelined.sender, "_running_loop", refuse_once_shut)
    seen = count_overlap(pipelined, monkeypatch, after_first=refusing.set)
    with app.app_context(), pytest.raises(RuntimeError, match="at interpreter shutdown"):
        pipelined.run_until_idle()
    assert sum(seen["sizes"]) == 40, "the four batches in flight were sent"
    assert pipelined.released == 10, "the refused batch was handed back whole"
    assert leased(app) == 0, "the refused batch was left leased"

    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    monkeypatch.undo()
    with app.app_context():
        other = dispatcher_for(app, app.extensions[EXTENSION].sender)
        assert other.run_until_idle() == 40
    assert every_phone_once(app, sink, tokens) == (0, 0)


# --- real processes ------------------------------------------------------------------------


def test_sigterm_to_a_polling_worker_mid_fan_out(app, sink, bilingual_fan_out, tmp_path, capsys):
    batch, total = 50, 600
    tokens, _ = bilingual_fan_out(total)
    sink.delay(0.25)  # every FCM request takes 250 ms: the fan-out takes seconds
    env = worker_env(app, sink, GSV_PUSH_BATCH_SIZE=str(batch), GSV_PUSH_LEASE_S=LEASE_S)
    log = tmp_path / "workers.log"
    first = start_worker(env, log)
    try:
        wait_until(
            lambda: count_sent(app) >= 2 * batch or first.poll() is not None,
            120,
            "the first worker to send two batches",
        )
        assert first.poll() is None, log.read_text()
    finally:
        first.send_signal(signal.SIGTERM)
        stopped_in = _wait(first, 30, log)
    assert first.returncode == 0, log.read_text()
    sent_at_stop = count_sent(app)
    assert sent_at_stop < total, "the worker finished before it was stopped: nothing tested"
    assert leased(app) == 0, "a stopped worker leaves no row leased"
    sink.delay(0)  # the slow answers were to catch the worker mid fan-out; the rest may be quick

    started = time.monotonic()
    second = start_worker(env, log, "--burst")
    assert second.wait(120) == 0, log.read_text()
    took_over_in = time.monotonic() - started
    assert took_over_in < float(LEASE_S) / 5, "the second worker waited for a lease"
    lost, duplicates = every_phone_once(app, sink, tokens)
    assert (lost, duplicates) == (0, 0)
    with capsys.disabled():
        print(
            f"\n[SIGTERM, polling worker, {_backend(app)}] stopped in {stopped_in:.1f} s at "
            f"{sent_at_stop}/{total} sent; the next worker sent the rest in "
            f"{took_over_in:.1f} s; {lost} lost, {duplicates} duplicates"
        )


# What a gunicorn worker does on SIGTERM, without gunicorn: the signal ends the main thread,
# and the interpreter exits with the app's dispatcher thread mid fan-out.
EXIT_ON_SIGTERM = """
import signal, threading
from grannsamverkan import create_app

app = create_app()
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
app.extensions["gsv_push"].wake()
stop.wait(120)
"""


def test_a_process_exiting_mid_fan_out_stops_its_dispatcher_thread_first(
    app, sink, bilingual_fan_out, tmp_path
):
    """The dispatcher thread (two batches in flight on aiohttp) is stopped before the
    interpreter shuts its thread pools: the exit is a stop, not a failed pass, and only the
    unsent rest goes back."""
    batch, total = 50, 600
    tokens, _ = bilingual_fan_out(total)
    sink.delay(0.5)
    env = worker_env(
        app,
        sink,
        GSV_DISPATCHER="thread",
        GSV_PUSH_BATCH_SIZE=str(batch),
        GSV_PUSH_LEASE_S=LEASE_S,
        GSV_FCM_TRANSPORT="aiohttp",
        GSV_PUSH_IN_FLIGHT="2",
    )
    log = tmp_path / "exit.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", EXIT_ON_SIGTERM],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        wait_until(
            lambda: count_sent(app) >= batch or process.poll() is not None,
            60,
            "the fan-out to be under way",
        )
        assert process.poll() is None, log.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        _wait(process, 60, log)
    output = log.read_text()
    assert process.returncode == 0, output
    assert "push dispatch failed" not in output, output
    assert leased(app) == 0, "the dispatcher thread left rows leased"
    assert count_sent(app) < total, "the fan-out ended before the exit: nothing tested"
    sink.delay(0)  # the slow answers were to catch the exit mid fan-out; the rest may be quick

    worker = start_worker(worker_env(app, sink, GSV_PUSH_LEASE_S=LEASE_S), log, "--burst")
    assert worker.wait(120) == 0, log.read_text()
    assert every_phone_once(app, sink, tokens) == (0, 0)


def test_sigterm_to_an_rq_worker_mid_fan_out(
    app,
    sink,
    bilingual_fan_out,
    rq_queue,  # noqa: F811 - the fixture
    tmp_path,
    capsys,
):
    batch, total = 50, 600
    env = worker_env(
        app,
        sink,
        GSV_REDIS_URL=REDIS_URL,
        GSV_RQ_QUEUE=rq_queue,
        GSV_PUSH_BATCH_SIZE=str(batch),
        GSV_PUSH_LEASE_S=LEASE_S,
    )
    log = tmp_path / "workers.log"
    first = start_worker(env, log)
    second = None
    try:
        app.config.update(GSV_DISPATCHER="rq", GSV_REDIS_URL=REDIS_URL, GSV_RQ_QUEUE=rq_queue)
        from grannsamverkan.notify.runner import EXTENSION

        app.extensions[EXTENSION].mode = "rq"
        sink.delay(0.25)
        tokens, _ = bilingual_fan_out(total)
        wait_until(
            lambda: count_sent(app) >= 2 * batch or first.poll() is not None,
            120,
            "the first RQ worker to send two batches",
        )
        assert first.poll() is None, log.read_text()
        first.send_signal(signal.SIGTERM)
        stopped_in = _wait(first, 30, log)
        assert first.returncode == 0, log.read_text()
        sent_at_stop = count_sent(app)
        assert sent_at_stop < total, "the worker finished before it was stopped"
        assert leased(app) == 0, "a stopped worker leaves no row leased"
        sink.delay(0)  # the slow answers were to catch the worker mid fan-out
        started = time.monotonic()
        second = start_worker(env, log)
        wait_until(lambda: count_sent(app) == total, 120, "the second RQ worker to send the rest")
        took_over_in = time.monotonic() - started
    finally:
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                _wait(worker, 15, log)
    assert took_over_in < float(LEASE_S) / 5
    lost, duplicates = every_phone_once(app, sink, tokens)
    assert (lost, duplicates) == (0, 0)
    with capsys.disabled():
        print(
            f"\n[SIGTERM, RQ worker, {_backend(app)}] stopped in {stopped_in:.1f} s at "
            f"{sent_at_stop}/{total} sent; the next worker sent the rest in "
            f"{took_over_in:.1f} s; {lost} lost, {duplicates} duplicates"
        )


def test_sigterm_to_gunicorn_finishes_the_request_and_releases_the_thread_dispatcher(
    app,
    sink,
    nominatim,  # noqa: F811 - the fixture
    make_user,
    make_area,
    add_member,
    tmp_path,
    capsys,  # noqa: F811
):
    """The request in flight (a tip whose address takes the geocoder 1.5 s) is answered; the
    worker's dispatcher thread, sending an earlier tip's fan-out, stops after its multicast
    in flight and hands back the rest; a push worker then sends exactly that rest."""
    batch, total = 50, 600
    area = make_area(center=SPOT)
    reporter = make_user(home=SPOT)
    add_member(reporter, area)
    tokens = seed_neighbours(app, area.id, total)
    two_languages(app, tokens)
    nominatim.add("Storgatan 1, Vimmerby", KnownPlace(*SPOT, "Storgatan 1, 598 30 Vimmerby"))
    nominatim.slow_seconds = 1.5
    nominatim.set_mode("slow")
    sink.delay(0.5)  # a multicast takes ~0.5 s: the fan-out takes 12 s
    port = _free_port()
    env = worker_env(
        app,
        sink,
        GSV_DISPATCHER="thread",
        GSV_PUSH_BATCH_SIZE=str(batch),
        GSV_PUSH_LEASE_S=LEASE_S,
        GSV_GEOCODER="nominatim",
        GSV_NOMINATIM_URL=nominatim.url,
        GSV_GEOCODER_TIMEOUT="10",
        GSV_PUBLIC_URL="http://127.0.0.1",
    )
    log = tmp_path / "gunicorn.log"
    with log.open("ab") as out:
        server = subprocess.Popen(
            [
                sys.executable, "-m", "gunicorn",
                "--bind", f"127.0.0.1:{port}",
                "--workers", "1",
                "--graceful-timeout", "30",
                "grannsamverkan:create_app()",
            ],
            cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT,
        )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _answers(base), 60, "gunicorn to answer")
        # A burglary: its fan-out starts in the worker's dispatcher thread.
        fan_out = requests.post(
            f"{base}/api/v1/tips",
            json={"category": "burglary", "description": "Inbrott", "location": dict(SPOT_JSON)},
            headers=reporter.headers,
            timeout=30,
        )
        assert fan_out.status_code == 201, fan_out.text
        wait_until(lambda: count_sent(app) >= batch // 2, 60, "the fan-out to be under way")
        # Then a request that takes 1.5 s (its address is geocoded) is in flight at SIGTERM.
        answer: dict[str, Any] = {}
        body = {
            "category": "traffic",  # alerts nobody: the trays count the burglary alone
            "traffic_kind": "speeding",
            "description": "Bilar kör för fort",
            "location": {"address": "Storgatan 1, Vimmerby"},
        }
        request = threading.Thread(
            target=lambda: answer.update(
                response=requests.post(
                    f"{base}/api/v1/tips", json=body, headers=reporter.headers, timeout=30
                )
            )
        )
        request.start()
        wait_until(
            lambda: nominatim.request_count >= 1 or not request.is_alive(),
            30,
            "the request to be in flight",
        )
        assert request.is_alive(), answer["response"].text
        server.send_signal(signal.SIGTERM)
        request.join(30)
        stopped_in = _wait(server, 60)
    finally:
        if server.poll() is None:
            server.kill()
    assert answer["response"].status_code == 201, answer["response"].text
    assert server.returncode == 0, log.read_text()
    sent_at_stop = count_sent(app)
    assert leased(app) == 0, "the worker's dispatcher thread left rows leased"
    assert sent_at_stop < total, "the fan-out ended before the worker exited: nothing tested"
    sink.delay(0)  # the slow answers were to catch the worker mid fan-out; the rest may be quick

    worker = start_worker(worker_env(app, sink, GSV_PUSH_LEASE_S=LEASE_S), log, "--burst")
    assert worker.wait(120) == 0, log.read_text()
    lost, duplicates = every_phone_once(app, sink, tokens)
    assert (lost, duplicates) == (0, 0)
    with capsys.disabled():
        print(
            f"\n[SIGTERM, gunicorn, {_backend(app)}] request answered 201; stopped in "
            f"{stopped_in:.1f} s at {sent_at_stop}/{total} sent; {lost} lost, "
            f"{duplicates} duplicates"
        )


def _wait(process: subprocess.Popen[bytes], timeout: float, log: Path | None = None) -> float:
    started = time.monotonic()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.send_signal(signal.SIGUSR1)  # flask push worker prints its threads' stacks
        time.sleep(2)
        process.kill()
        process.wait(10)
        output = log.read_text() if log is not None else ""
        raise AssertionError(f"did not stop within {timeout} s of SIGTERM\n{output}") from None
    return time.monotonic() - started


def _answers(base: str) -> bool:
    try:
        return requests.get(f"{base}/healthz", timeout=1).status_code == 200
    except requests.RequestException:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _backend(app: Any) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].split(":")[0]
