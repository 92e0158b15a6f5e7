"""Today in the browser: what it shows, and a new tip appearing while the page is open."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.console.conftest import check_page


def test_a_new_burglary_tip_appears_without_reloading(
    signed_in_page, police, make_user, make_area, add_member, post_tip
):
    area = make_area(name="Storgatan")
    member = make_user()
    add_member(member, area)
    page = signed_in_page(police)
    page.goto("/today")
    expect(page.locator("h1")).to_have_text("Idag")
    new_tips = page.locator("#new-tips")
    expect(new_tips).to_contain_text("Inga nya tips.")
    check_page(page)
    page.evaluate("window.stillTheSamePage = true")

    post_tip(member, "burglary", description="Inbrott i förrådet, fönstret krossat")

    expect(new_tips.get_by_role("row")).to_have_count(2)  # the head and the new tip
    expect(new_tips).to_contain_text("Inbrott i förrådet, fönstret krossat")
    expect(new_tips).to_contain_text("Inbrott")  # the category, in Swedish
    expect(new_tips.locator(".count")).to_have_text("1")
    assert page.evaluate("window.stillTheSamePage") is True, "the page was reloaded"
    check_page(page)


def test_today_for_a_contact_person_with_everything_to_show(
    signed_in_page, contact_person, make_user, add_member, post_tip
):
    member = make_user(name="Anna Andersson")
    add_member(member, contact_person.area)
    post_tip(member, "suspicious_vehicle", description="Vit skåpbil utan skyltar")
    add_member(make_user(name="Erik Eriksson"), contact_person.area, status="pending")
    page = signed_in_page(contact_person)
    page.goto("/")
    expect(page).to_have_url(re.compile("/today$"))
    expect(page.locator(".lede")).to_have_text("Du ser områdena där du är kontaktombud: Storgatan.")
    expect(page.locator("#new-tips")).to_contain_text("Vit skåpbil utan skyltar")
    expect(page.locator("#join-requests")).to_contain_text("Erik Eriksson")
    expect(page.locator("#join-requests")).to_contain_text("Vill gå med i Storgatan")
    nav = page.get_by_role("navigation", name="Huvudmeny")
    expect(nav.get_by_role("link", name="Idag")).to_have_attribute("aria-current", "page")
    check_page(page)


def test_today_on_a_phone_sized_screen(signed_in_page, police):
    page = signed_in_page(police, viewport={"width": 375, "height": 740})
    page.goto("/today")
    check_page(page)


def test_today_in_english(signed_in_page, make_user):
    officer = make_user(role="police", municipality_codes=["0884"], locale="en")
    page = signed_in_page(officer)
    page.goto("/today")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Today")
    expect(page.locator("#new-tips h2")).to_contain_text("New tips since your last visit")
    # Municipalities by name, as everywhere in the console (labels.municipality_label).
    expect(
        page.get_by_text("You see the municipalities you serve: Vimmerby kommun (0884).")
    ).to_be_visible()
    check_page(page)
