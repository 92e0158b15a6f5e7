"""Help resources: public to read, managed by police of the municipality; national by admins."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from grannsamverkan.demo import seed_demo
from grannsamverkan.extensions import db
from grannsamverkan.models import HelpResource
from tests.conftest import problem_of

HOME = "0884"  # Vimmerby
OTHER = "0860"  # Hultsfred

URL = "/api/v1/help-resources"
ROLES = ("anonymous", "resident", "police", "police_elsewhere", "admin")


def _resource(**fields: Any) -> dict[str, Any]:
    return {
        "name": "Kvinnojouren Vimmerby",
        "topic": "violence_in_close_relationships",
        "description": "Stöd till kvinnor och barn.",
        "url": "https://example.se/kvinnojour",
        "municipality_code": HOME,
        **fields,
    }


@pytest.fixture
def add_resource(app: Flask) -> Any:
    def add(**fields: Any) -> int:
        values = {
            "name": "Stödlinje",
            "topic": "crime_victims",
            "description": "Stöd.",
            "phone": None,
            "url": "https://example.se",
            "municipality_code": None,
            **fields,
        }
        with app.app_context():
            resource = HelpResource(**values)
            db.session.add(resource)
            db.session.commit()
            return resource.id

    return add


@pytest.fixture
def headers_for(make_user: Any) -> Any:
    def headers(role: str) -> dict[str, str]:
        if role == "anonymous":
            return {}
        if role == "resident":
            return make_user().headers
        if role == "police":
            return make_user(role="police", municipality_codes=[HOME]).headers
        if role == "police_elsewhere":
            return make_user(role="police", municipality_codes=[OTHER]).headers
        return make_user(role="admin").headers

    return headers


# --- reading -------------------------------------------------------------------------------


def test_anyone_reads_without_a_token(client: Any, add_resource: Any) -> None:
    add_resource(name="Nationell linje", phone="020-50 50 50")
    response = client.get(URL)
    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert item["name"] == "Nationell linje"
    assert item["phone"] == "020-50 50 50"
    assert item["national"] is True
    assert item["municipality_code"] is None
    assert set(item) >= {"id", "topic", "description", "url", "opening_hours", "created_at"}
    single = client.get(f"{URL}/{item['id']}")
    assert single.status_code == 200
    assert single.get_json()["name"] == "Nationell linje"
    problem_of(client.get(f"{URL}/999999"), 404)


def test_municipality_filter_gives_national_and_its_own(client: Any, add_resource: Any) -> None:
    add_resource(name="B national")
    add_resource(name="A home", municipality_code=HOME)
    add_resource(name="C other", municipality_code=OTHER)

    names = [i["name"] for i in client.get(f"{URL}?municipality_code={HOME}").get_json()["items"]]
    # National ones first, then the municipality's own.
    assert names == ["B national", "A home"]
    all_names = [i["name"] for i in client.get(URL).get_json()["items"]]
    assert sorted(all_names) == ["A home", "B national", "C other"]


def test_topic_filter(client: Any, add_resource: Any) -> None:
    add_resource(name="Violence", topic="violence_in_close_relationships")
    add_resource(name="Fraud", topic="fraud_victims", municipality_code=HOME)
    add_resource(name="Fraud elsewhere", topic="fraud_victims", municipality_code=OTHER)

    query = f"{URL}?topic=fraud_victims&municipality_code={HOME}"
    assert [i["name"] for i in client.get(query).get_json()["items"]] == ["Fraud"]
    query = f"{URL}?topic=violence_in_close_relationships"
    assert [i["name"] for i in client.get(query).get_json()["items"]] == ["Violence"]


def test_list_is_paginated(client: Any, add_resource: Any) -> None:
    for n in range(3):
        add_resource(name=f"Line {n}")
    first = client.get(f"{URL}?limit=2").get_json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = client.get(f"{URL}?limit=2&cursor={first['next_cursor']}").get_json()
    assert [i["name"] for i in second["items"]] == ["Line 2"]
    assert second["next_cursor"] is None


@pytest.mark.parametrize(
    "query", ["topic=weather", "municipality_code=884", "municipality_code=abcd"]
)
def test_bad_filters_are_422(client: Any, query: str) -> None:
    problem_of(client.get(f"{URL}?{query}"), 422)


# --- permissions: roles × (municipal, national) × (POST, PATCH, DELETE) ---------------------

# (role, municipal resource of 0884, national resource) -> status for create/change/delete
EXPECTED = {
    "anonymous": (401, 401),
    "resident": (403, 403),
    "police": ("ok", 403),
    "police_elsewhere": (403, 403),
    "admin": ("ok", "ok"),
}


def _expected(role: str, national: bool, ok: int) -> int:
    status = EXPECTED[role][1 if national else 0]
    return ok if status == "ok" else status


@pytest.mark.parametrize("national", [False, True], ids=["municipal", "national"])
@pytest.mark.parametrize("role", ROLES)
def test_create(client: Any, headers_for: Any, role: str, national: bool) -> None:
    body = _resource(municipality_code=None if national else HOME)
    response = client.post(URL, json=body, headers=headers_for(role))
    status = _expected(role, national, 201)
    if status != 201:
        problem_of(response, status)
        assert client.get(URL).get_json()["items"] == []
        return
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["municipality_code"] == (None if national else HOME)
    assert created["name"] == body["name"]
    assert created["phone"] is None


def test_national_is_the_default_on_create(client: Any, headers_for: Any) -> None:
    body = _resource()
    del body["municipality_code"]
    problem_of(client.post(URL, json=body, headers=headers_for("police")), 403)
    response = client.post(URL, json=body, headers=headers_for("admin"))
    assert response.status_code == 201
    assert response.get_json()["national"] is True


@pytest.mark.parametrize("national", [False, True], ids=["municipal", "national"])
@pytest.mark.parametrize("role", ROLES)
def test_patch(client: Any, headers_for: Any, add_resource: Any, role: str, national: bool) -> None:
    resource_id = add_resource(municipality_code=None if national else HOME)
    response = client.patch(
        f"{URL}/{resource_id}", json={"opening_hours": "Vardagar 9–16"}, headers=headers_for(role)
    )
    status = _expected(role, national, 200)
    after = client.get(f"{URL}/{resource_id}").get_json()
    if status != 200:
        problem_of(response, status)
        assert after["opening_hours"] is None
        return
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["opening_hours"] == "Vardagar 9–16"
    assert after["opening_hours"] == "Vardagar 9–16"


@pytest.mark.parametrize("national", [False, True], ids=["municipal", "national"])
@pytest.mark.parametrize("role", ROLES)
def test_delete(
    client: Any, headers_for: Any, add_resource: Any, role: str, national: bool
) -> None:
    resource_id = add_resource(municipality_code=None if national else HOME)
    response = client.delete(f"{URL}/{resource_id}", headers=headers_for(role))
    status = _expected(role, national, 204)
    if status != 204:
        problem_of(response, status)
        assert client.get(f"{URL}/{resource_id}").status_code == 200
        return
    assert response.status_code == 204
    problem_of(client.get(f"{URL}/{resource_id}"), 404)


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_unknown_id_is_404(client: Any, headers_for: Any, method: str) -> None:
    kwargs = {"json": {"name": "x"}} if method == "patch" else {}
    response = getattr(client, method)(f"{URL}/424242", headers=headers_for("admin"), **kwargs)
    problem_of(response, 404)


def test_police_cannot_move_a_resource_out_of_their_municipalities(
    client: Any, headers_for: Any, add_resource: Any
) -> None:
    resource_id = add_resource(municipality_code=HOME)
    police = headers_for("police")
    for target in (OTHER, None):
        response = client.patch(
            f"{URL}/{resource_id}", json={"municipality_code": target}, headers=police
        )
        problem_of(response, 403)
    assert client.get(f"{URL}/{resource_id}").get_json()["municipality_code"] == HOME
    # Admins may make it national.
    response = client.patch(
        f"{URL}/{resource_id}", json={"municipality_code": None}, headers=headers_for("admin")
    )
    assert response.status_code == 200
    assert response.get_json()["national"] is True


# --- validation ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"topic": "weather"}, "topic"),
        ({"topic": None}, "topic"),
        ({"description": ""}, "description"),
        ({"phone": "ring mig"}, "phone"),
        ({"phone": "020-50 50 50 eller 112"}, "phone"),
        ({"url": "ftp://example.se"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"municipality_code": "884"}, "municipality_code"),
        ({"opening_hours": "x" * 201}, "opening_hours"),
        ({"phone": None, "url": None}, "phone"),
        ({"unexpected": 1}, "unexpected"),
    ],
)
def test_create_validation(client: Any, headers_for: Any, changes: dict, field: str) -> None:
    body = {**_resource(), **changes}
    response = client.post(URL, json=body, headers=headers_for("police"))
    assert field in problem_of(response, 422)["errors"]


@pytest.mark.parametrize("missing", ["name", "topic", "description"])
def test_create_requires_fields(client: Any, headers_for: Any, missing: str) -> None:
    body = _resource()
    del body[missing]
    response = client.post(URL, json=body, headers=headers_for("police"))
    assert missing in problem_of(response, 422)["errors"]


def test_patch_validation(client: Any, headers_for: Any, add_resource: Any) -> None:
    resource_id = add_resource(municipality_code=HOME, phone=None, url="https://example.se")
    police = headers_for("police")
    problem_of(client.patch(f"{URL}/{resource_id}", json={}, headers=police), 422)
    response = client.patch(f"{URL}/{resource_id}", json={"topic": "weather"}, headers=police)
    assert "topic" in problem_of(response, 422)["errors"]
    # Removing its only way of contact is refused, and nothing changes.
    response = client.patch(f"{URL}/{resource_id}", json={"url": None}, headers=police)
    assert "phone" in problem_of(response, 422)["errors"]
    assert client.get(f"{URL}/{resource_id}").get_json()["url"] == "https://example.se"
    response = client.patch(
        f"{URL}/{resource_id}", json={"url": None, "phone": "0492-123 45"}, headers=police
    )
    assert response.status_code == 200
    assert response.get_json()["phone"] == "0492-123 45"


# --- demo data -----------------------------------------------------------------------------


def test_demo_seeds_checked_national_help_lines(app: Flask, client: Any) -> None:
    with app.app_context():
        list(seed_demo())
        list(seed_demo())  # a second run adds nothing twice
    items = client.get(f"{URL}?municipality_code={HOME}").get_json()["items"]
    by_name = {item["name"]: item for item in items}
    assert len(by_name) == len(items)
    line = by_name["Kvinnofridslinjen"]
    assert line["phone"] == "020-50 50 50"
    assert line["topic"] == "violence_in_close_relationships"
    assert line["national"] is True
    phones = {item["phone"] for item in items}
    assert {"112", "114 14", "116 006"} <= phones
    violence = client.get(f"{URL}?topic=violence_in_close_relationships").get_json()["items"]
    assert [item["phone"] for item in violence] == ["020-50 50 50"]
