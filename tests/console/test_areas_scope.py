"""The area pages through the test client: every object scoped as in the API (foreign areas
answer 404), the member rules of PUT /areas/{id}/members, and CSRF on each form."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Invitation, Membership, User
from grannsamverkan.services import invitations
from tests.console.test_auth import csrf_token, sign_in

POLYGON = {
    "type": "Polygon",
    "coordinates": [[[15.85, 57.66], [15.86, 57.66], [15.86, 57.67], [15.85, 57.66]]],
}


@pytest.fixture
def signed_in(app):
    """``signed_in(actor)``: a test client with a console session of ``actor``."""

    def open_client(actor):
        client = app.test_client()
        assert sign_in(client, actor.email).status_code == 302
        return client

    return open_client


def membership(app, area, user):
    with app.app_context():
        return db.session.scalar(
            select(Membership).where(Membership.area_id == area.id, Membership.user_id == user.id)
        )


def post(client, path, data, *, form_page):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, form_page)})


# --- scope: foreign areas are not there ----------------------------------------------------


def test_a_contact_person_of_area_a_gets_404_for_area_b(signed_in, contact_person, make_area):
    other = make_area(name="Näs")
    client = signed_in(contact_person)
    assert client.get(f"/areas/{contact_person.area.id}").status_code == 200
    for path in (f"/areas/{other.id}", f"/areas/{other.id + 1000}"):
        response = client.get(path)
        assert response.status_code == 404
        assert "Näs" not in response.get_data(as_text=True)
    token = csrf_token(client, f"/areas/{contact_person.area.id}")
    for path in (f"/areas/{other.id}/settings", f"/areas/{other.id}/invitations"):
        assert client.post(path, data={"name": "X", "csrf_token": token}).status_code == 404


def test_police_of_0883_get_404_for_a_0884_area(app, signed_in, make_user, make_area):
    area = make_area(name="Storgatan", municipality_code="0884")
    west = make_user(role="police", municipality_codes=["0883"])
    client = signed_in(west)
    assert client.get(f"/areas/{area.id}").status_code == 404
    listed = client.get("/areas").get_data(as_text=True)
    assert "Storgatan" not in listed
    assert "Områden i kommunerna du arbetar i: Västerviks kommun (0883)." in listed


def test_the_list_shows_only_managed_areas(signed_in, police, contact_person, make_area):
    make_area(name="Hultsfred centrum", municipality_code="0860")
    make_area(name="Näs")
    as_police = signed_in(police).get("/areas").get_data(as_text=True)
    assert "Storgatan" in as_police
    assert "Näs" in as_police
    assert "Hultsfred centrum" not in as_police
    as_contact = signed_in(contact_person).get("/areas").get_data(as_text=True)
    assert "Storgatan" in as_contact
    assert "Näs" not in as_contact
    assert "Nytt område" not in as_contact


def test_protected_members_are_never_listed(signed_in, contact_person, make_user, add_member):
    add_member(make_user(name="Skyddad Person", protected=True), contact_person.area)
    add_member(make_user(name="Synlig Granne", home=(57.6663, 15.8557)), contact_person.area)
    page = signed_in(contact_person).get(f"/areas/{contact_person.area.id}")
    html = page.get_data(as_text=True)
    assert "Synlig Granne" in html
    assert re.search(r">Storgatan \d+</td>", html)  # the household's address (make_user's home)
    assert "Skyddad Person" not in html


def test_members_are_listed_a_page_at_a_time(signed_in, contact_person, make_user, add_member):
    """A street of many households keeps the page light: 50 members a page, waiting
    households always on the first."""
    for n in range(55):
        add_member(make_user(name=f"Granne {n:02d}"), contact_person.area)
    add_member(make_user(name="Väntande Hushåll"), contact_person.area, status="pending")
    client = signed_in(contact_person)
    first = client.get(f"/areas/{contact_person.area.id}").get_data(as_text=True)
    second = client.get(f"/areas/{contact_person.area.id}?page=2").get_data(as_text=True)
    on_first = set(re.findall(r"Granne \d\d", first))
    on_second = set(re.findall(r"Granne \d\d", second))
    # 56 active members: the contact person and 55 neighbours, in the order they joined.
    assert len(on_first) == 49
    assert len(on_second) == 6
    assert on_first.isdisjoint(on_second)
    assert "Väntande Hushåll" in first
    assert re.search(r'class="count">56<', first)
    assert 'rel="next"' in first
    assert 'rel="prev"' in second


# --- the member rules ----------------------------------------------------------------------


def test_a_contact_person_cannot_appoint(app, signed_in, contact_person, make_user, add_member):
    neighbour = make_user(name="Granne")
    add_member(neighbour, contact_person.area)
    client = signed_in(contact_person)
    path = f"/areas/{contact_person.area.id}"
    html = client.get(path).get_data(as_text=True)
    assert "Gör till kontaktombud" not in html
    answer = post(client, f"{path}/members/{neighbour.id}", {"action": "appoint"}, form_page=path)
    assert answer.status_code == 403
    assert membership(app, contact_person.area, neighbour).role == "member"


def test_a_contact_person_cannot_remove_another_contact_person(
    app, signed_in, contact_person, make_user, add_member
):
    colleague = make_user(name="Kollega")
    add_member(colleague, contact_person.area, role="contact_person")
    client = signed_in(contact_person)
    path = f"/areas/{contact_person.area.id}"
    answer = post(client, f"{path}/members/{colleague.id}", {"action": "remove"}, form_page=path)
    assert answer.status_code == 403
    assert membership(app, contact_person.area, colleague).status == "active"


def test_police_appoint_and_demote(app, signed_in, police, make_user, make_area, add_member):
    area = make_area(name="Näs")
    neighbour = make_user(name="Granne")
    add_member(neighbour, area)
    client = signed_in(police)
    path = f"/areas/{area.id}"
    answer = post(client, f"{path}/members/{neighbour.id}", {"action": "appoint"}, form_page=path)
    assert answer.status_code == 302
    assert membership(app, area, neighbour).role == "contact_person"
    assert membership(app, area, neighbour).decided_by_id == police.id
    post(client, f"{path}/members/{neighbour.id}", {"action": "demote"}, form_page=path)
    assert membership(app, area, neighbour).role == "member"


def test_unknown_members_and_actions(signed_in, police, contact_person, make_user):
    stranger = make_user(name="Främling")
    client = signed_in(police)
    path = f"/areas/{contact_person.area.id}"
    unknown = post(client, f"{path}/members/{stranger.id}", {"action": "approve"}, form_page=path)
    assert unknown.status_code == 404
    nonsense = post(client, f"{path}/members/{contact_person.id}", {"action": "x"}, form_page=path)
    assert nonsense.status_code == 400


# --- forms: the API's schemas judge them, CSRF guards them ---------------------------------


def test_a_new_area_through_the_api_schema(app, signed_in, police):
    client = signed_in(police)
    data = {
        "name": "Parkvägen",
        "municipality_code": "0884",
        "center_lat": "57,6701",
        "center_lon": "15.8601",
        "boundary": f'{{"type": "Feature", "geometry": {json.dumps(POLYGON)}}}',
        "tip_moderation": "on",
    }
    answer = post(client, "/areas", data, form_page="/areas")
    assert answer.status_code == 302
    with app.app_context():
        area = db.session.scalar(select(Area).where(Area.name == "Parkvägen"))
        assert (area.center_lat, area.center_lon) == (57.6701, 15.8601)
        assert area.boundary == POLYGON
        assert area.tip_moderation is True
    assert answer.headers["Location"] == f"/areas/{area.id}"


def test_new_area_mistakes_are_shown_per_field(signed_in, police):
    client = signed_in(police)
    data = {"name": " ", "municipality_code": "0884", "center_lat": "91", "boundary": "{"}
    answer = post(client, "/areas", data, form_page="/areas")
    assert answer.status_code == 422
    html = answer.get_data(as_text=True)
    for message in ("Skriv områdets namn", "Skriv mittpunktens latitud", "inte giltig GeoJSON"):
        assert message in html
    triangle = {"type": "Polygon", "coordinates": [[[15.8, 57.6], [15.9, 57.6], [15.8, 57.6]]]}
    data = {"name": "Ok", "municipality_code": "0884", "center_lat": "57.6", "center_lon": "15.8"}
    answer = post(client, "/areas", {**data, "boundary": json.dumps(triangle)}, form_page="/areas")
    assert answer.status_code == 422
    assert "GeoJSON-polygon" in answer.get_data(as_text=True)


def test_areas_only_in_served_municipalities(app, signed_in, police, contact_person):
    data = {"name": "X", "municipality_code": "0860", "center_lat": "57", "center_lon": "15"}
    assert post(signed_in(police), "/areas", data, form_page="/areas").status_code == 403
    data["municipality_code"] = "0884"
    assert post(signed_in(contact_person), "/areas", data, form_page="/areas").status_code == 403
    with app.app_context():
        assert db.session.scalar(select(Area).where(Area.name == "X")) is None


def test_settings_follow_the_patch_rule(app, signed_in, contact_person):
    client = signed_in(contact_person)
    path = f"/areas/{contact_person.area.id}"
    answer = post(client, f"{path}/settings", {"name": "Storgatan norra"}, form_page=path)
    assert answer.status_code == 302
    with app.app_context():
        area = db.session.get(Area, contact_person.area.id)
        assert (area.name, area.tip_moderation) == ("Storgatan norra", False)
    empty = post(client, f"{path}/settings", {"name": "", "tip_moderation": "on"}, form_page=path)
    assert empty.status_code == 422
    assert "Skriv områdets namn" in empty.get_data(as_text=True)


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/areas", {"name": "X", "municipality_code": "0884", "center_lat": "57"}),
        ("/areas/{area}/settings", {"name": "Utan token"}),
        ("/areas/{area}/members/{member}", {"action": "approve"}),
        ("/areas/{area}/invitations", {}),
        ("/invitations/{token}", {}),
    ],
)
def test_every_form_needs_the_csrf_token(
    app, signed_in, police, contact_person, make_user, add_member, path, data
):
    member = make_user(name="Väntande")
    add_member(member, contact_person.area, status="pending")
    with app.test_request_context():
        token = invitations.create_invitation(
            area=db.session.get(Area, contact_person.area.id),
            created_by=db.session.get(User, contact_person.id),
            email=None,
        ).token
        db.session.commit()
    actor = police if path == "/areas" else contact_person
    url = path.format(area=contact_person.area.id, member=member.id, token=token)
    answer = signed_in(actor).post(url, data=data)
    assert answer.status_code == 400
    assert "Formuläret hade gått ut" in answer.get_data(as_text=True)
    assert membership(app, contact_person.area, member).status == "pending"
    with app.app_context():
        assert db.session.get(Area, contact_person.area.id).name == "Storgatan"


# --- invitations: used or open, and revoking -----------------------------------------------


def _console_invitation(client, area_id):
    """Creates an invitation through the console; its link's token."""
    page = f"/areas/{area_id}"
    created = post(client, f"{page}/invitations", {}, form_page=page)
    assert created.status_code == 302
    return created.headers["Location"].rsplit("/", 1)[1]


