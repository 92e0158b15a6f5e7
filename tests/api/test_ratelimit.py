"""Sign-in is rate limited per account (GSV_LOGIN_LIMIT) and per client address
(GSV_LOGIN_ADDRESS_LIMIT); the address is the peer's unless GSV_TRUSTED_PROXIES says how many
proxies in front may be believed about X-Forwarded-For."""

from __future__ import annotations

import pytest
from flask import request

from grannsamverkan.api.ratelimit import sign_in_limits
from tests.conftest import PASSWORD, problem_of

LOGIN = "/api/v1/auth/login"
REGISTER = "/api/v1/auth/register"
# Limits small enough to reach; the other limit is set out of the way in each test.
TIGHT = "3/minute"
LOOSE = "1000/minute"
PER_ACCOUNT = {"GSV_LOGIN_LIMIT": TIGHT, "GSV_LOGIN_ADDRESS_LIMIT": LOOSE}
PER_ADDRESS = {"GSV_LOGIN_LIMIT": LOOSE, "GSV_LOGIN_ADDRESS_LIMIT": TIGHT}


def _from(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def _forwarded(chain: str) -> dict[str, dict[str, str]]:
    """A request through a proxy at 127.0.0.1 that sends this X-Forwarded-For."""
    return {"headers": {"X-Forwarded-For": chain}}


@pytest.mark.parametrize("app_config", [PER_ACCOUNT])
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


@pytest.mark.parametrize("app_config", [PER_ACCOUNT])
def test_one_account_hammered_from_many_addresses_is_limited(client, make_user):
    victim, bystander = make_user(), make_user()
    wrong = {"email": victim.email, "password": "wrong password"}
    for n in range(3):
        problem_of(client.post(LOGIN, json=wrong, **_from(f"198.51.100.{n}")), 401)
    # A fresh address does not buy more guesses, nor does another spelling of the e-mail.
    problem_of(client.post(LOGIN, json=wrong, **_from("198.51.100.99")), 429)
    shouted = {"email": f"  {victim.email.upper()} ", "password": PASSWORD}
    problem_of(client.post(LOGIN, json=shouted, **_from("203.0.113.5")), 429)
    # Other accounts are not locked out, even from the same addresses.
    good = {"email": bystander.email, "password": PASSWORD}
    assert client.post(LOGIN, json=good, **_from("198.51.100.0")).status_code == 200


@pytest.mark.parametrize("app_config", [PER_ADDRESS])
def test_one_address_trying_many_accounts_is_limited(client, make_user):
    users = [make_user() for _ in range(4)]
    for user in users[:3]:
        good = {"email": user.email, "password": PASSWORD}
        assert client.post(LOGIN, json=good).status_code == 200
    problem_of(client.post(LOGIN, json={"email": users[3].email, "password": PASSWORD}), 429)
    other = client.post(
        LOGIN, json={"email": users[3].email, "password": PASSWORD}, **_from("192.0.2.7")
    )
    assert other.status_code == 200
    assert other.json["token_type"] == "Bearer"


@pytest.mark.parametrize("app_config", [PER_ADDRESS])
def test_without_trusted_proxies_a_forged_forwarded_for_does_not_dodge_the_limit(client, make_user):
    user = make_user()
    good = {"email": user.email, "password": PASSWORD}
    for n in range(3):
        assert client.post(LOGIN, json=good, **_forwarded(f"198.51.100.{n}")).status_code == 200
    problem_of(client.post(LOGIN, json=good, **_forwarded("198.51.100.200")), 429)


@pytest.mark.parametrize("app_config", [{**PER_ADDRESS, "GSV_TRUSTED_PROXIES": 1}])
def test_behind_a_trusted_proxy_clients_are_limited_by_their_forwarded_address(client, make_user):
    user = make_user()
    good = {"email": user.email, "password": PASSWORD}
    for _ in range(3):
        assert client.post(LOGIN, json=good, **_forwarded("198.51.100.1")).status_code == 200
    problem_of(client.post(LOGIN, json=good, **_forwarded("198.51.100.1")), 429)
    # Another resident behind the same proxy is not locked out by the first.
    assert client.post(LOGIN, json=good, **_forwarded("198.51.100.2")).status_code == 200
    # The proxy appends the address it saw; what a client wrote before it is not believed.
    for n in range(2):
        forged = _forwarded(f"203.0.113.{n}, 198.51.100.2")
        assert client.post(LOGIN, json=good, **forged).status_code == 200
    problem_of(client.post(LOGIN, json=good, **_forwarded("203.0.113.9, 198.51.100.2")), 429)


@pytest.mark.parametrize("app_config", [PER_ACCOUNT])
def test_invalid_login_bodies_count_too(client):
    for _ in range(3):
        problem_of(client.post(LOGIN, json={}), 422)
    problem_of(client.post(LOGIN, json={}), 429)


@pytest.mark.parametrize("app_config", [PER_ACCOUNT])
def test_register_and_login_share_the_account_budget(client):
    email = "ny@example.se"
    body = {"email": email, "password": "lagom-långt lösenord", "name": "Ny"}
    assert client.post(REGISTER, json=body).status_code == 201
    problem_of(client.post(REGISTER, json=body), 409)
    login = {"email": email, "password": body["password"]}
    assert client.post(LOGIN, json=login).status_code == 200
    problem_of(client.post(LOGIN, json=login), 429)


@pytest.mark.parametrize("app_config", [PER_ACCOUNT])
def test_a_form_sign_in_page_applies_the_same_limits(app, client, make_user):
    """The console's sign-in form takes the same declaration: GETs of the page are free,
    form POSTs draw on the same per-account budget as the API's login."""

    @sign_in_limits
    def sign_in_page():
        return ("form" if request.method == "GET" else "posted"), 200

    app.add_url_rule("/form-sign-in", "sign_in_page", sign_in_page, methods=["GET", "POST"])
    user = make_user()
    for _ in range(5):
        assert client.get("/form-sign-in").status_code == 200
    wrong = {"email": user.email, "password": "wrong password"}
    problem_of(client.post(LOGIN, json=wrong), 401)
    shouted = {**wrong, "email": user.email.upper()}
    for _ in range(2):
        assert client.post("/form-sign-in", data=shouted).status_code == 200
    assert client.post("/form-sign-in", data=wrong).status_code == 429
    problem_of(client.post(LOGIN, json=wrong), 429)
