"""No N+1: every list route sends as many statements for a page of 20 items as for 2."""

from __future__ import annotations

from typing import Any

import pytest

from tests.broadcasts.conftest import API, training, warning
from tests.query_count import statements_per_page
from tests.tips.conftest import SPOT, offset

ITEMS = 21


@pytest.fixture
def app_config() -> dict[str, Any]:
    return {"GSV_TIP_LIMIT": "1000/hour"}


@pytest.fixture
def busy_town(town, send, client) -> Any:
    """Events with RSVPs and warnings, so the members' inbox and list are long."""
    for n in range(ITEMS):
        if n % 2:
            event = send(town.police, training(capacity=5))
            answer = client.post(f"{API}/broadcasts/{event['id']}/rsvp", headers=town.anna.headers)
            assert answer.status_code == 201
        else:
            send(town.police, warning(title=f"Varning {n}"))
    return town


def assert_constant(counts: dict[int, int]) -> None:
    assert counts[2] == counts[20], counts


def test_broadcasts_as_member_and_police(app, client, busy_town):
    for actor in (busy_town.anna, busy_town.police):
        assert_constant(statements_per_page(app, client, f"{API}/broadcasts", actor.headers))


def test_alerts(app, client, busy_town):
    assert_constant(statements_per_page(app, client, f"{API}/alerts", busy_town.anna.headers))


def test_tips_for_police_and_contact_person(app, client, town, post_tip):
    for n in range(ITEMS):
        post_tip(town.anna if n % 2 else town.bertil, description=f"Tip number {n} here.")
    for actor in (town.police, town.bertil):  # full views with reporter and alert
        assert_constant(statements_per_page(app, client, f"{API}/tips", actor.headers))


def test_areas_members_and_help_resources(app, client, town, make_area, make_user, add_member):
    for n in range(ITEMS):
        make_area(name=f"Gata {n}", center=offset(SPOT, 100 * n))
        add_member(make_user(home=offset(SPOT, 10 * n)), town.storgatan)
        answer = client.post(
            f"{API}/help-resources",
            json={
                "name": f"Stödlinje {n}",
                "topic": "crime_victims",
                "description": "Stöd för brottsoffer.",
                "phone": "116 006",
                "municipality_code": "0884",
            },
            headers=town.police.headers,
        )
        assert answer.status_code == 201, answer.get_data(as_text=True)
    police = town.police.headers
    assert_constant(statements_per_page(app, client, f"{API}/areas?municipality_code=0884", police))
    members = f"{API}/areas/{town.storgatan.id}/members"
    assert_constant(statements_per_page(app, client, members, police))
    assert_constant(statements_per_page(app, client, f"{API}/help-resources", {}))