def test_the_area_page_shows_used_invitations_and_revokes_open_ones(
    app, signed_in, police, contact_person, make_user
):
    client = signed_in(contact_person)
    used_token = _console_invitation(client, contact_person.area.id)
    open_token = _console_invitation(client, contact_person.area.id)
    guest = make_user(name="Gäst")
    accepted = app.test_client().post(
        f"/api/v1/invitations/{used_token}/accept", headers=guest.headers
    )
    assert accepted.status_code == 200
    page = client.get(f"/areas/{contact_person.area.id}").get_data(as_text=True)
    table = page[page.index('id="invitations-table"') :]
    assert "Använd" in table
    assert table.count(">Återkalla</button>") == 1  # only the open one

    # Police of the area revoke it; the link then leads nowhere, for anyone.
    with app.app_context():
        [open_id] = [i.id for i in db.session.scalars(select(Invitation)) if i.used_at is None]
    as_police = signed_in(police)
    page = f"/areas/{contact_person.area.id}"
    revoked = post(as_police, f"{page}/invitations/{open_id}/revoke", {}, form_page=page)
    assert revoked.status_code == 302
    assert "Återkallad" in as_police.get(page).get_data(as_text=True)
    other = app.test_client()
    assert other.get(f"/invitations/{open_token}").status_code == 404
    # A used link leads nowhere for anyone else either.
    assert other.get(f"/invitations/{used_token}").status_code == 404
