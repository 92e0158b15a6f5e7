"""Log lines are JSON objects carrying the request id, and one tip is followed by its id
from ``POST /tips`` through the outbox rows and the worker's job to every push."""

from __future__ import annotations

import io
import logging
import uuid
from collections import Counter
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.logs import acting_for, make_handler
from grannsamverkan.models import Delivery
from grannsamverkan.notify.worker import run_rq_worker
from tests.conftest import send_all
from tests.log_capture import json_log
from tests.tips.conftest import SPOT, offset


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return push_config


@pytest.fixture
def street(make_user, make_area, add_member, add_device) -> dict[str, Any]:
    area = make_area(center=SPOT)
    people = {"reporter": make_user(home=SPOT)}
    for n in range(4):
        people[f"near{n}"] = make_user(home=offset(SPOT, 100 + 50 * n), locale="sv" if n else "en")
    for name, actor in people.items():
        add_member(actor, area)
        add_device(actor, f"{name}-phone")
    return people


def _tip(client: Any, reporter: Any, request_id: str) -> Any:
    body = {"category": "burglary", "description": "Ett fönster krossades.",
            "location": {"lat": SPOT[0], "lon": SPOT[1]}}  # fmt: skip
    headers = {**reporter.headers, "X-Request-Id": request_id}
    response = client.post("/api/v1/tips", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["X-Request-Id"] == request_id
    return response.get_json()


def test_one_tip_is_followed_from_the_request_to_every_push(app, client, sink, dispatcher, street):
    sink.unregister("near3-phone")
    with json_log() as log:
        tip = _tip(client, street["reporter"], "trace-tip-1")
        send_all(app, dispatcher)
    lines = log.of_request("trace-tip-1")
    messages = Counter(line["message"] for line in lines)
    assert messages["tip stored"] == 1
    assert messages["alert written"] == 1
    request = next(line for line in lines if line["message"] == "request")
    assert (request["route"], request["method"], request["status"]) == ("/api/v1/tips", "POST", 201)
    written = next(line for line in lines if line["message"] == "alert written")
    assert written["alert_id"] == tip["alert"]["id"]
    recorded = [line for line in lines if line["message"] == "deliveries recorded"]
    outcomes = Counter()
    for line in recorded:
        assert line["alert_id"] == tip["alert"]["id"]
        outcomes[line["outcome"]] += line["count"]
    # Every push the tip caused is told under its request id, and adds up.
    assert outcomes == {"sent": 3, "unregistered": 1}
    assert sum(outcomes.values()) == written["deliveries"] == 4
    assert sink.message_count() == 3
    with app.app_context():
        assert set(db.session.scalars(select(Delivery.request_id))) == {"trace-tip-1"}


def test_rows_written_outside_a_request_carry_no_id_unless_acting_for_one(app):
    from grannsamverkan.logs import current_request_id

    with app.app_context():
        assert current_request_id() is None
        with acting_for("job-7"):
            assert current_request_id() == "job-7"
        assert current_request_id() is None


@pytest.fixture
def rq_app(app: Any) -> Any:
    """The app in "rq" mode on a queue of this test's own, removed afterwards."""
    queue = f"gsv-test-{uuid.uuid4().hex[:8]}"
    app.config.update(GSV_REDIS_URL="redis://127.0.0.1:6379/0", GSV_RQ_QUEUE=queue)
    from grannsamverkan.notify.runner import EXTENSION

    app.extensions[EXTENSION].mode = "rq"
    yield app
    connection = Redis.from_url("redis://127.0.0.1:6379/0")
    for key in connection.scan_iter(f"rq:*{queue}*"):
        connection.delete(key)


def test_the_worker_job_carries_the_request_id(rq_app, client, sink, street):
    app = rq_app
    connection = Redis.from_url(app.config["GSV_REDIS_URL"])
    queue = Queue(app.config["GSV_RQ_QUEUE"], connection=connection)
    with json_log() as log:
        _tip(client, street["reporter"], "trace-tip-rq")
        (job,) = queue.jobs
        assert job.meta["request_id"] == "trace-tip-rq"
        with app.app_context():
            run_rq_worker(app, burst=True)  # as `flask push worker --burst` runs it
    lines = log.of_request("trace-tip-rq")
    done = [line for line in lines if line["message"] == "dispatch job done"]
    assert [line["rows"] for line in done] == [4]
    sent = sum(
        line["count"]
        for line in lines
        if line["message"] == "deliveries recorded" and line["outcome"] == "sent"
    )
    assert sent == 4 == sink.message_count()


def test_every_line_is_one_json_object_with_the_fields_a_collector_indexes(client):
    with json_log() as log:
        client.get("/healthz", headers={"X-Request-Id": "probe-1"})
        logging.getLogger("grannsamverkan.test").warning("outside any request")
    lines = log.lines()
    for line in lines:
        assert {"time", "level", "logger", "message", "request_id"} <= set(line)
        assert line["time"].endswith("+00:00")
    assert [line["route"] for line in log.of_request("probe-1")] == ["/healthz"]
    assert lines[-1]["request_id"] is None


def test_the_text_format_and_a_wrong_one():
    stream = io.StringIO()
    handler = make_handler(stream, "text")
    logger = logging.getLogger("grannsamverkan.test.text")
    logger.addHandler(handler)
    try:
        with acting_for("abc"):
            logger.warning("hello")
    finally:
        logger.removeHandler(handler)
    assert "WARNING grannsamverkan.test.text [abc] hello" in stream.getvalue()
    with pytest.raises(ValueError, match="GSV_LOG_FORMAT"):
        make_handler(stream, "xml")
