"""Broadcasts in the console: compose, check (reach and the push preview), send, update and
cancel, with the pushes arriving at the push sink; who may open these pages; CSRF."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Broadcast, Delivery
from tests.broadcasts import conftest as broadcast_fixtures
from tests.broadcasts.conftest import API, warning
from tests.conftest import send_all
from tests.console.conftest import check_page
from tests.console.test_auth import csrf_token, sign_in

# The broadcasts tests' small town (two municipalities, members with phones) and sender.
town = broadcast_fixtures.town
send = broadcast_fixtures.send

PHONE = {"width": 375, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
TITLE = "Falska bankmän ringer på Storgatan"
BODY = "Ingen bank ber dig flytta pengar eller lämna ut koder. Lägg på och ring 114 14."


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return {**push_config, "GSV_CONSOLE_POLL_S": 1, "GSV_MAP_TILES": ""}


def _in_thread(work: Any) -> None:
    """Run ``work`` in a thread of its own and re-raise what it raised: firebase-admin runs
    asyncio, and Playwright's sync API keeps an event loop running in the test's thread."""
    failures: list[BaseException] = []

    def run() -> None:
        try:
            work()
        except BaseException as error:  # noqa: BLE001 - re-raised in the test's thread
            failures.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    if failures:
        raise failures[0]


@pytest.fixture
def deliver(app: Any) -> Iterator[Any]:
    """``deliver()`` sends every pending push to the sink, as the live dispatcher would."""
    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    runner = app.extensions[EXTENSION]
    dispatcher = dispatcher_for(app, runner.sender)
    yield lambda: _in_thread(lambda: send_all(app, dispatcher))
    _in_thread(runner.close_sender)


def _compose_to_storgatan(page: Any) -> None:
    page.goto("/broadcasts")
    check_page(page)
    page.get_by_role("link", name="Ny bedrägerivarning").click()
    expect(page.locator("h1")).to_have_text("Nytt utskick")
    expect(page.get_by_label("Bedrägerivarning")).to_be_checked()
    check_page(page)
    page.get_by_label("Rubrik").fill(TITLE)
    page.get_by_label("Text", exact=True).fill(BODY)
    page.get_by_label("Måttlig").check()
    page.get_by_label("Områden", exact=True).check()
    page.get_by_label("Storgatan, Vimmerby kommun (0884)").check()
    page.get_by_role("button", name="Fortsätt").click()


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_send_a_fraud_warning_to_an_area_then_cancel_it(
    app, signed_in_page, town, sink, deliver, viewport
):
    page = signed_in_page(town.police, viewport=viewport)
    _compose_to_storgatan(page)

    # Check your answers: the reach (anna, bertil; erik is pending) and the push preview.
    expect(page.locator("h1")).to_have_text("Kontrollera innan du skickar")
    reach = page.locator("#reach")
    expect(reach).to_contain_text("2 personer")
    expect(reach).to_contain_text("3 telefoner")  # bertil has a phone and a tablet
    preview = page.locator("#push-preview")
    expect(preview).to_contain_text(TITLE)
    expect(preview).to_contain_text("ring 114 14")
    expect(page.locator(".summary-list")).to_contain_text("Storgatan")
    check_page(page)
    with app.app_context():
        assert db.session.scalar(select(func.count(Broadcast.id))) == 0, "checking sends nothing"

    page.get_by_role("button", name="Skicka nu").click()
    expect(page.locator(".notice")).to_have_text("Skickat till 2 personer.")
    expect(page.locator("h1")).to_have_text(TITLE)
    expect(page.locator("#people-reached")).to_have_text("2")
    expect(page.get_by_role("link", name="CAP-larm (XML)")).to_be_visible()
    check_page(page)
    deliver()
    for token in ("anna-phone", "bertil-phone", "bertil-tablet"):
        [push] = sink.tray(token)
        assert push["data"]["title"] == TITLE
        assert push["data"]["purpose"] == "alert"
    for token in ("cecilia-phone", "doris-phone", "erik-phone", "police-phone"):
        assert sink.tray(token) == [], token

    page.get_by_role("link", name="Avbryt utskicket").click()
    expect(page.locator("h1")).to_have_text("Avbryta utskicket?")
    check_page(page)
    page.get_by_role("button", name="Ja, avbryt det").click()
    expect(page.locator(".notice")).to_contain_text("Utskicket är avbrutet")
    expect(page.locator(".summary-list")).to_contain_text("Avbrutet")
    expect(page.get_by_role("link", name="Uppdatera")).to_have_count(0)
    check_page(page)
    deliver()
    cancel = sink.tray("anna-phone")[-1]
    assert cancel["data"]["purpose"] == "cancel"
    assert cancel["data"]["title"] == f"Avblåst: {TITLE}"


def test_errors_are_summarised_and_the_check_step_can_go_back(signed_in_page, town):
    page = signed_in_page(town.police, viewport=DESKTOP)
    page.goto("/broadcasts/new?kind=notice")
    page.get_by_label("Områden", exact=True).check()
    page.get_by_role("button", name="Fortsätt").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Skriv en rubrik på högst 200 tecken")
    expect(summary).to_contain_text("Välj minst ett område")
    expect(page).to_have_title(re.compile("^Fel:"))
    check_page(page)
    summary.get_by_role("link", name="Välj minst ett område").click()
    expect(page).to_have_url(re.compile(f"#area_ids-{town.nas.id}$"))  # the first box

    page.get_by_label("Rubrik").fill("Vattnet stängs av")
    page.get_by_label("Text", exact=True).fill("I morgon kl. 9–12 på Storgatan.")
    page.get_by_label("Storgatan, Vimmerby kommun (0884)").check()
    page.get_by_role("button", name="Fortsätt").click()
    expect(page.locator("#reach")).to_contain_text("2 personer")
    page.get_by_role("button", name="Ändra").click()
    expect(page.get_by_label("Rubrik")).to_have_value("Vattnet stängs av")
    expect(page.get_by_label("Storgatan, Vimmerby kommun (0884)")).to_be_checked()
    check_page(page)


def test_a_circle_drawn_on_the_map(signed_in_page, town):
    page = signed_in_page(town.police, viewport=DESKTOP)
    page.goto("/broadcasts/new")
    page.get_by_label("Rubrik").fill("Inbrottsvåg kring Storgatan")
    page.get_by_label("Text", exact=True).fill("Lås förråden i natt.")
    page.get_by_label("En cirkel på kartan").check()
    map_element = page.locator("#circle-map")
    expect(map_element).to_be_visible()
    map_element.click()  # the middle of the map: the centre of the officer's areas
    expect(page.get_by_label("Mittpunktens latitud")).not_to_have_value("")
    page.get_by_label("Radie i meter").fill("50000")
    page.get_by_role("button", name="Fortsätt").click()
    # Every active Vimmerby member; Hultsfred (0860) is clipped away.
    expect(page.locator("#reach")).to_contain_text("4 personer")
    check_page(page)


def test_update_tells_the_phones(signed_in_page, town, send, sink, deliver):
    sent = send(town.police, warning(target={"area_ids": [town.storgatan.id]}))
    deliver()
    page = signed_in_page(town.police, viewport=DESKTOP)
    page.goto(f"/broadcasts/{sent['id']}")
    page.get_by_role("link", name="Uppdatera").click()
    expect(page.locator("h1")).to_have_text("Uppdatera utskicket")  # loaded, then checked
    check_page(page)
    page.get_by_label("Rubrik").fill("")
    page.get_by_role("button", name="Spara och meddela telefonerna").click()
    expect(page.locator(".error-summary")).to_contain_text("Skriv en rubrik")
    check_page(page)
    page.get_by_label("Rubrik").fill("Falska poliser ringer igen")
    page.get_by_role("button", name="Spara och meddela telefonerna").click()
    expect(page.locator("h1")).to_have_text("Falska poliser ringer igen")
    expect(page.locator(".versions li")).to_have_count(2)
    deliver()
    update = sink.tray("anna-phone")[-1]
    assert update["data"]["purpose"] == "update"
    assert update["data"]["title"] == "Uppdatering: Falska poliser ringer igen"


def test_the_push_preview_is_cut_like_the_push(signed_in_page, town):
    page = signed_in_page(town.police, viewport=DESKTOP)
    page.goto("/broadcasts/new")
    page.get_by_label("Rubrik").fill("Lång varning")
    page.get_by_label("Text", exact=True).fill("Ring aldrig tillbaka. " * 180)  # 3,960 characters
    page.get_by_label("Områden", exact=True).check()
    page.get_by_label("Storgatan, Vimmerby kommun (0884)").check()
    page.get_by_role("button", name="Fortsätt").click()
    body = page.locator(".phone-preview__body").inner_text()
    assert body.endswith("…")
    assert len(body) < len("Ring aldrig tillbaka. " * 180)


# --- who may open these pages (Flask test client) ---------------------------------------------


def _signed_in(app, actor):
    client = app.test_client()
    assert sign_in(client, actor.email).status_code == 302
    return client


def test_a_contact_person_and_a_resident_may_not_open_broadcasts(app, town, send):
    sent = send(town.police, warning())
    contact_person = _signed_in(app, town.bertil)  # got the warning: still no police page
    for path in ("/broadcasts", "/broadcasts/new", f"/broadcasts/{sent['id']}"):
        assert contact_person.get(path).status_code == 403, path
    token = csrf_token(contact_person, "/settings")
    response = contact_person.post(f"/broadcasts/{sent['id']}/cancel", data={"csrf_token": token})
    assert response.status_code == 403
    resident = app.test_client()
    sign_in(resident, town.resident.email)
    assert resident.get("/broadcasts").status_code in (302, 403)
    today = contact_person.get("/today").get_data(as_text=True)
    assert "Falska poliser ringer äldre" in today  # they got it, and see it on Today,
    assert "/broadcasts" not in today  # but neither the menu nor Today links to police pages


def test_police_of_another_municipality_cannot_manage_a_broadcast(app, town, send):
    sent = send(town.police, warning())  # 0884 only
    other = _signed_in(app, town.other_police)  # serves 0860
    for path in (
        f"/broadcasts/{sent['id']}",
        f"/broadcasts/{sent['id']}/edit",
        f"/broadcasts/{sent['id']}/cancel",
    ):
        assert other.get(path).status_code == 404, path
    token = csrf_token(other, "/broadcasts/new")
    response = other.post(f"/broadcasts/{sent['id']}/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Broadcast, sent["id"]).status == "active"


def test_police_may_not_target_what_they_do_not_serve(app, town):
    client = _signed_in(app, town.police)
    token = csrf_token(client, "/broadcasts/new")
    form = {
        "csrf_token": token,
        "kind": "notice",
        "title": "Hej",
        "body": "Text",
        "target": "areas",
        "area_ids": str(town.hultsfred.id),
    }
    response = client.post("/broadcasts/new", data=form)
    assert response.status_code == 422
    assert "Du kan bara skicka till dina egna kommuner och områden" in response.get_data(
        as_text=True
    )
    response = client.post("/broadcasts/new", data={**form, "step": "send"})
    assert response.status_code == 422
    with app.app_context():
        assert db.session.scalar(select(func.count(Broadcast.id))) == 0


def test_sending_without_javascript_revalidates(app, town):
    client = _signed_in(app, town.police)
    token = csrf_token(client, "/broadcasts/new")
    form = {
        "csrf_token": token,
        "kind": "fraud_warning",
        "title": "Falska hantverkare",
        "body": "Släpp inte in okända.",
        "target": "municipalities",
        "municipality_codes": "0884",
        "step": "send",
    }
    response = client.post("/broadcasts/new", data={**form, "title": " "})
    assert response.status_code == 422
    response = client.post("/broadcasts/new", data=form)
    assert response.status_code == 302
    with app.app_context():
        broadcast = db.session.scalar(select(Broadcast))
        assert broadcast.title == "Falska hantverkare"
        assert broadcast.author_id == town.police.id
        assert db.session.scalar(select(func.count(Delivery.id))) == 5  # Vimmerby's phones
        assert db.session.scalar(select(func.count(Alert.id))) == 1
    assert response.headers["Location"] == f"/broadcasts/{broadcast.id}"


@pytest.mark.parametrize(
    "path", ["/broadcasts/new", "/broadcasts/{id}/edit", "/broadcasts/{id}/cancel"]
)
def test_every_form_needs_the_csrf_token(app, town, send, path):
    sent = send(town.police, warning())
    client = _signed_in(app, town.police)
    data = {"kind": "notice", "title": "Ny", "body": "Text", "step": "send"}
    response = client.post(path.format(id=sent["id"]), data=data)
    assert response.status_code == 400
    with app.app_context():
        broadcast = db.session.get(Broadcast, sent["id"])
        assert (broadcast.status, broadcast.sequence) == ("active", 0)
        assert db.session.scalar(select(func.count(Broadcast.id))) == 1


# --- the API's reach preview -----------------------------------------------------------------


def test_api_reach_counts_people_and_phones_and_writes_nothing(app, client, town):
    response = client.post(
        f"{API}/broadcasts/reach",
        json={"area_ids": [town.storgatan.id, town.nas.id]},
        headers=town.police.headers,
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    # anna, bertil (2 phones), cecilia, doris.
    assert response.get_json() == {"people": 4, "phones": 5}
    with app.app_context():
        assert db.session.scalar(select(func.count(Alert.id))) == 0


def test_api_reach_is_for_police_in_their_municipalities(client, town):
    body = {"area_ids": [town.hultsfred.id]}
    response = client.post(f"{API}/broadcasts/reach", json=body, headers=town.police.headers)
    assert response.status_code == 403
    response = client.post(f"{API}/broadcasts/reach", json=body, headers=town.anna.headers)
    assert response.status_code == 403
    response = client.post(f"{API}/broadcasts/reach", json={}, headers=town.police.headers)
    assert response.status_code == 422
