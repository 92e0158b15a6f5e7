"""Broadcast bodies are validated: problem+json 422 naming the field, and nothing is sent."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Broadcast
from tests.broadcasts.conftest import API, iso, soon, training, warning
from tests.conftest import problem_of


@pytest.fixture
def app_config() -> dict[str, Any]:
    """No push sink: nothing here is sent."""
    return {}


@pytest.fixture
def police(make_user, make_area, add_member) -> Any:
    """Police of Vimmerby, and one member there so that broadcasts reach someone."""
    area = make_area()
    add_member(make_user(home=(57.6663, 15.8557)), area)
    return make_user(role="police", municipality_codes=["0884"])


def _event(**changes: Any) -> dict[str, Any]:
    body = training()
    body["event"].update(changes)
    return body


CREATE_CASES = [
    ("no-target", warning(target={}), {"target"}),
    ("empty-lists", warning(target={"municipality_codes": [], "area_ids": []}), {"target"}),
    (
        "small-circle",
        warning(target={"circle": {"lat": 57.66, "lon": 15.85, "radius_m": 99}}),
        {"target"},
    ),
    (
        "huge-circle",
        warning(target={"circle": {"lat": 57.66, "lon": 15.85, "radius_m": 50_001}}),
        {"target"},
    ),
    ("bad-code", warning(target={"municipality_codes": ["884"]}), {"target"}),
    ("kind", warning(kind="party"), {"kind"}),
    ("severity", warning(severity="extreme"), {"severity"}),
    ("blank-title", warning(title="  "), {"title"}),
    ("long-title", warning(title="x" * 201), {"title"}),
    ("long-body", warning(body="x" * 4001), {"body"}),
    ("event-missing", training(event=None), {"event"}),
    ("event-on-warning", warning(event=training()["event"]), {"event"}),
    ("ends-before-start", _event(ends_at=iso(soon(hours=1))), {"event"}),
    ("capacity-0", _event(capacity=0), {"event"}),
    ("capacity-10001", _event(capacity=10_001), {"event"}),
    ("topic", _event(topic="party"), {"event"}),
    ("unknown", warning(is_admin=True), {"is_admin"}),
    ("unknown-in-target", warning(target={"municipality_codes": ["0884"], "x": 1}), {"target"}),
]


@pytest.mark.parametrize(
    ("body", "fields"), [c[1:] for c in CREATE_CASES], ids=[c[0] for c in CREATE_CASES]
)
def test_invalid_create_is_422_naming_the_field(app, client, police, body, fields):
    answer = problem_of(client.post(f"{API}/broadcasts", json=body, headers=police.headers), 422)
    assert answer["type"] == "urn:grannsamverkan:problem:validation"
    assert fields <= set(answer["errors"]), answer["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count(Broadcast.id))) == 0
        assert db.session.scalar(select(func.count(Alert.id))) == 0


def test_nested_errors_name_the_inner_field(client, police):
    cases = [
        (warning(target={}), ["target", "municipality_codes"]),
        (
            warning(target={"circle": {"lat": 57.6, "lon": 15.8, "radius_m": 50}}),
            ["target", "circle", "radius_m"],
        ),
        (_event(ends_at=iso(soon(hours=1))), ["event", "ends_at"]),
        (_event(capacity=0), ["event", "capacity"]),
        (warning(target={"area_ids": [1], "x": 1}), ["target", "x"]),
    ]
    for body, path in cases:
        errors = problem_of(
            client.post(f"{API}/broadcasts", json=body, headers=police.headers), 422
        )["errors"]
        for key in path:
            assert key in errors, (path, errors)
            errors = errors[key]


def test_rules_checked_by_the_service(client, police):
    cases = [
        (warning(expires_at=iso(soon(hours=-1))), "expires_at"),
        (_event(starts_at=iso(soon(hours=-2)), ends_at=iso(soon(hours=1))), "event.starts_at"),
        (warning(target={"area_ids": [987_654]}), "target.area_ids"),
    ]
    for body, field in cases:
        answer = client.post(f"{API}/broadcasts", json=body, headers=police.headers)
        assert field in problem_of(answer, 422)["errors"]


def test_invalid_patch_is_422(client, police, send):
    warned = send(police, warning())
    event = send(police, training())
    cases = [
        (warned, {}, "_schema"),
        (warned, {"is_admin": True}, "is_admin"),
        (warned, {"title": ""}, "title"),
        (warned, {"severity": "extreme"}, "severity"),
        (warned, {"event": {"capacity": 3}}, "event"),
        (warned, {"expires_at": iso(soon(hours=-1))}, "expires_at"),
        (event, {"event": {"capacity": 0}}, "event"),
        (event, {"event": {"ends_at": iso(soon(hours=1))}}, "event.ends_at"),
        (event, {"event": {"starts_at": iso(soon(days=30))}}, "event.ends_at"),
        (event, {"kind": "notice"}, "kind"),
        (event, {"target": {"municipality_codes": ["0884"]}}, "target"),
    ]
    for broadcast, body, field in cases:
        r = client.patch(f"{API}/broadcasts/{broadcast['id']}", json=body, headers=police.headers)
        assert field in problem_of(r, 422)["errors"], (body, r.json)
    # Nothing was changed by the refused requests.
    for broadcast in (warned, event):
        seen = client.get(f"{API}/broadcasts/{broadcast['id']}", headers=police.headers).json
        assert (seen["sequence"], seen["status"]) == (0, "active")


def test_expiry_can_be_moved_and_cleared(client, police, send):
    warned = send(police, warning(expires_at=iso(soon(days=2))))
    later = soon(days=7).replace(microsecond=0)
    r = client.patch(
        f"{API}/broadcasts/{warned['id']}",
        json={"expires_at": iso(later)},
        headers=police.headers,
    )
    assert r.json["expires_at"] == iso(later)
    r = client.patch(
        f"{API}/broadcasts/{warned['id']}", json={"expires_at": None}, headers=police.headers
    )
    assert r.json["expires_at"] is None
    assert r.json["sequence"] == 2
