"""The stub client and CLI against the real server on a loopback socket."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mobile_client_stub.client import ApiError, GrannsamverkanClient, iter_pages
from tests.conftest import PASSWORD

SPOT = (57.6663, 15.8557)
NEAR_SPOT = (57.6670, 15.8560)  # about 80 m north of SPOT
REPO = Path(__file__).resolve().parents[2]


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


def _cli(url: str, token_file: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mobile_client_stub",
            "--server",
            url,
            "--token-file",
            str(token_file),
            *args,
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=False,
    )


def test_cli_end_to_end(
    live_url: str,
    tmp_path: Path,
    make_user: Any,
    make_area: Any,
    add_member: Any,
    make_client: Any,
) -> None:
    token_file = tmp_path / "token"

    registered = _cli(
        live_url,
        token_file,
        "register",
        "--email",
        "dora@example.se",
        "--name",
        "Dora",
        "--password",
        PASSWORD,
    )
    assert registered.returncode == 0, registered.stderr
    assert json.loads(registered.stdout)["email"] == "dora@example.se"

    wrong = _cli(
        live_url,
        token_file,
        "login",
        "--email",
        "dora@example.se",
        "--password",
        "wrong password here",
    )
    assert wrong.returncode == 1
    assert "error 401" in wrong.stderr
    assert not token_file.exists()

    logged_in = _cli(
        live_url, token_file, "login", "--email", "dora@example.se", "--password", PASSWORD
    )
    assert logged_in.returncode == 0, logged_in.stderr
    assert json.loads(logged_in.stdout)["token_type"] == "Bearer"
    token = token_file.read_text().strip()
    assert token
    assert token not in logged_in.stdout
    assert token_file.stat().st_mode & 0o077 == 0

    me = _cli(live_url, token_file, "me")
    assert me.returncode == 0, me.stderr
    me_body = json.loads(me.stdout)
    assert me_body["email"] == "dora@example.se"

    home = _cli(
        live_url, token_file, "set-home", "--lat", str(NEAR_SPOT[0]), "--lon", str(NEAR_SPOT[1])
    )
    assert home.returncode == 0, home.stderr

    empty = _cli(live_url, token_file, "inbox")
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout) == {"items": [], "next_cursor": None}

    # Someone in Dora's area reports a tip; Dora's inbox shows it.
    area = make_area()
    reporter = make_user()
    add_member(reporter, area)
    police = make_client(make_user(role="police", municipality_codes=["0884"]).token)
    police.set_member(area.id, me_body["id"], "active")
    tip = make_client(reporter.token).send_tip(
        "burglary", "Broken window.", lat=SPOT[0], lon=SPOT[1]
    )
    alert_id = tip["alert"]["id"]

    inbox = _cli(live_url, token_file, "inbox")
    assert inbox.returncode == 0, inbox.stderr
    assert [a["id"] for a in json.loads(inbox.stdout)["items"]] == [alert_id]

    read = _cli(live_url, token_file, "read", str(alert_id))
    assert read.returncode == 0, read.stderr
    assert read.stdout == ""

    areas = _cli(
        live_url, token_file, "areas", "--municipality", "0884", "--near", f"{SPOT[0]},{SPOT[1]}"
    )
    assert areas.returncode == 0, areas.stderr
    assert [a["id"] for a in json.loads(areas.stdout)["items"]] == [area.id]

    bad_tip = _cli(live_url, token_file, "tip", "nonsense", "x", "--lat", "57.6", "--lon", "15.8")
    assert bad_tip.returncode == 1
    assert "error 422" in bad_tip.stderr
    assert "category" in bad_tip.stderr

    logged_out = _cli(live_url, token_file, "logout")
    assert logged_out.returncode == 0, logged_out.stderr
    assert not token_file.exists()
    after = _cli(live_url, token_file, "me")
    assert after.returncode == 1
    assert "error 401" in after.stderr


def test_cli_usage_errors_and_unreachable_server(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    usage = _cli("http://127.0.0.1:9", token_file, "set-home", "--lat", "57.6")
    assert usage.returncode == 2
    assert "--lon" in usage.stderr
    down = _cli("http://127.0.0.1:9", token_file, "me")
    assert down.returncode == 1
    assert "could not reach" in down.stderr
