"""The OpenAPI document describes every route the app serves."""

from __future__ import annotations

import re

import pytest

from grannsamverkan import create_app

# The document itself, and the page that renders it (Swagger UI, grannsamverkan/console).
IGNORED = {"static", "api-docs.openapi_json", "console.apidocs.swagger_ui"}


@pytest.fixture(scope="module")
def served():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "GSV_DISPATCHER": "off"})  # fmt: skip
    spec = app.test_client().get("/api/v1/openapi.json").get_json()
    rules = [r for r in app.url_map.iter_rules() if r.endpoint not in IGNORED]
    return spec, rules


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_every_api_route_is_documented(served):
    spec, rules = served
    missing = []
    for rule in rules:
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = spec["paths"].get(openapi_path(rule.rule), {})
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            operation = path.get(method.lower())
            if operation is None or not operation.get("summary"):
                missing.append(f"{method} {rule.rule}")
    assert missing == []


def test_signed_in_routes_declare_bearer_auth(served):
    spec, _ = served
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    me = spec["paths"]["/api/v1/me"]["get"]
    assert me["security"] == [{"bearerAuth": []}]
    assert "security" not in spec["paths"]["/api/v1/auth/login"]["post"]


def test_healthz_is_served(served):
    _, rules = served
    assert any(rule.rule == "/healthz" for rule in rules)


def test_a_revalidated_read_documents_its_query_and_its_if_none_match(served):
    # The If-None-Match header once replaced the query's parameters in the document.
    spec, _ = served
    inbox = spec["paths"]["/api/v1/alerts"]["get"]
    parameters = {(p["in"], p["name"]) for p in inbox["parameters"]}
    assert parameters == {("query", "limit"), ("query", "cursor"), ("header", "If-None-Match")}
    assert {"304", "422"} <= set(inbox["responses"])
