"""The tip pages in the browser: filter the list beside its map, open a tip, triage it,
moderate it (by mouse and by keyboard alone), the reporter and the points each role sees,
the CSV download; axe on every state, on a phone and a desktop."""

from __future__ import annotations

import csv
import json
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import is_coarse
from grannsamverkan.models import Alert, Delivery, Tip
from tests.console.conftest import check_page
from tests.tips.conftest import NAS, SPOT, offset

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
# Alerts to members, not the notices to contact persons, police and reporters.
MEMBER_ALERT = Alert.kind != "notice"
REJECTED = "Tipset är avvisat; den som lämnade det ser ditt skäl."


@pytest.fixture
def app_config():
    # No tile layer: the maps draw their points alone and nothing leaves loopback.
    return {"GSV_CONSOLE_POLL_S": 1, "GSV_MAP_TILES": ""}


@pytest.fixture
def town(make_user, make_area, add_member, add_device, post_tip):
    """Storgatan (moderated) and Näs in Vimmerby with a few tips; phones to alert."""
    storgatan = make_area(name="Storgatan", center=SPOT, tip_moderation=True)
    nas = make_area(name="Näs", center=NAS)
    people = {
        "reporter": make_user(name="Rut Rapportör", home=offset(SPOT, 40)),
        "neighbour": make_user(name="Nora Granne", home=offset(SPOT, 150)),
        "nas_member": make_user(name="Nils Näsbo", home=offset(NAS, 60)),
        "contact": make_user(name="Kerstin Kontaktombud"),
        "police": make_user(
            role="police", municipality_codes=["0884"], name="Områdespolis Vimmerby"
        ),
    }
    add_member(people["reporter"], storgatan)
    add_member(people["neighbour"], storgatan)
    add_member(people["nas_member"], nas)
    add_member(people["contact"], storgatan, role="contact_person")
    add_device(people["neighbour"], "neighbour-phone")
    add_device(people["contact"], "contact-phone", platform="ios")
    tips = {
        "vandalism": post_tip(
            people["nas_member"],
            "vandalism",
            at=offset(NAS, 80),
            description="Klotter på pumphuset",
        )["id"],
        "vehicle": post_tip(
            people["nas_member"],
            "suspicious_vehicle",
            at=offset(NAS, 300, 10),
            description="Vit skåpbil utan skyltar kör runt långsamt",
        )["id"],
        "pending": post_tip(
            people["reporter"],
            "burglary",
            at=offset(SPOT, 30),
            description="Någon försökte bända upp dörren till förrådet",
        )["id"],
    }
    return {"people": people, "tips": tips}


def map_points(page, map_id="tip-map"):
    return json.loads(page.locator(f"#{map_id}-data").text_content())["points"]


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_filter_the_list_and_see_the_map(signed_in_page, town, viewport):
    page = signed_in_page(town["people"]["police"], viewport=viewport)
    page.goto("/tips")
    expect(page.locator("h1")).to_have_text("Tips")
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(4)  # the head and three tips
    tip_map = page.get_by_role("region", name="Karta över tipsen på sidan")
    expect(tip_map).to_be_visible()
    expect(tip_map.locator("path.leaflet-interactive")).to_have_count(3)
    expect(tip_map.locator(".leaflet-tile")).to_have_count(0)  # no tile URL in tests
    check_page(page)

    page.get_by_label("Kategori").select_option(label="Misstänkt fordon")
    page.get_by_role("button", name="Visa tips").click()
    expect(page).to_have_url(re.compile(r"category=suspicious_vehicle"))
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("Vit skåpbil utan skyltar")
    expect(tip_map.locator("path.leaflet-interactive")).to_have_count(1)
    expect(page.get_by_label("Kategori")).to_have_value("suspicious_vehicle")
    check_page(page)

    page.get_by_role("link", name="Rensa filtren").click()
    page.get_by_label("Ord i beskrivningen").fill("klotter")
    page.get_by_role("button", name="Visa tips").click()
    expect(table.get_by_role("row")).to_have_count(2)
    expect(table).to_contain_text("Klotter på pumphuset")

    page.get_by_label("Ord i beskrivningen").fill("ingenting sådant")
    page.get_by_role("button", name="Visa tips").click()
    expect(page.locator(".empty")).to_have_text("Inga tips matchar filtren.")
    expect(page.get_by_role("region", name="Karta över tipsen på sidan")).to_have_count(0)
    check_page(page)

    page.goto("/tips?from=igår")
    expect(page.locator(".error-summary")).to_contain_text("Ange första dagen som ett datum")
    expect(page).to_have_title(re.compile("^Fel:"))
    check_page(page)


