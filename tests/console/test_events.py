"""Training events in the console: who comes and who waits (names for police only), a raised
capacity moving a waitlisted member up, the printable list; who may open these pages."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Broadcast, Delivery, Rsvp
from tests.broadcasts import conftest as broadcast_fixtures
from tests.broadcasts.conftest import API, training
from tests.console.conftest import check_page
from tests.console.test_auth import csrf_token, sign_in

town = broadcast_fixtures.town
send = broadcast_fixtures.send

STOCKHOLM = ZoneInfo("Europe/Stockholm")
PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return {**push_config, "GSV_CONSOLE_POLL_S": 1, "GSV_MAP_TILES": ""}


@pytest.fixture
def full_event(client, town, send) -> dict[str, Any]:
    """A course with one place: anna has it, cecilia waits."""
    event = send(town.police, training(capacity=1))
    for actor in (town.anna, town.cecilia):
        response = client.post(f"{API}/broadcasts/{event['id']}/rsvp", headers=actor.headers)
        assert response.status_code == 201
    return event


def _names(app, event_id):
    with app.app_context():
        return {
            row.status: row.user_id
            for row in db.session.scalars(select(Rsvp).where(Rsvp.broadcast_id == event_id))
        }


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_police_see_who_comes_and_raise_the_capacity(
    app, signed_in_page, town, full_event, viewport
):
    page = signed_in_page(town.police, viewport=viewport)
    page.goto("/events")
    check_page(page)
    upcoming = page.get_by_role("table", name="Kommande")
    expect(upcoming).to_contain_text("Kurs i hjärt-lungräddning")
    expect(upcoming).to_contain_text("1 av 1, 1 väntar")
    upcoming.get_by_role("link", name="Kurs i hjärt-lungräddning").click()

    confirmed = page.get_by_role("table", name="Bekräftade platser")
    waiting = page.get_by_role("table", name="Väntelista")
    expect(confirmed).to_contain_text("User 3")  # anna
    expect(confirmed).to_contain_text("user3@example.se")
    expect(waiting).to_contain_text("User 5")  # cecilia
    check_page(page)

    page.get_by_label("Platser", exact=True).fill("0")
    page.get_by_role("button", name="Ändra antalet platser").click()
    expect(page.locator(".error-summary")).to_contain_text("Skriv antalet platser")
    check_page(page)

    page.get_by_label("Platser", exact=True).fill("2")
    page.get_by_role("button", name="Ändra antalet platser").click()
    expect(page.locator(".notice")).to_have_text("Antalet platser är nu 2.")
    expect(confirmed).to_contain_text("User 5")
    expect(page.get_by_text("Ingen väntar.")).to_be_visible()
    check_page(page)
    assert set(_names(app, full_event["id"])) == {"confirmed"}
    with app.app_context():
        promotion = db.session.scalars(
            select(Delivery).where(Delivery.purpose.like("promotion-%"))
        ).all()
        assert len(promotion) == 1  # cecilia's phone is told she has a place


def test_compose_a_training_event(app, signed_in_page, town):
    starts = (datetime.now(STOCKHOLM) + timedelta(days=3)).replace(hour=18, minute=0)
    page = signed_in_page(town.police, viewport=DESKTOP)
    page.goto("/events")
    page.get_by_role("link", name="Ny utbildning").click()
    event_fields = page.locator("#event-fields")
    expect(event_fields).to_be_visible()
    page.get_by_label("Bedrägerivarning").check()
    expect(event_fields).to_be_hidden()  # only for a training event
    page.get_by_label("Utbildning", exact=True).check()
    page.get_by_label("Rubrik").fill("Trygghetsvandring på Näs")
    page.get_by_label("Text", exact=True).fill("Vi går runt kvarteren och ser över belysningen.")
    page.get_by_label("Ämne").select_option("safety_walk")
    page.get_by_label("Börjar").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Slutar").fill(starts.strftime("%Y-%m-%dT") + "17:00")
    page.get_by_label("Plats", exact=True).fill("Näs skola")
    page.get_by_label("Antal platser").fill("12")
    page.get_by_label("Hela kommuner").check()
    page.get_by_label("Vimmerby kommun (0884)", exact=True).check()
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.locator(".error-summary")).to_contain_text("Skriv när utbildningen slutar")
    check_page(page)
    page.get_by_label("Slutar").fill(starts.strftime("%Y-%m-%dT") + "20:00")
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.locator("#reach")).to_contain_text("4 personer")
    expect(page.locator(".summary-list")).to_contain_text("Trygghetsvandring")
    check_page(page)
    page.get_by_role("button", name="Skicka nu").click()
    expect(page.locator("h1")).to_have_text("Trygghetsvandring på Näs")
    expect(page.get_by_role("link", name="Kalenderfil (iCalendar)")).to_be_visible()
    with app.app_context():
        event = db.session.scalar(select(Broadcast))
        assert event.starts_at == starts.replace(second=0, microsecond=0)
        assert (event.capacity, event.place, event.kind) == (12, "Näs skola", "training_event")


def test_the_printable_list(signed_in_page, town, full_event):
    page = signed_in_page(town.police, viewport=DESKTOP)
    page.goto(f"/events/{full_event['id']}")
    page.get_by_role("link", name="Utskriftslista för kursledaren").click()
    expect(page.locator("h1")).to_have_text("Närvarolista: Kurs i hjärt-lungräddning")
    table = page.locator(".sign-table")
    expect(table.get_by_role("columnheader", name="Namnteckning")).to_be_visible()
    expect(table).to_contain_text("User 3")
    check_page(page)
    page.emulate_media(media="print")
    expect(page.locator(".header")).to_be_hidden()
    expect(page.locator(".nav")).to_be_hidden()
    # One A4 page: 297 mm less the 2 × 15 mm margins, at 96 px per inch.
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height <= (297 - 30) / 25.4 * 96


def test_protected_members_are_counted_but_never_named(app, client, signed_in_page, town, send):
    event = send(town.police, training(capacity=5))
    response = client.post(f"{API}/broadcasts/{event['id']}/rsvp", headers=town.doris.headers)
    assert response.status_code == 201
    page = signed_in_page(town.police, viewport=DESKTOP)
    page.goto(f"/events/{event['id']}")
    confirmed = page.get_by_role("table", name="Bekräftade platser")
    expect(confirmed).to_contain_text("Skyddad identitet")
    expect(confirmed).not_to_contain_text("User 6")
    expect(confirmed).not_to_contain_text("@example.se")


# --- who may open these pages (Flask test client) ---------------------------------------------


def _signed_in(app, actor):
    client = app.test_client()
    assert sign_in(client, actor.email).status_code == 302
    return client


def test_members_and_other_police_see_no_names(app, town, full_event):
    event_id = full_event["id"]
    contact_person = _signed_in(app, town.bertil)
    for path in ("/events", f"/events/{event_id}", f"/events/{event_id}/print"):
        response = contact_person.get(path)
        assert response.status_code == 403, path
        assert "user3@example.se" not in response.get_data(as_text=True)
    other_police = _signed_in(app, town.other_police)
    for path in (f"/events/{event_id}", f"/events/{event_id}/print"):
        response = other_police.get(path)
        assert response.status_code == 404, path
        assert "user3@example.se" not in response.get_data(as_text=True)
    token = csrf_token(other_police, "/events")
    response = other_police.post(
        f"/events/{event_id}/capacity", data={"csrf_token": token, "capacity": "9"}
    )
    assert response.status_code == 404
    assert "User 3" not in other_police.get("/events").get_data(as_text=True)


def test_capacity_form_needs_the_csrf_token(app, town, full_event):
    client = _signed_in(app, town.police)
    response = client.post(f"/events/{full_event['id']}/capacity", data={"capacity": "5"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Broadcast, full_event["id"]).capacity == 1


def test_a_broadcast_that_is_not_an_event_has_no_event_page(app, town, send):
    sent = send(town.police, broadcast_fixtures.warning())
    client = _signed_in(app, town.police)
    assert client.get(f"/events/{sent['id']}").status_code == 404
