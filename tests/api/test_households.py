"""Households without a smartphone: registered by an area's contact person with the
resident's consent, listed among the members, counted in statistics, reached by SMS for an
urgent tip nearby, erased on request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, Membership, User
from grannsamverkan.services import accounts
from tests.conftest import PASSWORD, problem_of, send_all
from tests.fakes.elks import FakeElks, running_fake_elks
from tests.notify.conftest import elks_config
from tests.tips.conftest import NAS, SPOT, offset

API = "/api/v1"
GUNNEL = "+46701112233"


@pytest.fixture(scope="session")
def elks_server() -> Iterator[FakeElks]:
    yield from running_fake_elks()


@pytest.fixture
def elks(elks_server: FakeElks) -> Iterator[FakeElks]:
    elks_server.clear()
    yield elks_server
    elks_server.clear()


@pytest.fixture
def app_config(elks_server: FakeElks) -> dict[str, Any]:
    return elks_config(elks_server.url)


@pytest.fixture
def street(make_user, make_area, add_member):
    storgatan = make_area(name="Storgatan", center=SPOT)
    nas = make_area(name="Näs", center=NAS)
    people = {
        "storgatan": storgatan,
        "nas": nas,
        "contact": make_user(home=offset(SPOT, 500)),
        "other_contact": make_user(home=offset(NAS, 50)),
        "member": make_user(home=offset(SPOT, 300)),
        "police": make_user(role="police", municipality_codes=["0884"]),
        "other_police": make_user(role="police", municipality_codes=["0860"]),
    }
    add_member(people["contact"], storgatan, role="contact_person")
    add_member(people["other_contact"], nas, role="contact_person")
    add_member(people["member"], storgatan)
    return people


def household(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Gunnel Åberg",
        "phone": "070-111 22 33",
        "channels": ["sms"],
        "home": {"lat": offset(SPOT, 150)[0], "lon": offset(SPOT, 150)[1]},
        "consent": {"given_on": "2026-11-30", "method": "written"},
    }
    body.update(overrides)
    return body


def fields_at_fault(errors: dict[str, Any], prefix: str = "") -> set[str]:
    """Dotted names of the fields in a problem's errors (nested for nested schemas)."""
    names = set()
    for key, value in errors.items():
        name = f"{prefix}{key}"
        names |= fields_at_fault(value, f"{name}.") if isinstance(value, dict) else {name}
    return names


def register(client, actor, area, body, status=201) -> Any:
    response = client.post(f"{API}/areas/{area.id}/households", json=body, headers=actor.headers)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


def test_a_contact_person_registers_a_household(app, client, street):
    created = register(client, street["contact"], street["storgatan"], household())
    assert created["name"] == "Gunnel Åberg"
    assert created["phone"] == GUNNEL
    assert created["email"] is None
    assert created["channels"] == ["sms"]
    assert created["consent"] == {
        "given_on": "2026-11-30",
        "method": "written",
        "recorded_by_id": street["contact"].id,
    }
    with app.app_context():
        user = db.session.get(User, created["user_id"])
        assert user.password_hash is None
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert (membership.area_id, membership.status) == (street["storgatan"].id, "active")
    members = client.get(
        f"{API}/areas/{street['storgatan'].id}/members", headers=street["contact"].headers
    ).get_json()["items"]
    marked = {m["user_id"]: m["household"] for m in members}
    assert marked[created["user_id"]] is True
    assert marked[street["member"].id] is False


def test_a_household_cannot_sign_in_nor_reset_a_password(app, client, street):
    created = register(
        client,
        street["contact"],
        street["storgatan"],
        household(email="gunnel@example.se", channels=["email", "sms"]),
    )
    assert created["channels"] == ["email", "sms"]
    response = client.post(
        f"{API}/auth/login", json={"email": "gunnel@example.se", "password": PASSWORD}
    )
    assert response.status_code == 401
    client.post(f"{API}/auth/password-reset", json={"email": "gunnel@example.se"})
    with app.app_context():
        assert accounts.check_password(email="gunnel@example.se", password="") is None
        queued = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).all()
        assert queued == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"phone": None}, "phone"),  # neither a number nor an address
        ({"phone": "12"}, "phone"),
        ({"channels": ["email"]}, "email"),  # e-mail chosen, no address given
        ({"channels": []}, "channels"),
        ({"channels": ["push"]}, "channels.0"),  # nobody to push to
        ({"name": "   "}, "name"),
        ({"home": {"lat": 57.66}}, "home.lon"),
        ({"home": {"lat": 48.85, "lon": 2.35}}, "home.lat"),  # Paris: not in Sweden
        ({"consent": {"method": "written"}}, "consent.given_on"),
        ({"consent": {"given_on": "2026-11-30", "method": "telepathy"}}, "consent.method"),
        ({"consent": {"given_on": "2099-01-01", "method": "verbal"}}, "consent.given_on"),
    ],
)
def test_bad_registrations_name_the_field(client, street, overrides, field):
    body = household(**overrides)
    response = client.post(
        f"{API}/areas/{street['storgatan'].id}/households",
        json=body,
        headers=street["contact"].headers,
    )
    problem = problem_of(response, 422)
    assert field in fields_at_fault(problem["errors"]), problem


