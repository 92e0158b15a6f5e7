"""Bad input never breaks the app (issue 10): ids, text, times and JSON that no database or
parser can take are 4xx problems naming the field, never a 500; bodies have a size limit."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from flask import Flask
from sqlakeyset import serialize_bookmark

from grannsamverkan.config import Settings
from grannsamverkan.extensions import db
from grannsamverkan.models import HelpResource, Tip, User
from grannsamverkan.services import signing
from tests.api.app_per_module import app_per_module
from tests.conftest import PASSWORD, TIP_SPOT, problem_of

backend, app, _fresh_state = app_per_module()

API = "/api/v1"
HUGE_IDS = ["2147483648", "99999999999999999999", "18446744073709551617", "9" * 5000]


@pytest.fixture
def police(make_user: Any) -> Any:
    return make_user(role="police", municipality_codes=["0884"])


@pytest.fixture
def reporter(make_user: Any, make_area: Any, add_member: Any) -> Any:
    user = make_user()
    add_member(user, make_area())
    return user


def tip_body(**changes: Any) -> dict[str, Any]:
    body = {
        "category": "burglary",
        "description": "Someone broke a window at the back.",
        "location": {"lat": TIP_SPOT[0], "lon": TIP_SPOT[1]},
    }
    return {**body, **changes}


def errors_of(response: Any) -> dict[str, Any]:
    return problem_of(response, 422)["errors"]


# --- 1. ids out of range ---------------------------------------------------------------------


@pytest.mark.parametrize("huge", HUGE_IDS, ids=["2^31", "10^20", "2^64+1", "5000-digits"])
def test_path_ids_that_cannot_exist_are_404(client, police, huge):
    problem_of(client.get(f"{API}/help-resources/{huge}"), 404)  # no token needed
    for method, path in [
        ("GET", f"/tips/{huge}"),
        ("GET", f"/areas/{huge}"),
        ("POST", f"/tips/{huge}/approve"),
        ("POST", f"/broadcasts/{huge}/cancel"),
        ("PUT", f"/areas/1/members/{huge}"),
    ]:
        response = client.open(API + path, method=method, headers=police.headers, json={})
        problem_of(response, 404)


def test_query_and_body_ids_out_of_range_are_422(client, police):
    for value in ("2147483648", "99999999999999999999", "0", "1e29"):
        response = client.get(
            f"{API}/tips", headers=police.headers, query_string={"area_id": value}
        )
        assert "area_id" in errors_of(response), value
    for area_ids in ([2147483648], [18446744073709551617], [1e29], ["1"], [True], [0]):
        body = {"area_ids": area_ids}
        response = client.post(f"{API}/broadcasts/reach", headers=police.headers, json=body)
        assert "area_ids" in errors_of(response), area_ids


def _signed_cursor(app: Flask, payload: Any) -> str:
    with app.test_request_context():
        return signing.sign(signing.CURSOR, payload)


@pytest.mark.parametrize(
    "bookmark",
    [
        serialize_bookmark(((99999999999999999999,), False)),
        serialize_bookmark(((1e300, 5), False)),
        serialize_bookmark((("a\x00b",), False)),
        {"o": 1e29},
        ">garbage~~~",
        ">i:notanumber",
    ],
)
def test_cursors_with_impossible_keys_are_422(app, client, bookmark):
    """A cursor signed with the app's key (leaked, say) still cannot reach the database with
    a value it cannot take."""
    cursor = _signed_cursor(app, {"list": "help.list_help_resources", "bookmark": bookmark})
    response = client.get(f"{API}/help-resources", query_string={"cursor": cursor})
    assert "cursor" in errors_of(response)


def test_ranked_cursors_with_impossible_keys_are_422(app, client, make_user):
    user = make_user()
    for after in ([1e29, 5], [1.0, 2**70], "x", [float("inf"), 1]):
        cursor = _signed_cursor(app, {"list": "areas.list_areas", "ranked": after})
        query = {"near": "57.6,15.8", "cursor": cursor}
        response = client.get(f"{API}/areas", headers=user.headers, query_string=query)
        assert "cursor" in errors_of(response), after


# --- 2. NUL bytes and lone surrogates --------------------------------------------------------


def test_nul_and_lone_surrogates_in_json_are_422_even_unauthenticated(client):
    for email in ("a\x00@b.se", "a\ud800@b.se"):
        response = client.post(f"{API}/auth/login", json={"email": email, "password": "x" * 10})
        assert errors_of(response) == {"email": [problem_of(response, 422)["errors"]["email"][0]]}
    raw = '{"email": "a@b.se", "password": "\\ud800\\u0000"}'
    response = client.post(f"{API}/auth/login", data=raw, content_type="application/json")
    assert "password" in errors_of(response)


def test_nul_in_nested_fields_and_keys_is_422_and_stores_nothing(app, client, reporter):
    cases = [
        (tip_body(description="Broke\x00in"), "description"),
        (tip_body(location={"address": "Storgatan\x001"}), "location.address"),
        (tip_body(vehicle={"registration": "ABC\x00123"}), "vehicle.registration"),
        ({**tip_body(), "extra\x00key": 1}, "_schema"),
    ]
    for body, field in cases:
        response = client.post(f"{API}/tips", headers=reporter.headers, json=body)
        assert field in errors_of(response), field
    with app.app_context():
        assert db.session.query(Tip).count() == 0


def test_nul_in_query_path_and_header_never_reaches_the_database(client, reporter):
    response = client.get(f"{API}/tips", headers=reporter.headers, query_string={"q": "a\x00b"})
    assert "q" in errors_of(response)
    problem_of(client.delete(f"{API}/me/devices/a%00b", headers=reporter.headers), 404)
    problem_of(client.post(f"{API}/invitations/a%00b/accept", headers=reporter.headers), 404)
    headers = {**reporter.headers, "Idempotency-Key": "key\x00"}
    response = client.post(f"{API}/tips", headers=headers, json=tip_body())
    assert "Idempotency-Key" in errors_of(response)


def test_nul_in_a_console_form_is_422(client):
    response = client.post("/sign-in", data={"email": "a\x00@b.se", "password": "x"})
    assert response.status_code == 422
    assert response.mimetype == "text/html"


# --- 3. times and days out of range ----------------------------------------------------------


def test_times_out_of_range_are_422(client, reporter, police):
    for moment in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "1999-06-01T12:00Z"):
        response = client.post(
            f"{API}/tips", headers=reporter.headers, json=tip_body(observed_at=moment)
        )
        assert "observed_at" in errors_of(response), moment
    broadcast = {
        "kind": "fraud_warning",
        "title": "Bedrägeri",
        "body": "Ring aldrig tillbaka.",
        "target": {"municipality_codes": ["0884"]},
        "expires_at": "9999-12-31T23:59:59-12:00",
    }
    response = client.post(f"{API}/broadcasts", headers=police.headers, json=broadcast)
    assert "expires_at" in errors_of(response)


def test_days_out_of_range_are_422(client, police):
    query = {"from": "0001-01-01", "to": "9999-12-31"}
    for path in ("/stats/tips", "/stats/areas", "/tips"):
        response = client.get(API + path, headers=police.headers, query_string=query)
        assert {"from", "to"} & set(errors_of(response)), path


# --- 4. deep or huge JSON --------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "[" * 20_000 + "]" * 20_000,
        '{"a":' * 5_000 + "1" + "}" * 5_000,
        "[" * 100 + "]" * 100,
        '{"email": ' + "9" * 5_000 + ', "password": "x"}',
        '{"email": "a@b.se", "password": 1.' + "5" * 200 + "}",
    ],
    ids=["20000-deep-list", "5000-deep-object", "100-deep", "5000-digit-int", "long-float"],
)
def test_deep_or_huge_json_is_400_even_unauthenticated(client, reporter, raw):
    for path, headers in [("/auth/login", {}), ("/tips", reporter.headers)]:
        response = client.post(
            API + path, data=raw, content_type="application/json", headers=headers
        )
        problem_of(response, 400)


# --- 5. body size ----------------------------------------------------------------------------


def test_a_body_over_the_limit_is_413_even_unauthenticated(client):
    body = json.dumps({"email": "a@b.se", "password": "x" * 70_000})
    response = client.post(f"{API}/auth/login", data=body, content_type="application/json")
    problem_of(response, 413)
    deep = "[" * 100_000 + "]" * 100_000
    response = client.post(f"{API}/auth/login", data=deep, content_type="application/json")
    problem_of(response, 413)


def test_a_chunked_body_over_the_limit_is_413(client):
    """Without Content-Length (chunked), the limit holds as the body is read."""
    body = json.dumps({"email": "a@b.se", "password": "x" * 70_000}).encode()
    response = client.post(
        f"{API}/auth/login",
        input_stream=io.BytesIO(body),
        content_type="application/json",
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    problem_of(response, 413)


def _square(positions: int) -> dict[str, Any]:
    """A Polygon with ``positions`` positions along a 0.01° square's lower edge and back."""
    step = 0.01 / positions
    ring = [[15.8 + i * step, 57.6] for i in range(positions - 3)]
    ring += [[15.81, 57.61], [15.8, 57.61], [15.8, 57.6]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_an_area_boundary_may_be_larger_than_the_general_limit(client, police):
    body = {
        "name": "Stor gräns",
        "municipality_code": "0884",
        "center": {"lat": 57.605, "lon": 15.805},
        "boundary": _square(9_000),
    }
    assert len(json.dumps(body)) > 64 * 1024
    response = client.post(f"{API}/areas", headers=police.headers, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    too_big = {**body, "name": "x" * 2_000_000}
    problem_of(client.post(f"{API}/areas", headers=police.headers, json=too_big), 413)


def test_the_limits_are_configured_by_environment(monkeypatch):
    monkeypatch.setenv("GSV_MAX_BODY_BYTES", "1000")
    monkeypatch.setenv("GSV_MAX_AREA_BODY_BYTES", "5000")
    config = Settings().as_flask_config()
    assert config["MAX_CONTENT_LENGTH"] == 1000
    assert config["GSV_MAX_AREA_BODY_BYTES"] == 5000
    monkeypatch.delenv("GSV_MAX_BODY_BYTES")
    assert Settings().as_flask_config()["MAX_CONTENT_LENGTH"] == 64 * 1024


# --- 6. strict types and blank text ----------------------------------------------------------


def test_numbers_sent_as_strings_are_422(client, reporter, police):
    response = client.put(
        f"{API}/me/home", headers=reporter.headers, json={"lat": "57.66", "lon": 15.8}
    )
    assert "lat" in errors_of(response)
    response = client.patch(f"{API}/me", headers=reporter.headers, json={"alert_radius_m": "500"})
    assert "alert_radius_m" in errors_of(response)
    body = tip_body(location={"lat": 57.66, "lon": "15.85"})
    assert "location" in errors_of(client.post(f"{API}/tips", headers=reporter.headers, json=body))
    target = {"circle": {"lat": 57.66, "lon": 15.85, "radius_m": "500"}}
    response = client.post(f"{API}/broadcasts/reach", headers=police.headers, json=target)
    assert "circle" in errors_of(response)


def test_text_of_only_spaces_is_422_and_stores_nothing(app, client, reporter, police):
    body = tip_body(description="   \t ")
    assert "description" in errors_of(
        client.post(f"{API}/tips", headers=reporter.headers, json=body)
    )
    help_body = {"name": "Stöd", "topic": "other", "description": "  ", "phone": "112"}
    response = client.post(f"{API}/help-resources", headers=police.headers, json=help_body)
    assert "description" in errors_of(response)
    register = {"email": "ny@example.se", "password": " " * 12, "name": "Ny"}
    assert "password" in errors_of(client.post(f"{API}/auth/register", json=register))
    with app.app_context():
        assert db.session.query(Tip).count() == 0
        assert db.session.query(HelpResource).count() == 0
        assert db.session.query(User).filter_by(email="ny@example.se").count() == 0


def test_valid_bodies_still_pass(client, reporter):
    body = tip_body(observed_at="2026-05-01T21:30:00+02:00", vehicle={"registration": "ABC123"})
    response = client.post(f"{API}/tips", headers=reporter.headers, json=body)
    assert response.status_code == 201, response.get_data(as_text=True)
    login = {"email": reporter.email, "password": PASSWORD}
    assert client.post(f"{API}/auth/login", json=login).status_code == 200
