"""The stub client against the real server on a loopback socket (the CLI: test_cli.py)."""

from __future__ import annotations

from typing import Any

import pytest

from mobile_client_stub.client import ApiError, GrannsamverkanClient, iter_pages
from tests.conftest import PASSWORD

SPOT = (57.6663, 15.8557)
NEAR_SPOT = (57.6670, 15.8560)  # about 80 m north of SPOT


def _signed_up(client: GrannsamverkanClient, email: str, name: str = "Anna") -> dict[str, Any]:
    user = client.register(email, PASSWORD, name, locale="sv")
    client.login(email, PASSWORD)
    return user


def test_register_login_me_logout(make_client: Any) -> None:
    client = make_client()
    user = client.register("anna@example.se", PASSWORD, "Anna Andersson")
    assert user["email"] == "anna@example.se"
    assert user["role"] == "resident"
    assert client.token is None

    answer = client.login("anna@example.se", PASSWORD)
    assert answer["token_type"] == "Bearer"
    assert client.token == answer["access_token"]

    me = client.me()
    assert me["id"] == user["id"]
    assert me["name"] == "Anna Andersson"
    assert me["memberships"] == []

    assert client.update_me(alert_radius_m=500, quiet_hours=None)["alert_radius_m"] == 500

    token = client.token
    assert client.logout() is None
    assert client.token is None
    with pytest.raises(ApiError) as caught:
        make_client(token).me()
    assert caught.value.status == 401


def test_duplicate_register_and_wrong_password(make_client: Any) -> None:
    client = make_client()
    client.register("anna@example.se", PASSWORD, "Anna")
    with pytest.raises(ApiError) as duplicate:
        client.register("anna@example.se", PASSWORD, "Anna")
    assert duplicate.value.status == 409
    with pytest.raises(ApiError) as wrong:
        client.login("anna@example.se", "not the password at all")
    assert wrong.value.status == 401
    assert wrong.value.detail
    assert client.token is None


def test_set_home_and_devices(make_client: Any) -> None:
    client = make_client()
    _signed_up(client, "anna@example.se")

    assert client.set_home(lat=SPOT[0], lon=SPOT[1])["home"] == {"lat": SPOT[0], "lon": SPOT[1]}
    assert client.me()["home"]["lat"] == SPOT[0]
    client.set_home(protected=True)
    assert client.me()["home"] is None

    token = "stub-device/with:odd chars"
    device = client.register_device(token, "ios")
    assert device["token"] == token
    assert device["platform"] == "ios"
    assert client.register_device(token, "ios")["token"] == token  # 200: already registered
    assert client.remove_device(token) is None


def test_area_join_tip_alert_flow(make_client: Any, make_user: Any) -> None:
    police = make_client(make_user(role="police", municipality_codes=["0884"]).token)
    area = police.create_area("Storgatan", "0884", SPOT)
    assert area["municipality_code"] == "0884"

    reporter = make_client()
    me = _signed_up(reporter, "anna@example.se")
    pending = reporter.request_to_join(area["id"])
    assert pending["status"] == "pending"
    with pytest.raises(ApiError) as again:
        reporter.request_to_join(area["id"])
    assert again.value.status == 409

    approved = police.set_member(area["id"], me["id"], "active")
    assert approved["status"] == "active"
    members = police.list_members(area["id"])["items"]
    assert [m["user_id"] for m in members] == [me["id"]]
    assert reporter.me()["memberships"][0]["status"] == "active"

    neighbour = make_client()
    _signed_up(neighbour, "bertil@example.se", "Bertil")
    neighbour.set_home(lat=NEAR_SPOT[0], lon=NEAR_SPOT[1])
    police.set_member(area["id"], neighbour.me()["id"], "active")

    tip = reporter.send_tip(
        "burglary",
        "Two men tried the back door of number 12.",
        lat=SPOT[0],
        lon=SPOT[1],
        vehicle={"registration": "ABC123"},
        idempotency_key="tip-1",
    )
    assert "112" in tip["guidance"]
    assert tip["alert"] is not None
    assert tip["alert"]["recipient_count"] >= 1
    # A retry with the same key returns the first answer.
    retry = reporter.send_tip(
        "burglary",
        "Two men tried the back door of number 12.",
        lat=SPOT[0],
        lon=SPOT[1],
        vehicle={"registration": "ABC123"},
        idempotency_key="tip-1",
    )
    assert retry["id"] == tip["id"]

    inbox = neighbour.alerts()["items"]
    assert [a["id"] for a in inbox] == [tip["alert"]["id"]]
    assert inbox[0]["kind"] == "tip"
    assert inbox[0]["read_at"] is None
    assert neighbour.read_alert(tip["alert"]["id"]) is None
    assert neighbour.alerts()["items"][0]["read_at"] is not None
    assert reporter.alerts()["items"] == []  # never alerted about one's own tip

    assert [t["id"] for t in reporter.list_tips()["items"]] == [tip["id"]]
    assert [t["id"] for t in police.list_tips(category="burglary")["items"]] == [tip["id"]]
    triaged = police.update_tip(tip["id"], "investigating", note="Patrol sent.")
    assert triaged["status"] == "investigating"
    assert police.tip_deliveries(tip["id"])["counts"] is not None


