"""Sign-in is rate limited per client address (GSV_LOGIN_LIMIT)."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, problem_of

LOGIN = "/api/v1/auth/login"


@pytest.fixture
def app_config():
    return {"GSV_LOGIN_LIMIT": "3/minute"}


def test_login_over_the_limit_is_429_with_retry_after(client, make_user):
    user = make_user()
    wrong = {"email": user.email, "password": "wrong password"}
    for _ in range(3):
        problem_of(client.post(LOGIN, json=wrong), 401)
    r = client.post(LOGIN, json=wrong)
    body = problem_of(r, 429)
    assert body["type"] == "urn:grannsamverkan:problem:rate-limited"
    retry_after = int(r.headers["Retry-After"])
    assert 0 < retry_after <= 60
    # Over the limit even the right password waits.
    r = client.post(LOGIN, json={"email": user.email, "password": PASSWORD})
    problem_of(r, 429)
    assert "access_token" not in r.get_data(as_text=True)


def test_login_limit_counts_per_client_address(client, make_user):
    user = make_user()
    good = {"email": user.email, "password": PASSWORD}
    for _ in range(3):
        assert client.post(LOGIN, json=good).status_code == 200
    problem_of(client.post(LOGIN, json=good), 429)
    other = client.post(LOGIN, json=good, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
    assert other.json["token_type"] == "Bearer"


def test_invalid_login_bodies_count_too(client):
    for _ in range(3):
        problem_of(client.post(LOGIN, json={}), 422)
    problem_of(client.post(LOGIN, json={}), 429)
