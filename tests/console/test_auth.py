"""Signing in and out of the console: browser paths, the session row, cookies, CSRF, limits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import AuthSession
from tests.conftest import PASSWORD, problem_of
from tests.console.conftest import check_page

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client, path="/sign-in"):
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def sign_in(client, email, password=PASSWORD, **extra):
    data = {"email": email, "password": password, "csrf_token": csrf_token(client), **extra}
    return client.post("/sign-in", data=data)


def sessions_of(app, user_id):
    with app.app_context():
        return db.session.scalars(select(AuthSession).where(AuthSession.user_id == user_id)).all()


# --- in the browser ----------------------------------------------------------------------------


def test_keyboard_only_sign_in_and_sign_out(page, police, live_server):
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    check_page(page)
    # The skip link is the first stop and moves focus to the content.
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.locator("#email")).to_be_focused()
    page.keyboard.type(police.email)
    page.keyboard.press("Tab")
    expect(page.locator("#password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/today$"))
    expect(page.locator("h1")).to_have_text("Idag")
    expect(page.get_by_role("navigation", name="Huvudmeny")).to_be_visible()
    [row] = sessions_of(live_server.app, police.id)[-1:]
    assert row.revoked_at is None

    page.get_by_role("button", name="Logga ut").click()
    # Today's poll may race the sign-out and send the page to sign-in itself, to return there.
    expect(page).to_have_url(re.compile(r"/sign-in(\?next=/today)?$"))
    expect(page.get_by_role("status")).to_have_text("Du är utloggad.")
    check_page(page)
    revoked = {s.id: s.revoked_at for s in sessions_of(live_server.app, police.id)}
    assert revoked[row.id] is not None
    page.goto("/today")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/today$"))


def test_wrong_password_shows_the_error_summary(page, police):
    page.goto("/sign-in")
    page.get_by_label("E-postadress").fill(police.email)
    page.get_by_label("Lösenord").fill("not the password")
    page.get_by_role("button", name="Logga in").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("E-postadressen eller lösenordet är fel")
    expect(summary).to_be_focused()
    expect(page).to_have_title(re.compile("^Fel: Logga in"))
    expect(page.get_by_label("E-postadress")).to_have_value(police.email)
    expect(page.get_by_label("Lösenord")).to_have_value("")
    check_page(page)
    summary.get_by_role("link").click()
    expect(page.locator("#email")).to_be_focused()


def test_empty_form_names_each_missing_field(page):
    page.goto("/sign-in")
    page.get_by_role("button", name="Logga in").click()
    links = page.get_by_role("alert").get_by_role("link")
    expect(links).to_have_text(["Fyll i din e-postadress", "Fyll i ditt lösenord"])
    assert [links.nth(i).get_attribute("href") for i in range(2)] == ["#email", "#password"]
    expect(page.locator("#password")).to_have_attribute("aria-describedby", "password-error")
    check_page(page)


def test_a_resident_is_sent_to_the_app(page, make_user, live_server):
    resident = make_user()
    page.goto("/sign-in")
    page.get_by_label("E-postadress").fill(resident.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.locator("h1")).to_have_text("Använd appen")
    check_page(page)
    # No console session was opened (only make_user's own API session exists).
    assert len(sessions_of(live_server.app, resident.id)) == 1
    page.goto("/today")
    expect(page).to_have_url(re.compile(r"/sign-in"))


def test_a_contact_person_signs_in_and_returns_to_the_page_asked_for(page, contact_person):
    page.goto("/settings")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/settings$"))
    page.get_by_label("E-postadress").fill(contact_person.email)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page).to_have_url(re.compile(r"/settings$"))
    nav = page.get_by_role("navigation", name="Huvudmeny").get_by_role("link")
    expect(nav.first).to_have_text("Idag")
    # The pages of later page groups join as they exist; the police-only ones never show here.
    labels = nav.all_inner_texts()
    assert {"Tips", "Områden"} <= set(labels)
    assert not {"Utskick", "Utbildningar", "Statistik"} & set(labels)


def test_signed_out_pages_follow_the_browser_language(browsing):
    page = browsing.new_page(locale="en-GB")
    page.goto("/sign-in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Sign in")
    check_page(page)


# --- with the test client ------------------------------------------------------------------------


def test_signed_out_front_door_redirects_to_sign_in(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in"


def test_signed_in_front_door_goes_to_today(client, police):
    assert sign_in(client, police.email).status_code == 302
    assert client.get("/").headers["Location"] == "/today"


def test_forged_post_without_the_csrf_token_is_refused(client, police, app):
    response = client.post("/sign-in", data={"email": police.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "Formuläret hade gått ut" in response.get_data(as_text=True)
    assert len(sessions_of(app, police.id)) == 1  # make_user's API session only

    assert sign_in(client, police.email).status_code == 302
    forged = client.post("/settings", data={"locale": "en", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert forged.mimetype == "text/html"
    from_another_site = client.post("/sign-out")
    assert from_another_site.status_code == 400
    assert client.get("/today").status_code == 200  # still signed in


def test_the_json_api_needs_no_csrf_token(client, police):
    response = client.post("/api/v1/auth/login", json={"email": police.email, "password": PASSWORD})
    assert response.status_code == 200


def test_session_cookie_is_httponly_and_lax(client, police):
    response = sign_in(client, police.email)
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("gsv_console=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" not in cookie  # plain http on loopback


def test_session_cookie_is_secure_over_https(app, police):
    client = app.test_client()
    site = "https://console.example.se"
    form = client.get("/sign-in", base_url=site)
    assert "Secure" in form.headers["Set-Cookie"]
    token = CSRF.search(form.get_data(as_text=True)).group(1)
    response = client.post(
        "/sign-in",
        data={"email": police.email, "password": PASSWORD, "csrf_token": token},
        base_url=site,
        headers={"Referer": f"{site}/sign-in"},  # Flask-WTF checks it on https
    )
    assert response.status_code == 302
    assert "Secure" in response.headers["Set-Cookie"]


@pytest.fixture
def https_public_url(app_config):
    app_config["SESSION_COOKIE_SECURE"] = True  # what GSV_PUBLIC_URL=https://... sets


def test_public_https_url_makes_the_cookie_secure(https_public_url, client, police):
    assert "Secure" in client.get("/sign-in").headers["Set-Cookie"]


def test_public_url_setting_decides_secure(monkeypatch):
    from grannsamverkan.config import Settings

    monkeypatch.setenv("GSV_PUBLIC_URL", "https://grannsamverkan.vimmerby.se")
    assert Settings().as_flask_config()["SESSION_COOKIE_SECURE"] is True
    monkeypatch.setenv("GSV_PUBLIC_URL", "http://127.0.0.1:5000")
    assert Settings().as_flask_config()["SESSION_COOKIE_SECURE"] is False


def test_the_cookie_is_not_a_bearer_token(client, police):
    sign_in(client, police.email)
    cookie = client.get_cookie("gsv_console").value
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {cookie}"})
    problem_of(response, 401)


def test_a_revoked_session_signs_the_browser_out(client, police, app):
    sign_in(client, police.email)
    with app.app_context():
        for row in db.session.scalars(select(AuthSession).where(AuthSession.user_id == police.id)):
            row.revoked_at = row.created_at
        db.session.commit()
    assert client.get("/today").headers["Location"] == "/sign-in?next=/today"


def test_live_fragment_after_sign_out_asks_htmx_to_load_the_sign_in_page(client):
    headers = {"HX-Request": "true", "HX-Current-URL": "http://127.0.0.1:5000/today"}
    response = client.get("/today/live?since=2026-01-01T00:00:00", headers=headers)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/sign-in?next=/today"
    elsewhere = {"HX-Request": "true", "HX-Current-URL": "https://evil.example//x"}
    response = client.get("/today/live?since=2026-01-01T00:00:00", headers=elsewhere)
    assert response.headers["HX-Redirect"] == "/sign-in"


@pytest.mark.parametrize(
    "next_path", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_sign_in_never_redirects_to_another_site(client, police, next_path):
    response = sign_in(client, police.email, next=next_path)
    assert response.headers["Location"] == "/today"


def test_sign_in_returns_to_a_same_site_path(client, police):
    response = sign_in(client, police.email, next="/settings?x=1")
    assert response.headers["Location"] == "/settings?x=1"


@pytest.fixture
def low_login_limit(app_config):
    app_config["GSV_LOGIN_LIMIT"] = "3/minute"


def test_console_and_api_share_the_sign_in_limit(low_login_limit, client, police):
    token = csrf_token(client)
    wrong = {"email": police.email, "password": "wrong password", "csrf_token": token}
    for _ in range(2):
        assert client.post("/sign-in", data=wrong).status_code == 401
    problem_of(
        client.post("/api/v1/auth/login", json={"email": police.email, "password": "x"}), 401
    )
    over = client.post("/sign-in", data={**wrong, "password": PASSWORD})
    assert over.status_code == 429
    assert over.mimetype == "text/html"
    assert "För många försök" in over.get_data(as_text=True)
    problem_of(
        client.post("/api/v1/auth/login", json={"email": police.email, "password": PASSWORD}), 429
    )
    # Only posting a password counts: the form itself still opens.
    assert client.get("/sign-in").status_code == 200
