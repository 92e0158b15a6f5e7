"""The main menu on a phone: folded behind a "Menu" button, open and closed by it; on a
desktop, and without the script, every entry shows."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.conftest import check_page

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


def test_the_menu_folds_on_a_phone(signed_in_page, live_server, police):
    page = signed_in_page(police, viewport=PHONE)
    page.goto(f"{live_server.url}/tips")
    menu = page.get_by_role("navigation", name="Huvudmeny")
    toggle = menu.get_by_role("button", name="Meny")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(menu.get_by_role("link", name="Statistik")).to_be_hidden()

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="Statistik")).to_be_visible()
    check_page(page)
    menu.get_by_role("link", name="Statistik").click()
    expect(page).to_have_url(f"{live_server.url}/stats")
    # A new page starts with the menu folded again.
    expect(page.get_by_role("button", name="Meny")).to_have_attribute("aria-expanded", "false")

    page.get_by_role("button", name="Meny").click()
    page.get_by_role("button", name="Meny").click()
    expect(page.get_by_role("link", name="Statistik")).to_be_hidden()


def test_the_menu_shows_whole_on_a_desktop(signed_in_page, live_server, police):
    page = signed_in_page(police, viewport=DESKTOP)
    page.goto(f"{live_server.url}/tips")
    menu = page.get_by_role("navigation", name="Huvudmeny")
    expect(menu.get_by_role("button", name="Meny")).to_be_hidden()
    expect(menu.get_by_role("link", name="Statistik")).to_be_visible()
    # The first entry's text starts where the page's text does, not out in the margin.
    first_entry_text, heading = page.evaluate(
        """() => {
          const link = document.querySelector('.nav__link');
          const padding = parseFloat(getComputedStyle(link).paddingLeft);
          return [link.getBoundingClientRect().left + padding,
                  document.querySelector('h1').getBoundingClientRect().left];
        }"""
    )
    assert abs(first_entry_text - heading) < 1, (first_entry_text, heading)


def test_without_the_script_a_phone_shows_every_entry(
    browsing, signed_in_page, live_server, police
):
    page = signed_in_page(police, viewport=PHONE, java_script_enabled=False)
    page.goto(f"{live_server.url}/tips")
    menu = page.get_by_role("navigation", name="Huvudmeny")
    expect(menu.get_by_role("button", name="Meny")).to_be_hidden()
    expect(menu.get_by_role("link", name="Statistik")).to_be_visible()