def test_police_open_a_tip_see_the_reporter_and_change_its_status(signed_in_page, town, app):
    page = signed_in_page(town["people"]["police"], viewport=DESKTOP)
    page.goto("/tips?category=suspicious_vehicle")
    page.get_by_role("link", name="Misstänkt fordon").click()
    expect(page.locator("h1")).to_contain_text("Misstänkt fordon")
    expect(page.locator(".summary")).to_contain_text("Nils Näsbo")  # the reporter, for police
    expect(page.locator(".tip-text")).to_have_text("Vit skåpbil utan skyltar kör runt långsamt")
    detail_map = page.get_by_role("region", name="Karta över var tipset lämnades")
    expect(detail_map.locator("path.leaflet-interactive")).to_have_count(1)
    [point] = map_points(page, "tip-detail-map")
    exact = offset(NAS, 300, 10)
    assert (point["lat"], point["lon"]) == pytest.approx(exact)  # police see the raw point
    check_page(page)

    page.get_by_label("Status", exact=True).select_option("investigating")
    page.get_by_role("textbox", name="Polisens anteckning").fill("x" * 2001)
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".error-summary")).to_contain_text("högst 2 000 tecken")
    check_page(page)

    note = page.get_by_role("textbox", name="Polisens anteckning")
    note.fill("Patrull skickad 10.40, bilen hittades inte.")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".notice")).to_have_text("Tipset är sparat.")
    expect(page.locator(".status-tag")).to_have_text("Utreds")
    expect(page.locator(".summary")).to_contain_text("Patrull skickad 10.40")
    check_page(page)
    with app.app_context():
        tip = db.session.get(Tip, town["tips"]["vehicle"])
        assert (tip.status, tip.police_note) == (
            "investigating",
            "Patrull skickad 10.40, bilen hittades inte.",
        )

    # Closed: its alert is resolved, and the page says the phones were told.
    expect(page.locator(".summary")).to_contain_text("Skickat till mobilerna")
    page.get_by_label("Status", exact=True).select_option("closed")
    page.get_by_role("button", name="Spara").click()
    expect(page.locator(".status-tag")).to_have_text("Avslutat")
    expect(page.locator(".summary")).to_contain_text(
        "Avslutat: mobilerna som fick larmet har fått veta det"
    )
    check_page(page)


def test_a_contact_person_approves_a_waiting_tip_and_the_alert_goes_out(signed_in_page, town, app):
    page = signed_in_page(town["people"]["contact"], viewport=PHONE)
    page.goto("/tips?status=pending")
    page.get_by_role("link", name="Inbrott").click()
    moderation = page.get_by_role("region", name="Moderering")
    expect(moderation).to_contain_text("ingen har larmats än")
    expect(page.get_by_role("heading", name="Pushar om tipset")).to_have_count(0)
    check_page(page)

    moderation.get_by_role("button", name="Godkänn och skicka larmet").click()
    expect(page.locator(".notice")).to_have_text("Tipset är godkänt; 2 personer larmades.")
    expect(page.locator(".status-tag")).to_have_text("Öppet")
    expect(page.get_by_role("region", name="Moderering")).to_have_count(0)
    expect(page.locator(".history")).to_contain_text("Godkänt av Kerstin Kontaktombud")
    pushes = page.get_by_role("table", name="Pushar om tipset, per läge")
    expect(pushes.get_by_role("row", name="Väntar på att skickas 2")).to_be_visible()
    check_page(page)
    with app.app_context():
        platforms = db.session.scalars(
            select(Delivery.platform).join(Alert).where(MEMBER_ALERT).order_by(Delivery.platform)
        )
        assert list(platforms) == ["android", "ios"]


