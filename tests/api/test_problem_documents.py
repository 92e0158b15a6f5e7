"""Every error answer is a documented problem: in the OpenAPI document as
application/problem+json for every status an operation may answer, with a specific type."""

from __future__ import annotations

from typing import Any

import pytest

from grannsamverkan import create_app
from grannsamverkan.errors import PROBLEM_TYPES, PROBLEM_URI_PREFIX
from tests.conftest import problem_of
from tests.test_openapi_bodies import operations

PROBLEM = "application/problem+json"
API = "/api/v1"


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "GSV_DISPATCHER": "off"})  # fmt: skip
    return app.test_client().get(f"{API}/openapi.json").get_json()


def resolve(spec: dict[str, Any], response: dict[str, Any]) -> dict[str, Any]:
    ref = response.get("$ref")
    return spec["components"]["responses"][ref.rsplit("/", 1)[-1]] if ref else response


def expected_statuses(method: str, path: str, operation: dict[str, Any]) -> set[str]:
    expected = {"503"}
    if operation.get("security"):
        expected.add("401")
    if "{" in path:
        expected.add("404")
    if "requestBody" in operation:
        expected |= {"400", "413", "422"}
    if any(p["in"] == "query" for p in operation.get("parameters", [])):
        expected.add("422")
    return expected


def test_every_error_response_is_a_documented_problem(spec):
    wrong = []
    for method, path, operation in operations(spec):
        responses = operation["responses"]
        where = f"{method.upper()} {path}"
        if "default" in responses:
            wrong.append(f"{where}: a catch-all default response")
        missing = expected_statuses(method, path, operation) - set(responses)
        if missing:
            wrong.append(f"{where}: {sorted(missing)} not documented")
        for status, response in responses.items():
            if status[0] not in "45":
                continue
            content = resolve(spec, response).get("content", {})
            if list(content) != [PROBLEM]:
                wrong.append(f"{where} {status}: {list(content)}")
            elif content[PROBLEM]["schema"] != {"$ref": "#/components/schemas/Problem"}:
                wrong.append(f"{where} {status}: not the Problem schema")
    assert wrong == []


def test_the_problem_schema(spec):
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors"}
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    assert "Error" not in spec["components"]["schemas"]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("post", "/auth/login", "429"),
        ("post", "/auth/register", "429"),
        ("post", "/auth/login", "401"),
        ("post", "/tips", "429"),
        ("post", "/tips", "403"),
        ("post", "/broadcasts", "403"),
        ("get", "/stats/tips", "403"),
        ("post", "/invitations/{token}/accept", "400"),
        ("post", "/areas/{area_id}/join-requests", "409"),
    ],
)
def test_statuses_only_a_view_knows_are_documented(spec, method, path, status):
    assert status in spec["paths"][f"{API}{path}"][method]["responses"]


def test_get_me_documents_no_403(spec):
    assert "403" not in spec["paths"][f"{API}/me"]["get"]["responses"]


# --- the problem types the suite's error cases answer with ------------------------------------


def _error_cases(client, make_user, make_area) -> list[tuple[Any, int, str]]:
    member = make_user()
    police = make_user(role="police", municipality_codes=["0884"])
    area = make_area()
    client.post(f"{API}/areas/{area.id}/join-requests", headers=member.headers)
    return [
        (client.get(f"{API}/me"), 401, "unauthenticated"),
        (
            client.post(f"{API}/auth/login", json={"email": "x@example.se", "password": "nope"}),
            401,
            "wrong-credentials",
        ),  # fmt: skip
        (
            client.post(
                f"{API}/broadcasts/reach",
                json={"municipality_codes": ["0884"]},
                headers=member.headers,
            ),
            403,
            "forbidden",
        ),  # fmt: skip
        (client.get(f"{API}/tips/12345", headers=police.headers), 404, "not-found"),
        (client.get(f"{API}/no-such-route"), 404, "not-found"),
        (client.put(f"{API}/me", headers=member.headers), 405, "method-not-allowed"),
        (
            client.post(f"{API}/areas/{area.id}/join-requests", headers=member.headers),
            409,
            "conflict",
        ),  # fmt: skip
        (
            client.patch(
                f"{API}/me", data="{", content_type="application/json", headers=member.headers
            ),
            400,
            "malformed-request",
        ),  # fmt: skip
        (
            client.post(f"{API}/invitations/forged/accept", headers=member.headers),
            400,
            "invalid-link",
        ),  # fmt: skip
        (
            client.patch(f"{API}/me", json={"name": ""}, headers=member.headers),
            422,
            "validation",
        ),  # fmt: skip
    ]


def test_no_known_error_is_about_blank(client, make_user, make_area):
    for response, status, slug in _error_cases(client, make_user, make_area):
        body = problem_of(response, status)
        assert body["type"] == PROBLEM_URI_PREFIX + slug, (status, body)
        assert PROBLEM_TYPES[slug].status == status


def test_rate_limited_is_its_own_type(client, app):
    app.config["GSV_LOGIN_ADDRESS_LIMIT"] = "1/minute"
    body = {"email": "x@example.se", "password": "nope"}
    client.post(f"{API}/auth/login", json=body)
    problem = problem_of(client.post(f"{API}/auth/login", json=body), 429)
    assert problem["type"] == PROBLEM_URI_PREFIX + "rate-limited"
