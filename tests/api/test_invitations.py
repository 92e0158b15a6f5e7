"""Invitations are single-use, revocable, and never give back a role or undo a removal
(issue 11, "A removed contact person regains full rights with an old invitation link")."""

from __future__ import annotations

import pytest

from tests.api.app_per_module import app_per_module
from tests.conftest import problem_of

backend, app, _fresh_state = app_per_module()

API = "/api/v1"


@pytest.fixture
def police(make_user):
    return make_user(role="police", municipality_codes=["0884"], name="Polis")


@pytest.fixture
def area(make_area):
    return make_area()


def _me(client, actor):
    r = client.get(f"{API}/me", headers=actor.headers)
    assert r.status_code == 200
    return {m["area_id"]: (m["role"], m["status"]) for m in r.json["memberships"]}


def _invite(client, actor, area, **body):
    r = client.post(f"{API}/areas/{area.id}/invitations", headers=actor.headers, json=body)
    assert r.status_code == 201, r.json
    assert {"id", "token", "expires_at"} <= set(r.json)
    return r.json


def _accept(client, actor, invitation):
    return client.post(f"{API}/invitations/{invitation['token']}/accept", headers=actor.headers)


def _appoint(client, police, area, person):
    url = f"{API}/areas/{area.id}/members/{person.id}"
    body = {"status": "active", "role": "contact_person"}
    assert client.put(url, headers=police.headers, json=body).status_code == 200


def _listed(client, actor, area):
    r = client.get(f"{API}/areas/{area.id}/invitations", headers=actor.headers)
    assert r.status_code == 200, r.json
    return {item["id"]: item for item in r.json["items"]}


def test_removed_contact_person_does_not_regain_anything_with_their_old_link(
    client, make_user, police, area
):
    """The issue's scenario: police appoint N, N makes a link, police remove N, N accepts."""
    n = make_user(name="N")
    _appoint(client, police, area, n)
    own_link = _invite(client, n, area)
    url = f"{API}/areas/{area.id}/members/{n.id}"
    assert client.put(url, headers=police.headers, json={"status": "removed"}).status_code == 200

    problem_of(_accept(client, n, own_link), 400)
    assert _me(client, n) == {area.id: ("contact_person", "removed")}
    members = client.get(f"{API}/areas/{area.id}/members", headers=n.headers)
    assert members.status_code in (403, 404)
    assert "@" not in members.get_data(as_text=True)

    # Nor with a link another contact person made: an invitation never undoes a removal.
    other = make_user()
    _appoint(client, police, area, other)
    problem_of(_accept(client, n, _invite(client, other, area)), 403)
    assert _me(client, n) == {area.id: ("contact_person", "removed")}


def test_a_link_of_a_contact_person_who_lost_the_role_stops_working(
    client, make_user, police, area
):
    maker, guest = make_user(), make_user()
    _appoint(client, police, area, maker)
    link = _invite(client, maker, area)
    url = f"{API}/areas/{area.id}/members/{maker.id}"
    body = {"status": "active", "role": "member"}
    assert client.put(url, headers=police.headers, json=body).status_code == 200
    problem_of(_accept(client, guest, link), 400)
    assert _me(client, guest) == {}


def test_a_link_works_once(client, make_user, police, area):
    contact, anna, bo = make_user(), make_user(), make_user()
    _appoint(client, police, area, contact)
    link = _invite(client, contact, area)
    assert _accept(client, anna, link).status_code == 200
    problem_of(_accept(client, bo, link), 400)
    assert _me(client, bo) == {}
    # Anna accepting again changes nothing, and the list shows the link as used.
    assert _accept(client, anna, link).json["status"] == "active"
    listed = _listed(client, contact, area)[link["id"]]
    assert listed["state"] == "used"
    assert listed["used_at"] is not None
    assert "token" not in listed


def test_invitation_grants_at_most_member(client, make_user, police, area, add_member):
    contact, waiting = make_user(), make_user()
    _appoint(client, police, area, contact)
    add_member(waiting, area, role="contact_person", status="pending")
    r = _accept(client, waiting, _invite(client, contact, area))
    assert (r.json["role"], r.json["status"]) == ("member", "active")
    removed_member = make_user()
    add_member(removed_member, area, status="removed")
    problem_of(_accept(client, removed_member, _invite(client, contact, area)), 403)
    assert _me(client, removed_member) == {area.id: ("member", "removed")}


@pytest.mark.parametrize("revoker", ["contact", "other_contact", "police"])
def test_contact_persons_and_police_revoke(client, make_user, police, area, revoker):
    contact, other_contact, guest = make_user(), make_user(), make_user()
    _appoint(client, police, area, contact)
    _appoint(client, police, area, other_contact)
    link = _invite(client, contact, area)
    actor = {"contact": contact, "other_contact": other_contact, "police": police}[revoker]
    assert _listed(client, actor, area)[link["id"]]["state"] == "open"
    url = f"{API}/areas/{area.id}/invitations/{link['id']}"
    assert client.delete(url, headers=actor.headers).status_code == 204
    assert client.delete(url, headers=actor.headers).status_code == 204  # idempotent
    problem_of(_accept(client, guest, link), 400)
    assert _me(client, guest) == {}
    assert _listed(client, actor, area)[link["id"]]["state"] == "revoked"


def test_revoking_elsewhere_is_404(client, make_user, make_area, police, area):
    contact = make_user()
    _appoint(client, police, area, contact)
    link = _invite(client, contact, area)
    other_area = make_area(name="Näs")
    other_contact = make_user()
    _appoint(client, police, other_area, other_contact)
    # The invitation's id through another area, by that area's contact person: not there.
    url = f"{API}/areas/{other_area.id}/invitations/{link['id']}"
    problem_of(client.delete(url, headers=other_contact.headers), 404)
    own = f"{API}/areas/{area.id}/invitations"
    problem_of(client.delete(f"{own}/{link['id']}", headers=other_contact.headers), 404)
    problem_of(client.delete(f"{own}/999999", headers=contact.headers), 404)
    assert _listed(client, contact, area)[link["id"]]["state"] == "open"
