"""The person's own settings: saved through the same service as PATCH /me."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.console.conftest import check_page
from tests.console.test_auth import csrf_token, sign_in


def me(client, actor):
    return client.get("/api/v1/me", headers=actor.headers).get_json()


def test_settings_are_saved_and_the_language_changes(signed_in_page, police, client):
    page = signed_in_page(police)
    page.goto("/settings")
    expect(page.locator("h1")).to_have_text("Dina inställningar")
    check_page(page)
    page.get_by_label("Skadegörelse").uncheck()
    page.get_by_label("Trafik").uncheck()
    page.get_by_label("Från").fill("22:00")
    page.get_by_label("Till", exact=True).fill("06:30")
    page.get_by_label("English").check()
    page.get_by_role("button", name="Spara inställningarna").click()

    expect(page.get_by_role("status")).to_have_text("Your settings are saved.")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Your settings")
    expect(page.get_by_label("Vandalism")).not_to_be_checked()
    expect(page.get_by_label("Burglary", exact=True)).to_be_checked()
    expect(page.get_by_label("From")).to_have_value("22:00")
    check_page(page)
    stored = me(client, police)
    assert stored["locale"] == "en"
    assert stored["quiet_hours"] == {"start": "22:00", "end": "06:30"}
    assert "vandalism" not in stored["categories"]
    assert "traffic" not in stored["categories"]
    assert "burglary" in stored["categories"]


def test_half_filled_quiet_hours_are_an_error_linked_from_the_summary(signed_in_page, police):
    page = signed_in_page(police)
    page.goto("/settings")
    page.get_by_label("Från").fill("22:00")
    page.get_by_role("button", name="Spara inställningarna").click()
    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("link")).to_have_text(
        ["Fyll i båda tiderna, eller lämna båda tomma"]
    )
    expect(page.locator("#quiet_end")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Från")).to_have_value("22:00")  # what was typed stays
    check_page(page)
    summary.get_by_role("link").click()
    expect(page.locator("#quiet_end")).to_be_focused()


def test_the_schema_of_patch_me_judges_the_form(app, contact_person, client):
    console = app.test_client()
    sign_in(console, contact_person.email)
    token = csrf_token(console, "/settings")
    response = console.post(
        "/settings",
        data={
            "csrf_token": token,
            "categories": ["burglary", "not-a-category"],
            "quiet_start": "25:00",
            "quiet_end": "07:00",
            "locale": "de",
        },
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'href="#categories-burglary">Välj bland kategorierna i listan' in html
    assert 'href="#quiet_start">Skriv tider som timmar och minuter' in html
    assert 'href="#locale-sv">Välj ett språk' in html
    assert me(client, contact_person)["quiet_hours"] is None  # nothing saved


def test_clearing_quiet_hours_and_every_category(app, make_user, police, client):
    console = app.test_client()
    sign_in(console, police.email)
    token = csrf_token(console, "/settings")
    data = {"csrf_token": token, "quiet_start": "22:00", "quiet_end": "07:00", "locale": "sv"}
    assert console.post("/settings", data=data).status_code == 302
    assert me(client, police)["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    cleared = {"csrf_token": token, "quiet_start": "", "quiet_end": "", "locale": "sv"}
    assert console.post("/settings", data=cleared).status_code == 302
    stored = me(client, police)
    assert stored["quiet_hours"] is None
    assert stored["categories"] == []
