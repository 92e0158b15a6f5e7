"""POST /tips with an Idempotency-Key: a retry gets the first response and creates nothing."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, IdempotencyKey, Tip
from grannsamverkan.services.privacy import coarse_count
from tests.conftest import problem_of
from tests.tips.conftest import SPOT, offset

CONCURRENT_REQUESTS = 20


@pytest.fixture
def app_config() -> dict[str, Any]:
    # The rate limit is not under test here; twenty concurrent first tries all count.
    return {"GSV_TIP_LIMIT": "100/hour"}


@pytest.fixture
def area(make_area):
    return make_area(center=SPOT)


@pytest.fixture
def reporter(make_user, add_member, area):
    actor = make_user(home=offset(SPOT, 20))
    add_member(actor, area)
    return actor


@pytest.fixture
def neighbour(make_user, add_member, area):
    actor = make_user(home=offset(SPOT, 200))
    add_member(actor, area)
    return actor


def tip_body(description: str = "Someone is trying the door handles on Storgatan.") -> dict:
    return {
        "category": "burglary",
        "description": description,
        "location": {"lat": SPOT[0], "lon": SPOT[1]},
    }


def post(client, actor, key: str, body: dict) -> Any:
    return client.post("/api/v1/tips", json=body, headers={**actor.headers, "Idempotency-Key": key})


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_retry_with_same_key_and_body_replays_the_first_response(app, client, reporter, neighbour):
    first = post(client, reporter, "key-1", tip_body())
    assert first.status_code == 201, first.get_data(as_text=True)
    again = post(client, reporter, "key-1", tip_body())
    assert again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert first.get_json()["alert"]["recipient_count"] == coarse_count(1)
    assert count(app, Tip) == 1
    assert count(app, Alert) == 1
    assert count(app, IdempotencyKey) == 1


def test_same_key_with_a_different_body_is_refused(app, client, reporter):
    assert post(client, reporter, "key-1", tip_body()).status_code == 201
    response = post(client, reporter, "key-1", tip_body("Something else entirely."))
    body = problem_of(response, 422)
    assert "Idempotency-Key" in body["errors"]
    assert count(app, Tip) == 1


def test_without_a_key_every_post_is_a_new_tip(app, client, reporter):
    first = client.post("/api/v1/tips", json=tip_body(), headers=reporter.headers)
    second = client.post("/api/v1/tips", json=tip_body(), headers=reporter.headers)
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.get_json()["id"] != second.get_json()["id"]
    assert count(app, Tip) == 2


def test_different_users_may_use_the_same_key(app, client, reporter, neighbour):
    mine = post(client, reporter, "shared-key", tip_body())
    theirs = post(client, neighbour, "shared-key", tip_body())
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.get_json()["id"] != theirs.get_json()["id"]
    assert count(app, Tip) == 2
    # Each user's key still replays their own first response.
    assert post(client, neighbour, "shared-key", tip_body()).get_json() == theirs.get_json()


def test_key_longer_than_200_characters_is_refused(app, client, reporter):
    assert post(client, reporter, "k" * 200, tip_body()).status_code == 201
    body = problem_of(post(client, reporter, "k" * 201, tip_body()), 422)
    assert "Idempotency-Key" in body["errors"]
    assert count(app, Tip) == 1


def test_a_refused_request_does_not_burn_the_key(app, client, reporter):
    body = {**tip_body(), "observed_at": "2999-01-01T00:00:00+00:00"}
    problem_of(post(client, reporter, "key-1", body), 422)
    fixed = {**tip_body(), "observed_at": "2020-01-01T00:00:00+00:00"}
    assert post(client, reporter, "key-1", fixed).status_code == 201
    assert count(app, Tip) == 1


def test_concurrent_identical_requests_create_one_tip(app, reporter, neighbour):
    barrier = threading.Barrier(CONCURRENT_REQUESTS)
    results: list[tuple[int, Any]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def attempt() -> None:
        client = app.test_client()
        try:
            barrier.wait(timeout=30)
            response = post(client, reporter, "concurrent-key", tip_body())
            with lock:
                results.append((response.status_code, response.get_json()))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=attempt) for _ in range(CONCURRENT_REQUESTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(results) == CONCURRENT_REQUESTS
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] * CONCURRENT_REQUESTS, [body for _, body in results]
    assert len({body["id"] for _, body in results}) == 1
    assert len({body["alert"]["id"] for _, body in results}) == 1
    assert count(app, Tip) == 1
    assert count(app, Alert) == 1
    assert count(app, IdempotencyKey) == 1


@pytest.mark.parametrize("app_config", [{"GSV_TIP_LIMIT": "2/hour"}])
def test_a_retry_is_answered_even_when_the_tip_limit_is_used_up(app, client, reporter):
    first = post(client, reporter, "key-1", tip_body("First."))
    second = post(client, reporter, "key-2", tip_body("Second."))
    assert (first.status_code, second.status_code) == (201, 201)
    # The phone lost the answer to its last allowed tip and retries: it gets that answer.
    retry = post(client, reporter, "key-2", tip_body("Second."))
    assert retry.status_code == 201, retry.get_data(as_text=True)
    assert retry.get_json() == second.get_json()
    # A new tip is still over the limit.
    over = post(client, reporter, "key-3", tip_body("Third."))
    problem_of(over, 429)
    assert over.headers.get("Retry-After")
    # And a reused key with another body is not a retry: it is counted, and refused.
    problem_of(post(client, reporter, "key-2", tip_body("Changed.")), 429)
    assert count(app, Tip) == 2
