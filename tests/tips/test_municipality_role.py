"""Municipality staff and Lokala BRÅ members and the tips (issue 15): the municipality sees
and updates the unsafe-place, vandalism and traffic tips of its municipalities, without
the reporter, the exact point or the police note; the statistics role sees no tip at all."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import Area, Tip, User
from grannsamverkan.services import permissions
from tests.conftest import problem_of
from tests.tips.conftest import NAS, SPOT, offset

API = "/api/v1"
HULTSFRED = (57.4880, 15.8420)


@pytest.fixture
def app_config():
    return {"GSV_TIP_LIMIT": "100/hour"}  # one reporter sends every tip of the world


@pytest.fixture
def world(app, make_user, make_area, add_member, post_tip):
    storgatan = make_area(name="Storgatan", center=SPOT)
    hultsfred = make_area(name="Hultsfred", municipality_code="0860", center=HULTSFRED)
    reporter, far_reporter = make_user(home=offset(SPOT, 20)), make_user()
    add_member(reporter, storgatan)
    add_member(far_reporter, hultsfred)
    people = {
        "municipality": make_user(role="municipality", municipality_codes=["0884"]),
        "municipality_other": make_user(role="municipality", municipality_codes=["0860"]),
        "statistics": make_user(role="statistics", municipality_codes=["0884"]),
        "police": make_user(role="police", municipality_codes=["0884"]),
    }
    lamp = post_tip(
        reporter,
        "unsafe_place",
        at=offset(SPOT, 120),
        description="Lampan är trasig, ring mig på 070-123 45 67.",
    )
    tips = {
        "unsafe_place": lamp["id"],
        "vandalism": post_tip(reporter, "vandalism", at=offset(SPOT, 60))["id"],
        "traffic": post_tip(reporter, "traffic", at=offset(SPOT, 300))["id"],
        "burglary": post_tip(reporter, "burglary", at=offset(SPOT, 400))["id"],
        "narcotics": post_tip(reporter, "narcotics", at=offset(SPOT, 500))["id"],
        "hultsfred": post_tip(far_reporter, "unsafe_place", at=HULTSFRED)["id"],
        # Violence in close relationships: police only, whatever its category.
        "police_only": post_tip(
            reporter,
            "vandalism",
            at=offset(SPOT, 700),
            description="Grannen slår sin sambo och har slagit sönder dörren.",
        )["id"],
    }
    with app.app_context():
        db.session.execute(update(Area).where(Area.id == storgatan.id).values(tip_moderation=True))
        db.session.commit()
    tips["pending"] = post_tip(reporter, "unsafe_place", at=offset(SPOT, 900))["id"]
    return {"people": people, "tips": tips, "reporter": reporter}


def test_the_municipality_lists_the_tips_it_acts_on_in_its_municipalities(client, world):
    listed = client.get(f"{API}/tips", headers=world["people"]["municipality"].headers).json
    tips = world["tips"]
    assert {tip["id"] for tip in listed["items"]} == {
        tips["unsafe_place"],
        tips["vandalism"],
        tips["traffic"],
    }
    other = client.get(f"{API}/tips", headers=world["people"]["municipality_other"].headers)
    assert {tip["id"] for tip in other.json["items"]} == {tips["hultsfred"]}
    statistics = client.get(f"{API}/tips", headers=world["people"]["statistics"].headers).json
    assert statistics["items"] == []


@pytest.mark.parametrize(
    ("who", "tip", "status"),
    [
        ("municipality", "unsafe_place", 200),
        ("municipality", "traffic", 200),
        ("municipality", "burglary", 404),
        ("municipality", "narcotics", 404),
        ("municipality", "police_only", 404),
        ("municipality", "pending", 404),  # not out of moderation yet
        ("municipality", "hultsfred", 404),
        ("municipality_other", "unsafe_place", 404),
        ("municipality_other", "hultsfred", 200),
        ("statistics", "unsafe_place", 404),
        ("statistics", "traffic", 404),
    ],
)
def test_who_reads_which_tip(client, world, who, tip, status):
    response = client.get(f"{API}/tips/{world['tips'][tip]}", headers=world["people"][who].headers)
    assert response.status_code == status


def test_the_municipality_sees_no_person_and_no_exact_point(app, client, world):
    tip_id = world["tips"]["unsafe_place"]
    body = client.get(f"{API}/tips/{tip_id}", headers=world["people"]["municipality"].headers).json
    assert "reporter" not in body
    assert "police_note" not in body
    assert "address" not in body
    assert "070-123 45 67" not in body["description"]
    with app.app_context():
        tip = db.session.get(Tip, tip_id)
        assert body["location"] == coarsen(tip.lat, tip.lon)
        assert body["location"] != {"lat": tip.lat, "lon": tip.lon}
        municipality = db.session.get(User, world["people"]["municipality"].id)
        assert not permissions.sees_tip_reporter(municipality, tip)
        assert not permissions.sees_exact_tip_point(municipality, tip)
        assert permissions.can_forward_tip_to_municipality(municipality, tip)
    police = client.get(f"{API}/tips/{tip_id}", headers=world["people"]["police"].headers).json
    assert police["reporter"]["id"] == world["reporter"].id


def test_the_municipality_updates_the_status_but_writes_no_police_note(app, client, world):
    tip_id, headers = world["tips"]["unsafe_place"], world["people"]["municipality"].headers
    closed = client.patch(f"{API}/tips/{tip_id}", json={"status": "closed"}, headers=headers)
    assert closed.status_code == 200, closed.json
    assert closed.json["status"] == "closed"
    assert "reporter" not in closed.json  # the answer is the municipality's view too
    note = {"status": "investigating", "note": "Elektriker beställd."}
    problem_of(client.patch(f"{API}/tips/{tip_id}", json=note, headers=headers), 403)
    with app.app_context():
        tip = db.session.get(Tip, tip_id)
        assert (tip.status, tip.police_note) == ("closed", None)
    # The reporter sees the municipality's status in the app.
    mine = client.get(f"{API}/tips/{tip_id}", headers=world["reporter"].headers).json
    assert mine["status"] == "closed"


def test_the_municipality_may_not_change_other_tips(client, world):
    headers = world["people"]["municipality"].headers
    for tip in ("burglary", "hultsfred", "police_only"):
        response = client.patch(
            f"{API}/tips/{world['tips'][tip]}", json={"status": "closed"}, headers=headers
        )
        problem_of(response, 404)
    deliveries = client.get(f"{API}/tips/{world['tips']['vandalism']}/deliveries", headers=headers)
    problem_of(deliveries, 403)


def test_only_forwardable_categories_may_be_forwarded(client, world):
    headers = world["people"]["municipality"].headers
    traffic = client.post(f"{API}/tips/{world['tips']['traffic']}/forward", headers=headers)
    assert "Only unsafe-place and vandalism" in problem_of(traffic, 409)["detail"]


def test_every_area_of_the_municipality_is_in_scope(
    client, make_user, make_area, add_member, post_tip
):
    """Municipality staff belong to no area: every area of their municipality is theirs."""
    nas = make_area(name="Näs", center=NAS)
    reporter = make_user()
    add_member(reporter, nas)
    tip = post_tip(reporter, "vandalism", at=NAS)
    staff = make_user(role="municipality", municipality_codes=["0884"])
    assert client.get(f"{API}/tips/{tip['id']}", headers=staff.headers).status_code == 200
