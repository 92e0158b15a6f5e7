"""Every 2xx body the API answers with is described in the OpenAPI document."""

from __future__ import annotations

from typing import Any

import pytest

from grannsamverkan import create_app

JSON = "application/json"
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) of every operation; path items also hold "parameters"."""
    return [
        (method, path, operation)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                      "GSV_DISPATCHER": "off"})  # fmt: skip
    return app.test_client().get("/api/v1/openapi.json").get_json()


def resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref is None:
        return schema
    return spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]


def describes_something(spec: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A JSON schema with properties, or oneOf variants that each have them."""
    schema = resolve(spec, schema)
    if "oneOf" in schema:
        return bool(schema["oneOf"]) and all(describes_something(spec, v) for v in schema["oneOf"])
    return bool(schema.get("properties"))


def undescribed_bodies(spec: dict[str, Any]) -> list[str]:
    missing = []
    for method, path, operation in operations(spec):
        for status, response in operation.get("responses", {}).items():
            if not status.startswith("2") or status == "204":
                continue
            where = f"{method.upper()} {path} {status}"
            content = response.get("content") or {}
            if not content:
                missing.append(f"{where}: no content type")
            for media_type, body in content.items():
                if "schema" not in body:
                    missing.append(f"{where} {media_type}: no schema")
                elif media_type == JSON and not describes_something(spec, body["schema"]):
                    missing.append(f"{where} {media_type}: an empty schema")
    return missing


def test_every_2xx_body_has_a_schema(spec):
    assert undescribed_bodies(spec) == []


def test_204_has_no_body(spec):
    for _, _, operation in operations(spec):
        assert "content" not in operation.get("responses", {}).get("204", {})


def test_lists_are_typed_pages(spec):
    for path in ("/tips", "/alerts", "/broadcasts", "/areas", "/areas/{area_id}/members",
                 "/help-resources"):  # fmt: skip
        body = spec["paths"][f"/api/v1{path}"]["get"]["responses"]["200"]["content"][JSON]
        page = resolve(spec, body["schema"])
        assert set(page["properties"]) == {"items", "next_cursor"}, path
        assert "$ref" in page["properties"]["items"]["items"], path


def test_role_views_are_one_of(spec):
    tip = resolve(spec, {"$ref": "#/components/schemas/TipView"})
    assert tip["oneOf"] == [{"$ref": "#/components/schemas/TipFull"},
                            {"$ref": "#/components/schemas/TipContactPerson"},
                            {"$ref": "#/components/schemas/TipMember"}]  # fmt: skip
    broadcast = resolve(spec, {"$ref": "#/components/schemas/BroadcastView"})
    police = resolve(spec, broadcast["oneOf"][0])
    member = resolve(spec, broadcast["oneOf"][1])
    assert {"author_id", "recipient_count"} <= set(police["properties"])
    assert not {"author_id", "recipient_count"} & set(member["properties"])


def test_the_check_catches_an_undescribed_body():
    spec = {"paths": {"/x": {"get": {"responses": {"200": {"description": "OK"}}}}}}
    assert undescribed_bodies(spec) == ["GET /x 200: no content type"]
