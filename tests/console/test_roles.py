"""The console by role (issue 15): which pages each kind of account opens, what its menu
offers, and what municipality staff see of a tip; the follow-up and traffic pages."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from grannsamverkan.extensions import db
from grannsamverkan.models import Tip
from tests.console.conftest import check_page
from tests.console.test_auth import csrf_token, sign_in
from tests.tips.conftest import SPOT, offset

ROLES = ("police", "municipality", "statistics", "contact_person", "admin")
PAGES = (
    "/today",
    "/tips",
    "/areas",
    "/broadcasts",
    "/broadcasts/new",
    "/events",
    "/traffic",
    "/stats",
    "/stats/report",
    "/follow-up",
    "/follow-up.csv",
)
#                      police muni stat  cp   admin
EXPECTED = {
    "/today": (200, 200, 302, 200, 200),  # Lokala BRÅ members land on the statistics
    "/tips": (200, 200, 403, 200, 200),
    "/areas": (200, 403, 403, 200, 200),
    "/broadcasts": (200, 200, 403, 403, 200),
    "/broadcasts/new": (200, 200, 403, 403, 200),
    "/events": (200, 200, 403, 403, 200),
    "/traffic": (200, 200, 403, 403, 200),
    "/stats": (200, 200, 200, 403, 200),
    "/stats/report": (200, 200, 200, 403, 200),
    "/follow-up": (200, 200, 200, 403, 200),
    "/follow-up.csv": (200, 200, 200, 403, 200),
}
MENUS = {
    "police": ["/today", "/tips", "/areas", "/broadcasts", "/events", "/traffic", "/stats"],
    "municipality": ["/today", "/tips", "/broadcasts", "/events", "/traffic", "/stats"],
    "statistics": ["/stats"],
    "contact_person": ["/today", "/tips", "/areas"],
    "admin": [
        "/today",
        "/tips",
        "/areas",
        "/broadcasts",
        "/events",
        "/traffic",
        "/stats",
        "/audit",
    ],
}


@pytest.fixture
def people(make_user, make_area, add_member, contact_person, police):
    return {
        "police": police,
        "municipality": make_user(role="municipality", municipality_codes=["0884"]),
        "statistics": make_user(role="statistics", municipality_codes=["0884"]),
        "contact_person": contact_person,
        "admin": make_user(role="admin"),
    }


def signed_in(app, person):
    client = app.test_client()
    assert sign_in(client, person.email).status_code == 302
    return client


@pytest.mark.parametrize("role", ROLES)
def test_pages_and_menu_by_role(app, people, role):
    client = signed_in(app, people[role])
    answers = {path: client.get(path).status_code for path in PAGES}
    assert answers == {path: EXPECTED[path][ROLES.index(role)] for path in PAGES}
    page = client.get("/stats" if role == "statistics" else "/today").get_data(as_text=True)
    menu = re.search(r'<nav class="nav"[^>]*>(.*?)</nav>', page, re.S)
    assert menu is not None
    assert re.findall(r'href="(/[a-z-]*)"', menu.group(1)) == MENUS[role]


def test_a_statistics_account_lands_on_the_statistics(app, people):
    client = signed_in(app, people["statistics"])
    assert client.get("/").headers["Location"] == "/today"
    assert client.get("/today").headers["Location"] == "/stats"


def test_municipality_broadcasts_offer_no_fraud_warning(app, people):
    police_form = signed_in(app, people["police"]).get("/broadcasts/new").get_data(as_text=True)
    assert 'value="fraud_warning"' in police_form
    form = signed_in(app, people["municipality"]).get("/broadcasts/new").get_data(as_text=True)
    assert 'value="fraud_warning"' not in form
    assert 'value="notice"' in form
    assert 'value="training_event"' in form


@pytest.fixture
def lamp_tip(app, make_user, make_area, add_member, post_tip):
    area = make_area(name="Storgatan", center=SPOT)
    reporter = make_user(name="Ulla Uppgiftslämnare", home=offset(SPOT, 20))
    add_member(reporter, area)
    return post_tip(
        reporter,
        "unsafe_place",
        at=offset(SPOT, 150),
        description="Lampan vid tunneln är trasig. Ring 070-765 43 21.",
        location={"lat": offset(SPOT, 150)[0], "lon": offset(SPOT, 150)[1],
                  "address": "Tunnelgatan 3"},
    )["id"]  # fmt: skip


def test_the_municipality_sees_a_tip_without_person_or_place(app, people, lamp_tip):
    client = signed_in(app, people["municipality"])
    page = client.get(f"/tips/{lamp_tip}").get_data(as_text=True)
    assert "Ulla Uppgiftslämnare" not in page
    assert "070-765 43 21" not in page
    assert "Tunnelgatan 3" not in page
    assert "Polisens anteckning" not in page  # no note field: status only
    listing = client.get("/tips").get_data(as_text=True)
    assert "070-765 43 21" not in listing
    assert "Tunnelgatan 3" not in listing
    token = csrf_token(client, f"/tips/{lamp_tip}")
    answer = client.post(
        f"/tips/{lamp_tip}/status",
        data={"csrf_token": token, "status": "closed", "note": "Försök att skriva"},
    )
    assert answer.status_code == 302
    with app.app_context():
        tip = db.session.get(Tip, lamp_tip)
        assert (tip.status, tip.police_note) == ("closed", None)
    police_page = signed_in(app, people["police"]).get(f"/tips/{lamp_tip}").get_data(as_text=True)
    assert "Ulla Uppgiftslämnare" in police_page


@pytest.fixture
def traffic_world(app, make_area):
    area = make_area(name="Storgatan", center=SPOT)
    with app.app_context():
        now = datetime.now(UTC)
        for kind in ("speeding", "speeding", "moped", "a_traktor"):
            db.session.add(
                Tip(area_id=area.id, category="traffic", traffic_kind=kind, description="Fort.",
                    lat=SPOT[0], lon=SPOT[1], created_at=now, time_of_day="22:00")
            )  # fmt: skip
        db.session.commit()


def test_the_follow_up_csv_is_the_apis(app, people, traffic_world):
    client = signed_in(app, people["statistics"])
    rows = list(csv.DictReader(io.StringIO(client.get("/follow-up.csv").get_data(as_text=True))))
    priority = {row["item"]: row["current"] for row in rows if row["section"] == "priority"}
    assert priority["traffic"] == "4"
    kinds = {row["item"]: row["current"] for row in rows if row["section"] == "traffic_kind"}
    assert (kinds["speeding"], kinds["moped"], kinds["parking"]) == ("<3", "<3", "0")


def test_the_follow_up_is_under_statistics_in_the_menu(app, people):
    page = signed_in(app, people["municipality"]).get("/follow-up").get_data(as_text=True)
    assert re.search(r'href="/stats" aria-current="page"', page)


def test_a_bad_period_is_a_400_page(app, people):
    response = signed_in(app, people["statistics"]).get("/follow-up?period=2025-Q9")
    assert response.status_code == 400
    assert "kvartal" in response.get_data(as_text=True)


# --- in the browser ----------------------------------------------------------------------------


def test_the_follow_up_page_reads_and_passes_checks(signed_in_page, people, traffic_world):
    page = signed_in_page(people["statistics"])
    page.goto("/follow-up")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Uppföljning")
    expect(page.locator("#follow-up-priorities")).to_contain_text("Trafik")
    expect(page.locator("#follow-up-hotspots")).to_contain_text("Storgatan")
    page.get_by_label("Period", exact=True).select_option("2022-2025")
    page.get_by_role("button", name="Visa perioden").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2022")
    check_page(page)


def test_the_traffic_page_draws_the_hot_spots(signed_in_page, people, traffic_world):
    page = signed_in_page(people["municipality"])
    page.goto("/traffic")
    expect(page.get_by_role("heading", level=1)).to_have_text("Trafikens brännpunkter")
    expect(page.locator("table")).to_contain_text("Storgatan")
    expect(page.locator("path.leaflet-interactive")).to_have_count(1)
    check_page(page)
