"""With the rate limiter's Redis down, sign-in and tips still answer (never 500): the
limits are kept in process memory until Redis is back."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from grannsamverkan.api.ratelimit import limiter
from tests.conftest import PASSWORD, TIP_SPOT, problem_of


def _closed_port() -> int:
    """A loopback port nobody listens on: bound for a moment, then closed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def app_config() -> dict[str, Any]:
    dead_redis = f"redis://127.0.0.1:{_closed_port()}/0"
    return {
        # As in production with GSV_REDIS_URL: limits and push jobs both in Redis.
        "GSV_REDIS_URL": dead_redis,
        "RATELIMIT_STORAGE_URI": dead_redis,
        "GSV_DISPATCHER": "rq",
        "GSV_LOGIN_LIMIT": "3/minute",
        "GSV_LOGIN_ADDRESS_LIMIT": "1000/minute",
        "GSV_TIP_LIMIT": "2/hour",
    }


@pytest.fixture(autouse=True)
def _storage_up_again() -> Iterator[None]:
    """flask-limiter keeps "storage is down" on its one Limiter object, not per app: the
    apps of later tests, with a storage of their own, must not start out on the fallback."""
    yield
    limiter._storage_dead = False


def test_sign_in_answers_and_is_still_limited(client, make_user):
    user = make_user()
    good = {"email": user.email, "password": PASSWORD}
    for _ in range(3):
        response = client.post("/api/v1/auth/login", json=good)
        assert response.status_code == 200, response.get_data(as_text=True)
    problem_of(client.post("/api/v1/auth/login", json=good), 429)


def test_tips_are_accepted_and_still_limited(client, make_user, make_area, add_member):
    area = make_area()
    reporter = make_user()
    add_member(reporter, area)
    body = {
        "category": "burglary",
        "description": "Someone broke a window at the back.",
        "location": {"lat": TIP_SPOT[0], "lon": TIP_SPOT[1]},
    }
    answers = [client.post("/api/v1/tips", json=body, headers=reporter.headers) for _ in range(2)]
    assert [a.status_code for a in answers] == [201, 201], answers[-1].get_data(as_text=True)
    problem_of(client.post("/api/v1/tips", json=body, headers=reporter.headers), 429)
