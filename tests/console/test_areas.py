"""Areas and members in the browser: police create an area, a contact person approves a join
request, police appoint a contact person, a contact person prints an invitation letter whose
QR code (read back from the rendered page) is the link. axe on every page state; phone and
desktop sizes; screenshots to /tmp/pages-areas-*.png with GSV_TEST_SCREENSHOTS=1."""

from __future__ import annotations

import io
import os
import re
import tempfile

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Membership, User
from tests.console.conftest import check_page

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
BOUNDARY = {
    "type": "Polygon",
    "coordinates": [
        [[15.850, 57.664], [15.861, 57.664], [15.861, 57.669], [15.850, 57.669], [15.850, 57.664]]
    ],
}


def screenshot(page, name):
    """For looking at the pages, when asked for (GSV_TEST_SCREENSHOTS=1); not compared with
    anything, so not taken by default (~50 ms of Chromium's CPU each; ./dev screenshots makes
    the documented ones)."""
    if os.environ.get("GSV_TEST_SCREENSHOTS") == "1":
        page.screenshot(path=f"{tempfile.gettempdir()}/pages-areas-{name}.png", full_page=True)


def membership_of(app, area_id, user_id):
    with app.app_context():
        return db.session.scalar(
            select(Membership).where(Membership.area_id == area_id, Membership.user_id == user_id)
        )


@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("phone", PHONE)])
def test_police_create_an_area_and_see_it_on_the_list(
    signed_in_page, police, make_area, live_server, size, viewport
):
    make_area(name="Storgatan", boundary=BOUNDARY)
    page = signed_in_page(police, viewport=viewport)
    page.goto("/areas")
    expect(page.locator("h1")).to_have_text("Områden")
    overview = page.get_by_role("region", name="Karta över områdena i tabellen")
    expect(overview).to_be_visible()
    # The boundary and the centre are drawn without any tiles.
    expect(overview.locator("path.leaflet-interactive")).to_have_count(2)
    # Every column fits: on a phone each area is a card, its numbers after their names.
    table_box = page.locator(".areas-overview .table-wrap")
    assert table_box.evaluate("box => box.scrollWidth <= box.clientWidth")
    expect(page.get_by_role("rowheader", name="Storgatan")).to_be_visible()
    check_page(page)
    screenshot(page, f"areas-{size}")

    page.get_by_role("button", name="Skapa området").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv områdets namn")
    expect(page).to_have_title(re.compile("^Fel: Områden"))
    check_page(page)

    page.get_by_label("Namn").fill("Parkvägen")
    picker = page.get_by_role("region", name="Karta för att välja det nya områdets mittpunkt")
    picker.scroll_into_view_if_needed()
    picker.click(position={"x": 60, "y": 60})
    expect(page.get_by_label("Latitud")).to_have_value(re.compile(r"^5\d\.\d{6}$"))
    expect(page.get_by_label("Longitud")).to_have_value(re.compile(r"^1\d\.\d{6}$"))
    page.get_by_label("Latitud").fill("57,6701")  # typing wins, with a Swedish decimal comma
    page.get_by_role("button", name="Skapa området").click()

    expect(page.get_by_role("status")).to_have_text("Området Parkvägen är skapat.")
    expect(page.locator("h1")).to_have_text("Parkvägen")
    check_page(page)
    page.get_by_role("link", name="Alla områden").click()
    expect(page.get_by_role("link", name="Parkvägen")).to_be_visible()
    with live_server.app.app_context():
        area = db.session.scalar(select(Area).where(Area.name == "Parkvägen"))
        assert area.municipality_code == "0884"
        assert area.center_lat == pytest.approx(57.6701)


def test_a_contact_person_approves_a_join_request(
    signed_in_page, contact_person, make_user, add_member, live_server
):
    newcomer = make_user(name="Nils Nyinflyttad", home=(57.6665, 15.856))
    add_member(newcomer, contact_person.area, status="pending")
    page = signed_in_page(contact_person, viewport=PHONE)
    page.goto("/today")
    page.get_by_role("link", name="Nils Nyinflyttad").click()  # Today links to the area
    expect(page.locator("h1")).to_have_text("Storgatan")
    waiting = page.locator("#join-requests")
    expect(waiting.get_by_role("rowheader", name="Nils Nyinflyttad")).to_be_visible()
    expect(waiting).to_contain_text("Storgatan ")  # the address, for the contact person
    expect(page.get_by_role("button", name="Gör till kontaktombud")).to_have_count(0)
    check_page(page)
    screenshot(page, "area-phone")

    waiting.get_by_role("button", name="Godkänn: Nils Nyinflyttad").click()
    expect(page.get_by_role("status")).to_have_text("Nils Nyinflyttad är nu medlem.")
    members = page.locator("#members")
    expect(members.get_by_role("rowheader", name="Nils Nyinflyttad")).to_be_visible()
    expect(page.locator("#join-requests")).to_contain_text("Ingen väntar")
    check_page(page)
    assert membership_of(live_server.app, contact_person.area.id, newcomer.id).status == "active"