def test_reject_with_a_reason_the_reporter_reads(signed_in_page, town, app, client):
    page = signed_in_page(town["people"]["contact"], viewport=DESKTOP)
    tip_id = town["tips"]["pending"]
    page.goto(f"/tips/{tip_id}")
    page.get_by_role("button", name="Avvisa tipset").click()
    expect(page.locator(".error-summary")).to_contain_text("Skriv varför tipset avvisas")
    expect(page).to_have_title(re.compile("^Fel:"))
    check_page(page)
    page.locator(".error-summary a").click()
    expect(page.get_by_label("Skäl till att avvisa")).to_be_focused()

    reason = "Beskriv vad som hände, inte hur personen såg ut."
    page.get_by_label("Skäl till att avvisa").fill(reason)
    page.get_by_role("button", name="Avvisa tipset").click()
    expect(page.locator(".notice")).to_have_text(REJECTED)
    expect(page.locator(".status-tag")).to_have_text("Avvisat")
    expect(page.locator(".history")).to_contain_text(f"Avvisat av Kerstin Kontaktombud: {reason}")
    check_page(page)
    reporter = town["people"]["reporter"]
    own_view = client.get(f"/api/v1/tips/{tip_id}", headers=reporter.headers).get_json()
    assert own_view["rejection_reason"] == reason
    with app.app_context():
        # Nobody was alerted (the contact person's notice of the tip to moderate aside).
        assert db.session.scalar(select(Delivery.id).join(Alert).where(MEMBER_ALERT)) is None


def test_a_contact_person_sees_coarse_points_only(signed_in_page, town, make_user, add_member):
    page = signed_in_page(town["people"]["contact"], viewport=DESKTOP)
    page.goto("/tips")
    points = map_points(page)
    assert len(points) == 1  # only Storgatan's tip: the contact person's area
    assert all(is_coarse(p["lat"], p["lon"]) for p in points), points
    raw = offset(SPOT, 30)
    html = page.content()
    assert f"{raw[0]:.5f}"[:-1] not in html
    assert f"{raw[1]:.5f}"[:-1] not in html
    expect(page.locator("figcaption")).to_contain_text("ungefär 200 m")
    check_page(page)

    page.get_by_role("link", name="Inbrott").click()
    [point] = map_points(page, "tip-detail-map")
    assert is_coarse(point["lat"], point["lon"])
    assert (point["lat"], point["lon"]) != pytest.approx(raw)
    expect(page.locator(".summary")).to_contain_text("Rut Rapportör")  # as the API's full view
    html = page.content()
    assert f"{raw[0]:.5f}"[:-1] not in html
    assert f"{raw[1]:.5f}"[:-1] not in html


def test_police_download_the_filtered_tips_as_csv(signed_in_page, town):
    page = signed_in_page(town["people"]["police"], viewport=DESKTOP)
    page.goto("/tips?q=skåpbil")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner tipsen som CSV").click()
    download = download_info.value
    assert download.suggested_filename == "tips.csv"
    with open(download.path(), encoding="utf-8", newline="") as downloaded:
        rows = list(csv.DictReader(downloaded))
    assert [r["description"] for r in rows] == ["Vit skåpbil utan skyltar kör runt långsamt"]
    assert rows[0]["category"] == "suspicious_vehicle"
    assert rows[0]["area"] == "Näs"


def focus_by_tab(page, target, *, limit=80):
    """Press Tab until ``target`` has the focus (as someone without a mouse would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError("Tab never reached the element")


def test_keyboard_only_moderation(signed_in_page, town, app):
    page = signed_in_page(town["people"]["police"], viewport=DESKTOP)
    page.goto("/tips?status=pending")
    focus_by_tab(page, page.get_by_role("link", name="Inbrott"))
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Inbrott")
    focus_by_tab(page, page.get_by_label("Skäl till att avvisa"))
    page.keyboard.type("Dubblett av ett tips som redan är utrett.")
    focus_by_tab(page, page.get_by_role("button", name="Avvisa tipset"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_have_text(REJECTED)
    check_page(page)
    with app.app_context():
        tip = db.session.get(Tip, town["tips"]["pending"])
        assert (tip.status, tip.rejection_reason) == (
            "rejected",
            "Dubblett av ett tips som redan är utrett.",
        )
        assert tip.moderated_by_id == town["people"]["police"].id


def test_keyboard_only_approval(signed_in_page, town, app):
    page = signed_in_page(town["people"]["contact"], viewport=PHONE)
    page.goto(f"/tips/{town['tips']['pending']}")
    focus_by_tab(page, page.get_by_role("button", name="Godkänn och skicka larmet"))
    page.keyboard.press("Enter")
    expect(page.locator(".notice")).to_contain_text("Tipset är godkänt")
    with app.app_context():
        assert db.session.get(Tip, town["tips"]["pending"]).status == "open"


def test_an_unknown_tip_is_an_accessible_404(signed_in_page, town):
    page = signed_in_page(town["people"]["contact"])
    response = page.goto(f"/tips/{town['tips']['vandalism']}")  # Näs: not this contact's
    assert response.status == 404
    check_page(page)