def test_invitation_from_contact_person(
    make_client: Any, make_user: Any, make_area: Any, add_member: Any
) -> None:
    area = make_area()
    contact = make_user()
    add_member(contact, area, role="contact_person")
    invitation = make_client(contact.token).create_invitation(area.id)
    assert invitation["token"]

    invited = make_client()
    _signed_up(invited, "cecilia@example.se")
    assert invited.accept_invitation(invitation["token"])["status"] == "active"
    with pytest.raises(ApiError) as forged:
        invited.accept_invitation(invitation["token"] + "x")
    assert forged.value.status == 400


def test_bad_tip_raises_problem_with_field_errors(
    make_client: Any, make_user: Any, make_area: Any, add_member: Any
) -> None:
    member = make_user()
    add_member(member, make_area())
    client = make_client(member.token)

    with pytest.raises(ApiError) as caught:
        client.send_tip("not-a-category", "", lat=SPOT[0], lon=SPOT[1])
    error = caught.value
    assert error.status == 422
    assert error.body["status"] == 422
    assert error.type == "urn:grannsamverkan:problem:validation"
    assert error.title
    assert error.detail
    assert {"category", "description"} <= set(error.errors)
    assert "422" in str(error)

    with pytest.raises(ApiError) as no_location:
        client.send_tip("burglary", "Someone at the door.")
    assert no_location.value.status == 422
    assert "location" in no_location.value.errors


def test_not_a_member_gets_403(make_client: Any) -> None:
    client = make_client()
    _signed_up(client, "anna@example.se")
    with pytest.raises(ApiError) as caught:
        client.send_tip("burglary", "Someone at the door.", lat=SPOT[0], lon=SPOT[1])
    assert caught.value.status == 403


def test_iter_pages_follows_cursors(make_client: Any, make_user: Any) -> None:
    police = make_client(make_user(role="police", municipality_codes=["0884"]).token)
    created = [police.create_area(f"Gata {n}", "0884", SPOT)["id"] for n in range(3)]

    first = police.list_areas(municipality_code="0884", limit=1)
    assert len(first["items"]) == 1
    assert first["next_cursor"]

    seen = [a["id"] for a in iter_pages(police.list_areas, municipality_code="0884", limit=1)]
    assert sorted(seen) == sorted(created)
    near = list(iter_pages(police.list_areas, near=SPOT, limit=2))
    assert {a["id"] for a in near} == set(created)


def test_healthz_and_openapi(make_client: Any) -> None:
    client = make_client()
    assert client.healthz() == {"status": "ok"}
    assert "/api/v1/tips" in client.openapi()["paths"]


# --- the CLI ----------------------------------------------------------------------------------