def test_police_appoint_a_contact_person(
    signed_in_page, police, make_area, make_user, add_member, live_server
):
    area = make_area(name="Näs", boundary=BOUNDARY)
    neighbour = make_user(name="Greta Granne")
    add_member(neighbour, area)
    page = signed_in_page(police, viewport=DESKTOP)
    page.goto(f"/areas/{area.id}")
    expect(page.get_by_role("region", name="Karta över området")).to_be_visible()
    expect(page.locator("#invite")).to_contain_text("Inbjudningar skickas av områdets kontaktombud")
    check_page(page)
    screenshot(page, "area-desktop")

    page.get_by_role("button", name="Gör till kontaktombud: Greta Granne").click()
    expect(page.get_by_role("status")).to_have_text("Greta Granne är nu kontaktombud.")
    row = page.locator("#members-table tr", has_text="Greta Granne")
    expect(row).to_contain_text("Kontaktombud")
    expect(row.get_by_role("button", name="Gör till vanlig medlem: Greta Granne")).to_be_visible()
    check_page(page)
    found = membership_of(live_server.app, area.id, neighbour.id)
    assert (found.role, found.status) == ("contact_person", "active")
    assert found.decided_by_id == police.id


def test_the_settings_form_changes_name_and_moderation(signed_in_page, contact_person, live_server):
    page = signed_in_page(contact_person)
    page.goto(f"/areas/{contact_person.area.id}")
    page.get_by_label("Namn").fill("")
    page.get_by_role("button", name="Spara inställningarna").click()
    expect(page.get_by_role("alert")).to_contain_text("Skriv områdets namn")
    check_page(page)
    page.get_by_label("Namn").fill("Storgatan norra")
    page.get_by_label("Ett kontaktombud godkänner tips").check()
    page.get_by_role("button", name="Spara inställningarna").click()
    expect(page.get_by_role("status")).to_have_text("Områdets inställningar är sparade.")
    expect(page.locator("h1")).to_have_text("Storgatan norra")
    with live_server.app.app_context():
        assert db.session.get(Area, contact_person.area.id).tip_moderation is True


def read_qr(page) -> str:
    """The QR code as Chromium drew it, read by zxing-cpp (not by segno, which drew it)."""
    png = page.locator("svg.letter__qr-code").screenshot(scale="device")
    [code] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return code.text


