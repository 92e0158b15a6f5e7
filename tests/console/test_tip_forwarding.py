"""The tip page's "Skicka till kommunen": police of the area send an unsafe-place tip to the
municipality's case system (Open311); the panel shows how far it has come."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, TipForward
from tests.console.conftest import check_page

DESKTOP = {"width": 1280, "height": 900}


def app_config_json() -> str:
    # The dispatcher is off in tests: the endpoint (a closed port) is never asked.
    return json.dumps(
        {"0884": {"endpoint": "http://127.0.0.1:9/v2/", "service_codes": {"unsafe_place": "ljus"}}}
    )


@pytest.fixture
def app_config():
    return {"GSV_CONSOLE_POLL_S": 1, "GSV_MAP_TILES": "", "GSV_OPEN311": app_config_json()}


def test_police_send_an_unsafe_place_to_the_municipality(
    signed_in_page, make_user, make_area, add_member, post_tip, app
):
    area = make_area()
    reporter, contact = make_user(), make_user()
    police = make_user(role="police", municipality_codes=["0884"])
    add_member(reporter, area)
    add_member(contact, area, role="contact_person")
    tip = post_tip(reporter, "unsafe_place", description="Trasig gatlykta vid skolan")

    page = signed_in_page(contact, viewport=DESKTOP)
    page.goto(f"/tips/{tip['id']}")
    expect(page.locator("h1")).to_contain_text("Otrygg plats")
    expect(page.get_by_role("button", name="Skicka till kommunen")).to_have_count(0)

    page = signed_in_page(police, viewport=DESKTOP)
    page.goto(f"/tips/{tip['id']}")
    check_page(page)
    page.get_by_role("button", name="Skicka till kommunen").click()
    expect(page.locator(".notice")).to_have_text("Tipset är på väg till kommunen.")
    panel = page.get_by_role("region", name="Kommunen")
    expect(panel).to_contain_text("Skickas till kommunen")
    expect(page.get_by_role("button", name="Skicka till kommunen")).to_have_count(0)
    check_page(page)
    with app.app_context():
        forward = db.session.scalar(select(TipForward))
        assert (forward.tip_id, forward.state, forward.service_code) == (
            tip["id"],
            "queued",
            "ljus",
        )
        channels = db.session.scalars(select(Delivery.channel)).all()
        assert channels == ["open311"]
