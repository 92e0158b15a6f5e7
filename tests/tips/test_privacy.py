"""Privacy: nothing a member is shown about a tip carries a fine point, the reporter, or the
plates, phone numbers and e-mail addresses written in it (DESIGN.md privacy rules)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grannsamverkan.geo.coarsen import coarsen, is_coarse
from grannsamverkan.services.privacy import coarse_count
from tests.tips.conftest import SPOT, offset

COORDINATE_KEYS = {"lat", "lon", "latitude", "longitude"}
LAT_KEYS = {"lat", "latitude"}
# A cell centre to pair a lone coordinate with, so that is_coarse judges that one alone.
COARSE_PARTNER = coarsen(*SPOT)
IDENTITY_KEYS = {"reporter", "reporter_id", "user_id", "reporter_user_id", "author_id"}

# A raw point with six decimals (about 0.1 m), inside the area around SPOT.
RAW_POINT = (57.666312, 15.855744)
REPORTER_NAME = "Rebecka Reporterdotter"
DESCRIPTION = (
    "En bil med reg ABC 123 har stått här i två timmar. Föraren ringde 070-123 45 67 "
    "och skrev till anna@example.se."
)
VEHICLE = {"registration": "XYZ 789", "description": "röd Volvo, ring 08-123 456 78"}
# Each secret in the forms it could come back in.
SECRETS = (
    "ABC 123",
    "ABC123",
    "XYZ 789",
    "XYZ789",
    "070-123 45 67",
    "0701234567",
    "08-123 456 78",
    "0812345678",
    "anna@example.se",
    str(RAW_POINT[0]),
    str(RAW_POINT[1]),
)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _coordinate_is_coarse(key: str, value: float) -> bool:
    if key in LAT_KEYS:
        return is_coarse(value, COARSE_PARTNER["lon"])
    return is_coarse(COARSE_PARTNER["lat"], value)


def _field_leaks(key: str, value: Any, here: str, reporter: Any) -> list[str]:
    """What one field of a member-facing body leaks by itself."""
    leaks = []
    if key in COORDINATE_KEYS:
        for number in value if isinstance(value, list) else [value]:
            if _is_number(number) and not _coordinate_is_coarse(key, number):
                leaks.append(f"fine coordinate {here} = {number}")
    if key in IDENTITY_KEYS and value is not None:
        if key == "reporter" or value == reporter.id:
            leaks.append(f"reporter identity {here} = {value!r}")
    return leaks


def privacy_leaks(body: Any, *, reporter: Any, reporter_name: str) -> list[str]:
    """Everything in a member-facing JSON body that breaks the privacy rules."""
    leaks: list[str] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{path}.{key}"
                leaks.extend(_field_leaks(key.lower(), value, here, reporter))
                walk(value, here)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    walk(body, "$")
    text = json.dumps(body, ensure_ascii=False)
    for secret in (*SECRETS, reporter_name, reporter.email):
        if secret.lower() in text.lower():
            leaks.append(f"{secret!r} in the text")
    return leaks


def test_the_leak_finder_finds_leaks():
    """The checker itself must be able to fail, or the tests below prove nothing."""

    class Someone:
        id = 7
        email = "user7@example.se"

    clean = {
        "items": [{"location": coarsen(*RAW_POINT), "body": "reg [dolt]", "user_id": 8}],
        "center": coarsen(*SPOT),
    }
    assert privacy_leaks(clean, reporter=Someone, reporter_name="Rut") == []
    dirty = [
        {"location": {"lat": RAW_POINT[0], "lon": COARSE_PARTNER["lon"]}},
        {"deep": [{"longitude": [COARSE_PARTNER["lon"], 15.8557]}]},
        {"lat": 57.6663},
        {"reporter": {"id": 7}},
        {"reporter_id": 7},
        {"user_id": 7},
        {"body": "ring 070-123 45 67"},
        {"body": "Rut såg det"},
        {"body": "mejla USER7@example.se"},
        {"vehicle": {"registration": "XYZ 789"}},
    ]
    for body in dirty:
        assert privacy_leaks(body, reporter=Someone, reporter_name="Rut"), body


@pytest.fixture
def scene(make_user, make_area, add_member, client):
    """A reporter's suspicious-vehicle tip, a neighbour who is alerted, and those who see it
    in full."""
    area = make_area(center=SPOT)
    people = {
        "reporter": make_user(home=offset(SPOT, 20), name=REPORTER_NAME),
        "neighbour": make_user(home=offset(RAW_POINT, 300)),
        "far_member": make_user(home=offset(SPOT, 5000)),
        "contact": make_user(),
        "police": make_user(role="police", municipality_codes=["0884"]),
    }
    for name in ("reporter", "neighbour", "far_member"):
        add_member(people[name], area)
    add_member(people["contact"], area, role="contact_person")
    response = client.post(
        "/api/v1/tips",
        json={
            "category": "suspicious_vehicle",
            "description": DESCRIPTION,
            "location": {"lat": RAW_POINT[0], "lon": RAW_POINT[1]},
            "vehicle": VEHICLE,
        },
        headers=people["reporter"].headers,
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    tip = response.get_json()
    assert tip["alert"]["recipient_count"] == coarse_count(2)  # the neighbour, the contact
    return {"area": area, "tip": tip, **people}


def member_responses(client, scene) -> dict[str, Any]:
    """Every response of the tips feature a member who was alerted gets."""
    headers = scene["neighbour"].headers
    tip_id, area_id = scene["tip"]["id"], scene["area"].id
    paths = {
        "alerts": "/api/v1/alerts",
        "tip": f"/api/v1/tips/{tip_id}",
        "tips": "/api/v1/tips",
        "areas": "/api/v1/areas",
        "areas_near": f"/api/v1/areas?near={RAW_POINT[0]},{RAW_POINT[1]}",
        "area": f"/api/v1/areas/{area_id}",
    }
    bodies = {}
    for name, path in paths.items():
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.get_data(as_text=True))
        bodies[name] = response.get_json()
    return bodies


def test_member_facing_responses_carry_no_fine_point_reporter_or_contact_details(client, scene):
    bodies = member_responses(client, scene)
    tip_id = scene["tip"]["id"]

    # The member really sees the tip: the checks below walk real content.
    [alert] = bodies["alerts"]["items"]
    assert alert["id"] == scene["tip"]["alert"]["id"]
    assert alert["location"] == coarsen(*RAW_POINT)
    assert "[dolt]" in alert["body"]
    member_view = bodies["tip"]
    assert member_view["id"] == tip_id
    assert member_view["location"] == coarsen(*RAW_POINT)
    assert member_view["vehicle"]["registration"] == "[dolt]"
    assert member_view["vehicle"]["description"].startswith("röd Volvo")
    assert "reporter" not in member_view
    assert "address" not in member_view
    assert bodies["tips"] == {"items": [], "next_cursor": None}  # only one's own tips
    assert [a["id"] for a in bodies["areas"]["items"]] == [scene["area"].id]
    assert bodies["area"]["id"] == scene["area"].id
    assert "boundary" not in bodies["area"]

    for name, body in bodies.items():
        leaks = privacy_leaks(body, reporter=scene["reporter"], reporter_name=REPORTER_NAME)
        assert leaks == [], (name, body)


def test_police_and_the_contact_person_see_the_tip_in_full(client, scene):
    for who in ("police", "contact"):
        check_full_view(client, scene, who)


def check_full_view(client, scene, who):
    response = client.get(f"/api/v1/tips/{scene['tip']['id']}", headers=scene[who].headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    full = response.get_json()
    if who == "contact":
        # The area's contact persons see the coarsened point, as on the console's maps.
        assert full["location"] == coarsen(*RAW_POINT)
        full["location"] = {"lat": RAW_POINT[0], "lon": RAW_POINT[1]}  # the walk below
    assert full["location"] == {"lat": RAW_POINT[0], "lon": RAW_POINT[1]}
    assert full["reporter"] == {
        "id": scene["reporter"].id,
        "name": REPORTER_NAME,
        "email": scene["reporter"].email,
    }
    assert full["description"] == DESCRIPTION
    assert full["vehicle"] == VEHICLE
    # The same walk flags all of it: the member responses above passed for a reason.
    leaks = privacy_leaks(full, reporter=scene["reporter"], reporter_name=REPORTER_NAME)
    assert any("fine coordinate" in leak for leak in leaks)
    assert any("reporter identity" in leak for leak in leaks)
    assert any("'ABC 123'" in leak for leak in leaks)
    assert any("'XYZ 789'" in leak for leak in leaks)


def test_police_list_carries_the_full_view(client, scene):
    response = client.get("/api/v1/tips", headers=scene["police"].headers)
    assert response.status_code == 200
    [item] = response.get_json()["items"]
    assert item["location"] == {"lat": RAW_POINT[0], "lon": RAW_POINT[1]}
    assert item["reporter"]["id"] == scene["reporter"].id


def test_a_member_who_was_not_alerted_cannot_read_the_tip(client, scene):
    response = client.get(f"/api/v1/tips/{scene['tip']['id']}", headers=scene["far_member"].headers)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
    assert client.get("/api/v1/alerts", headers=scene["far_member"].headers).get_json() == {
        "items": [],
        "next_cursor": None,
    }


def test_the_english_inbox_is_as_private(client, scene, app):
    from grannsamverkan.extensions import db
    from grannsamverkan.models import User

    with app.app_context():
        db.session.get(User, scene["neighbour"].id).locale = "en"
        db.session.commit()
    body = client.get("/api/v1/alerts", headers=scene["neighbour"].headers).get_json()
    assert body["items"][0]["title"] == "Suspicious vehicle"
    assert privacy_leaks(body, reporter=scene["reporter"], reporter_name=REPORTER_NAME) == []