def pdf_page_count(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_a_contact_person_prints_an_invitation_letter(signed_in_page, contact_person, browsing):
    page = signed_in_page(contact_person, viewport=DESKTOP, device_scale_factor=2)
    page.goto(f"/areas/{contact_person.area.id}")
    page.get_by_role("button", name="Skapa en inbjudningslänk").click()
    expect(page.locator("h1")).to_have_text("Inbjudningslänk för Storgatan")
    link = page.get_by_label("Inbjudningslänk").input_value()
    assert re.fullmatch(rf"{browsing.server.url}/invitations/[\w.-]+", link)
    check_page(page)
    screenshot(page, "invitation-desktop")

    page.get_by_role("link", name="Öppna brevet för utskrift").click()
    letter = page.locator("article.letter")
    expect(page.locator("h1")).to_have_text("Välkommen till Grannsamverkan på Storgatan")
    expect(letter).to_contain_text("Jag heter Kerstin och är kontaktombud")
    expect(letter).to_contain_text("Ring 112 vid pågående brott")
    expect(letter.locator(".letter__link")).to_have_text(link)
    expect(page.get_by_role("button", name="Skriv ut")).to_be_visible()
    check_page(page)
    assert read_qr(page) == link
    screenshot(page, "letter-desktop")

    page.emulate_media(media="print")
    expect(page.locator("header")).to_be_hidden()
    expect(page.locator(".letter-tools")).to_be_hidden()
    screenshot(page, "letter-print")
    assert read_qr(page) == link
    assert pdf_page_count(page.pdf(format="A4", print_background=True)) == 1

    # The link leads to a page that exists, for anyone.
    visitor = browsing.new_page(viewport=PHONE)
    visitor.goto(link)
    expect(visitor.locator("h1")).to_have_text("Du är inbjuden till Grannsamverkan på Storgatan")
    expect(visitor.get_by_role("button", name="Tacka ja till inbjudan")).to_have_count(0)
    check_page(visitor)
    screenshot(visitor, "invitation-public-phone")
    visitor.goto(link[:-3] + "xyz")
    expect(visitor.locator("h1")).to_have_text("Inbjudan gäller inte längre")
    check_page(visitor)


def test_the_letter_on_a_phone(signed_in_page, contact_person):
    page = signed_in_page(contact_person, viewport=PHONE)
    page.goto(f"/areas/{contact_person.area.id}")
    # Each new page has loaded before its structure is checked (a click only starts it).
    page.get_by_role("button", name="Skapa en inbjudningslänk").click()
    expect(page.locator("h1")).to_have_text("Inbjudningslänk för Storgatan")
    check_page(page)
    screenshot(page, "invitation-phone")
    page.get_by_role("link", name="Öppna brevet för utskrift").click()
    expect(page.locator("h1")).to_have_text("Välkommen till Grannsamverkan på Storgatan")
    check_page(page)
    screenshot(page, "letter-phone")


def test_a_signed_in_console_user_accepts_an_invitation(
    signed_in_page, contact_person, make_user, make_area, add_member, live_server
):
    other_area = make_area(name="Näs")
    neighbour = make_user(name="Olle på Näs")
    add_member(neighbour, other_area, role="contact_person")
    inviter = signed_in_page(contact_person)
    inviter.goto(f"/areas/{contact_person.area.id}")
    inviter.get_by_role("button", name="Skapa en inbjudningslänk").click()
    link = inviter.get_by_label("Inbjudningslänk").input_value()

    page = signed_in_page(neighbour)
    page.goto(link)
    page.get_by_role("button", name="Tacka ja till inbjudan").click()
    expect(page.get_by_role("status")).to_have_text("Du är nu medlem i Storgatan.")
    expect(page.locator(".lede")).to_have_text("Du är medlem i Storgatan.")
    check_page(page)
    found = membership_of(live_server.app, contact_person.area.id, neighbour.id)
    assert (found.status, found.role) == ("active", "member")


def test_a_contact_person_registers_a_household_without_a_smartphone(
    signed_in_page, contact_person, live_server
):
    page = signed_in_page(contact_person, viewport=PHONE)
    page.goto(f"/areas/{contact_person.area.id}")
    form = page.locator("#household")
    form.get_by_role("button", name="Registrera hushållet").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Ange den boendes namn")
    expect(summary).to_contain_text("Ange dagen då den boende gav sitt samtycke")
    expect(page).to_have_title(re.compile("^Fel: Storgatan"))
    check_page(page)

    form = page.locator("#household")
    form.get_by_label("Boende").fill("Gunnel Åberg")
    form.get_by_label("Mobilnummer").fill("070-111 22 33")
    form.get_by_label("Latitud (frivillig)").fill("57,6668")
    form.get_by_label("Longitud (frivillig)").fill("15,8561")
    form.get_by_label("Samtycke givet den").fill("2026-11-30")
    form.get_by_label("Skriftligt").check()
    expect(form.get_by_label("Sms")).to_be_checked()
    form.get_by_role("button", name="Registrera hushållet").click()
    expect(page.get_by_role("status")).to_have_text(
        "Gunnel Åberg är registrerad och får larm på det sätt som valts."
    )
    row = page.locator("#members-table tr", has_text="Gunnel Åberg")
    expect(row).to_contain_text("Utan smartphone")
    check_page(page)
    screenshot(page, "household-phone")
    with live_server.app.app_context():
        person = db.session.scalar(select(User).where(User.name == "Gunnel Åberg"))
        assert (person.phone, person.channels, person.consent_method) == (
            "+46701112233",
            ["sms"],
            "written",
        )
        assert person.password_hash is None
        person_id = person.id

    row.get_by_role("button", name="Ta bort: Gunnel Åberg").click()
    expect(page.get_by_role("status")).to_have_text(
        "Gunnel Åberg är borttagen och uppgifterna raderade."
    )
    with live_server.app.app_context():
        assert db.session.get(User, person_id) is None