def test_consent_is_required(client, street):
    body = household()
    del body["consent"]
    response = client.post(
        f"{API}/areas/{street['storgatan'].id}/households",
        json=body,
        headers=street["contact"].headers,
    )
    assert "consent" in problem_of(response, 422)["errors"]


def test_an_address_in_use_is_refused(client, street):
    body = household(email=street["member"].email, channels=["email"])
    response = client.post(
        f"{API}/areas/{street['storgatan'].id}/households",
        json=body,
        headers=street["contact"].headers,
    )
    assert "email" in problem_of(response, 422)["errors"]


def test_only_the_areas_contact_persons_and_police_register(client, street):
    area = street["storgatan"]
    register(client, street["other_contact"], area, household(), status=404)  # another area
    register(client, street["member"], area, household(), status=403)
    register(client, street["other_police"], area, household(), status=404)
    register(client, street["police"], area, household(), status=201)


def test_removal_erases_the_household(app, client, street, post_tip, elks):
    created = register(client, street["contact"], street["storgatan"], household())
    post_tip(street["member"], "burglary")  # Gunnel gets a text: a delivery row with her number
    with app.app_context():
        assert db.session.scalar(select(Delivery.sms_to).where(Delivery.channel == "sms")) == GUNNEL
    url = f"{API}/areas/{street['storgatan'].id}/households/{created['user_id']}"
    assert client.delete(url, headers=street["other_contact"].headers).status_code == 404
    assert client.delete(url, headers=street["member"].headers).status_code == 403
    assert client.delete(url, headers=street["contact"].headers).status_code == 204
    with app.app_context():
        assert db.session.get(User, created["user_id"]) is None
        (row,) = db.session.execute(
            select(Delivery.sms_to, Delivery.user_id).where(Delivery.channel == "sms")
        ).all()
        assert tuple(row) == (None, None)  # the count stays, the person and number go
    assert client.delete(url, headers=street["contact"].headers).status_code == 404


def test_a_member_with_an_account_is_not_removed_as_a_household(client, street):
    url = f"{API}/areas/{street['storgatan'].id}/households/{street['member'].id}"
    assert client.delete(url, headers=street["contact"].headers).status_code == 404


def test_removing_a_households_membership_erases_it(app, client, street):
    created = register(client, street["contact"], street["storgatan"], household())
    url = f"{API}/areas/{street['storgatan'].id}/members/{created['user_id']}"
    assert client.delete(url, headers=street["contact"].headers).status_code == 204
    with app.app_context():
        assert db.session.get(User, created["user_id"]) is None


def test_households_count_in_area_statistics(client, street):
    police = street["police"].headers

    def households_in_storgatan() -> int:
        response = client.get(
            f"{API}/stats/areas", query_string={"municipality_code": "0884"}, headers=police
        )
        assert response.status_code == 200, response.get_data(as_text=True)
        (row,) = [r for r in response.get_json()["rows"] if r["area_id"] == street["storgatan"].id]
        return row["households"]

    before = households_in_storgatan()
    register(client, street["contact"], street["storgatan"], household())
    assert households_in_storgatan() == before + 1
    area = client.get(f"{API}/areas/{street['storgatan'].id}", headers=police).get_json()
    assert area["active_households"] == before + 1


def test_a_household_is_texted_about_an_urgent_tip_nearby(
    app, client, street, post_tip, elks, dispatcher
):
    register(client, street["contact"], street["storgatan"], household())
    post_tip(street["member"], "suspicious_person")  # not urgent: no text
    post_tip(street["member"], "burglary", at=offset(SPOT, 40))
    send_all(app, dispatcher)
    (text,) = elks.texts_to(GUNNEL)
    assert text.startswith("Grannsamverkan: Inbrott i Storgatan.")


def test_a_household_far_away_is_not_texted(app, client, street, post_tip, elks, dispatcher):
    far = household(home={"lat": offset(SPOT, 3000)[0], "lon": offset(SPOT, 3000)[1]})
    register(client, street["contact"], street["storgatan"], far)
    post_tip(street["member"], "burglary")
    send_all(app, dispatcher)
    assert elks.texts_to(GUNNEL) == []
