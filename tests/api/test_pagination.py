"""Keyset pagination (api/pagination.py): a cursor is the sort key of the last item handed
out, so rows added in front of it do not shift the next page; only the API's own cursors, for
the same list, are accepted."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from flask import Flask

from grannsamverkan.api import pagination
from grannsamverkan.extensions import db
from grannsamverkan.models import HelpResource
from tests.conftest import problem_of

HELP = "/api/v1/help-resources"
AREAS = "/api/v1/areas"
# Storgatan, Vimmerby: the areas of the ranked test lie north of it.
NEAR = (57.6663, 15.8557)


@pytest.fixture
def add_resource(app: Flask) -> Any:
    def add(name: str) -> int:
        with app.app_context():
            resource = HelpResource(
                name=name, topic="other", description="Stöd.", url="https://example.se"
            )
            db.session.add(resource)
            db.session.commit()
            return resource.id

    return add


def names(body: dict[str, Any]) -> list[str]:
    return [item["name"] for item in body["items"]]


def test_rows_added_before_the_cursor_do_not_shift_the_next_page(client, add_resource):
    for name in ("Bris", "Cancerfonden", "Dövas linje", "Exitlinjen"):
        add_resource(name)
    first = client.get(HELP, query_string={"limit": 2}).get_json()
    assert names(first) == ["Bris", "Cancerfonden"]
    add_resource("Aktiv mot våld")  # sorts first: an offset of 2 would repeat Cancerfonden
    second = client.get(HELP, query_string={"limit": 2, "cursor": first["next_cursor"]})
    assert names(second.get_json()) == ["Dövas linje", "Exitlinjen"]
    assert second.get_json()["next_cursor"] is None


def test_ranked_pages_continue_after_the_last_distance(client, make_user, make_area):
    user = make_user()
    ids = [
        make_area(name=name, center=(NEAR[0] + offset, NEAR[1]))
        for name, offset in (("Nära", 0.001), ("Mitt", 0.01), ("Långt", 0.05))
    ]
    query = {"near": f"{NEAR[0]},{NEAR[1]}", "limit": 1}
    first = client.get(AREAS, headers=user.headers, query_string=query).get_json()
    assert [a["id"] for a in first["items"]] == [ids[0].id]
    make_area(name="Närmast", center=NEAR)  # nearer than the cursor: not in later pages
    seen, cursor = [], first["next_cursor"]
    while cursor is not None:
        page = client.get(AREAS, headers=user.headers, query_string={**query, "cursor": cursor})
        seen += [a["id"] for a in page.get_json()["items"]]
        cursor = page.get_json()["next_cursor"]
    assert seen == [ids[1].id, ids[2].id]


def test_a_cursor_of_another_list_is_refused(client, make_user, add_resource):
    user = make_user()
    for name in ("A", "B", "C"):
        add_resource(name)
    cursor = client.get(HELP, query_string={"limit": 1}).get_json()["next_cursor"]
    response = client.get(AREAS, headers=user.headers, query_string={"cursor": cursor})
    assert "cursor" in problem_of(response, 422)["errors"]


@pytest.mark.parametrize(
    "cursor",
    [
        "nonsense",
        # A well-formed sort key that the API did not sign: a client must not pick its own.
        base64.urlsafe_b64encode(b">false~s:B~i:1").decode(),
        "eyJsaXN0IjoiaGVscC5saXN0X2hlbHBfcmVzb3VyY2VzIn0.forged.signature",
    ],
)
def test_cursors_the_api_did_not_make_are_422(client, add_resource, cursor):
    add_resource("A")
    response = client.get(HELP, query_string={"cursor": cursor})
    assert problem_of(response, 422)["errors"]["cursor"] == [pagination.NOT_A_CURSOR]


def test_an_old_cursor_is_422(client, add_resource, monkeypatch):
    for name in ("A", "B"):
        add_resource(name)
    cursor = client.get(HELP, query_string={"limit": 1}).get_json()["next_cursor"]
    monkeypatch.setattr(pagination, "CURSOR_MAX_AGE", -1)
    problem_of(client.get(HELP, query_string={"cursor": cursor}), 422)
