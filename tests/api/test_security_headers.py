"""Every response carries the security headers; private ones are never cached; HSTS when
served over https; the app sets no Server banner."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD


@pytest.fixture
def app_config() -> dict[str, object]:
    """An app per test: two tests add a route of their own, which Flask allows only before an
    app's first request (a shared app may have had requests from other modules' tests)."""
    return {"GSV_TRUSTED_PROXIES": 0}


API = "/api/v1"
ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
}


def _assert_always(response):
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, (name, response.status_code)
    assert "Server" not in response.headers
    assert "Strict-Transport-Security" not in response.headers  # plain http here


# Tests that add a route get an app of their own (a non-empty app_config): the shared app has
# served requests already, and a route added to it would stay for later tests.
OWN_APP = pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])


@OWN_APP
def test_every_kind_of_response_carries_the_headers(app, client, make_user):
    user = make_user()

    def crash():
        raise RuntimeError("a bug")

    app.add_url_rule("/crash", "crash", crash)
    responses = [
        client.get("/healthz"),
        client.get(f"{API}/openapi.json"),
        client.get(f"{API}/feeds/warnings.atom"),
        client.get(f"{API}/help-resources"),
        client.get(f"{API}/me"),  # 401
        client.get(f"{API}/me", headers=user.headers),
        client.get(f"{API}/tips/12345", headers=user.headers),  # 404
        client.post(f"{API}/auth/login", json={}),  # 422
        client.post(f"{API}/auth/login", data="{", content_type="application/json"),  # 400
        client.get("/crash"),  # 500
    ]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 401, 200, 404, 422, 400, 500]
    for response in responses:
        _assert_always(response)


def test_private_responses_are_never_stored(client, make_user):
    user = make_user()
    me = client.get(f"{API}/me", headers=user.headers)
    assert me.headers["Cache-Control"] == "no-store"
    # A sign-in answer carries a token, though the request had no credentials.
    login = client.post(f"{API}/auth/login", json={"email": user.email, "password": PASSWORD})
    assert login.status_code == 200
    assert login.headers["Cache-Control"] == "no-store"
    # Credentials make any answer private, also a public document's.
    feed = client.get(f"{API}/feeds/warnings.atom", headers=user.headers)
    assert feed.headers["Cache-Control"] == "no-store"


@OWN_APP
def test_a_view_that_sets_its_caching_keeps_it_unless_credentials_came(app, client, make_user):
    user = make_user()

    def public_page():
        return "public", 200, {"Cache-Control": "public, max-age=300"}

    app.add_url_rule("/public-page", "public_page", public_page)
    assert client.get("/public-page").headers["Cache-Control"] == "public, max-age=300"
    signed_in = client.get("/public-page", headers=user.headers)
    assert signed_in.headers["Cache-Control"] == "no-store"


def test_an_answer_the_view_marks_private_is_kept_with_credentials(client, make_user):
    # GET /alerts revalidates with an ETag that names the caller (api/caching.py).
    user = make_user()
    inbox = client.get(f"{API}/alerts", headers=user.headers)
    assert inbox.status_code == 200
    assert inbox.headers["Cache-Control"] == "private, no-cache"
    _assert_always(inbox)


def test_hsts_when_the_request_comes_over_https(client):
    response = client.get("/healthz", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


@pytest.mark.parametrize("app_config", [{"GSV_TRUSTED_PROXIES": 1}])
def test_hsts_when_a_trusted_proxy_says_https(client):
    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_client_cannot_claim_https_without_a_trusted_proxy(client):
    response = client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
    assert "Strict-Transport-Security" not in response.headers


@pytest.mark.parametrize("app_config", [{"GSV_PUBLIC_URL": "https://grannsamverkan.example.se"}])
def test_hsts_when_the_public_url_is_https(client):
    # TLS ends at a proxy the app is not told about: the public URL still says https.
    response = client.get("/healthz")
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
