"""Areas, join requests, invitations and member management (API.md "Areas and members")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grannsamverkan.geo.coarsen import coarsen
from tests.api.app_per_module import app_per_module
from tests.conftest import problem_of

backend, app, _fresh_state = app_per_module()

API = "/api/v1"
VIMMERBY = "0884"
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[15.85, 57.66], [15.86, 57.66], [15.86, 57.67], [15.85, 57.67], [15.85, 57.66]]
    ],
}


@pytest.fixture
def police(make_user):
    return make_user(role="police", municipality_codes=[VIMMERBY], name="Polis")


def _me(client, actor):
    r = client.get(f"{API}/me", headers=actor.headers)
    assert r.status_code == 200
    return {m["area_id"]: (m["role"], m["status"]) for m in r.json["memberships"]}


def _members(client, actor, area_id, **params):
    r = client.get(f"{API}/areas/{area_id}/members", headers=actor.headers, query_string=params)
    assert r.status_code == 200, r.json
    return r.json


# --- creating and reading areas -------------------------------------------------------------


def test_police_creates_area_with_boundary(client, police):
    body = {
        "name": " Storgatan ",
        "municipality_code": VIMMERBY,
        "center": {"lat": 57.6663, "lon": 15.8557},
        "boundary": SQUARE,
        "tip_moderation": True,
    }
    r = client.post(f"{API}/areas", headers=police.headers, json=body)
    assert r.status_code == 201, r.json
    area = r.json
    assert area["name"] == "Storgatan"
    assert area["municipality_code"] == VIMMERBY
    assert area["center"] == {"lat": 57.6663, "lon": 15.8557}
    assert area["boundary"] == SQUARE
    assert area["tip_moderation"] is True
    assert area["active_households"] == 0
    datetime.fromisoformat(area["created_at"])
    again = client.get(f"{API}/areas/{area['id']}", headers=police.headers)
    assert again.status_code == 200
    assert again.json == area


def test_area_without_boundary_defaults(client, police):
    body = {"name": "Gatan", "municipality_code": VIMMERBY, "center": {"lat": 57.6, "lon": 15.8}}
    r = client.post(f"{API}/areas", headers=police.headers, json=body)
    assert r.status_code == 201
    assert r.json["boundary"] is None
    assert r.json["tip_moderation"] is False


@pytest.mark.parametrize(
    "boundary",
    [
        pytest.param({"type": "Point", "coordinates": [15.85, 57.66]}, id="not-a-polygon"),
        pytest.param({"type": "Polygon"}, id="no-coordinates"),
        pytest.param({"type": "Polygon", "coordinates": []}, id="no-rings"),
        pytest.param({"type": "Polygon", "coordinates": "x"}, id="coordinates-not-a-list"),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[15.85, 57.66], [15.86, 57.66], [15.85, 57.66]]]},
            id="ring-too-short",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [SQUARE["coordinates"][0][:-1] + [[15.9, 57.7]]]},
            id="ring-not-closed",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[[195, 57.66], [15.86, 57.66], [15.86, 57.67], [195, 57.66]]],
            },
            id="longitude-out-of-range",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[[15.85, 95], [15.86, 57.66], [15.86, 57.67], [15.85, 95]]],
            },
            id="latitude-out-of-range",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[["a", 57.66], [15.86, 57.66], [15.86, 57.67], ["a", 57.66]]],
            },
            id="position-not-numbers",
        ),
        pytest.param(
            {
                "type": "Polygon",
                "coordinates": [[[True, 57.66], [15.86, 57.66], [15.86, 57.67], [True, 57.66]]],
            },
            id="position-boolean",
        ),
        pytest.param(
            {"type": "Polygon", "coordinates": [[[15.0, 57.0]] * 10_001]},
            id="too-many-positions",
        ),
        pytest.param("POLYGON((15 57, 16 57, 16 58, 15 57))", id="wkt-string"),
    ],
)
def test_area_boundary_validation(client, police, boundary):
    body = {
        "name": "Gatan",
        "municipality_code": VIMMERBY,
        "center": {"lat": 57.66, "lon": 15.85},
        "boundary": boundary,
    }
    r = client.post(f"{API}/areas", headers=police.headers, json=body)
    assert list(problem_of(r, 422)["errors"]) == ["boundary"]


def test_police_cannot_create_area_in_another_municipality(client, police):
    body = {"name": "Gatan", "municipality_code": "0180", "center": {"lat": 59.3, "lon": 18.0}}
    problem_of(client.post(f"{API}/areas", headers=police.headers, json=body), 403)


def test_unknown_area_is_404(client, police):
    problem_of(client.get(f"{API}/areas/999999", headers=police.headers), 404)
    problem_of(client.post(f"{API}/areas/999999/join-requests", headers=police.headers), 404)
    problem_of(client.get(f"{API}/areas/999999/members", headers=police.headers), 404)


def test_list_areas_by_municipality_and_near(client, make_user, make_area):
    user = make_user()
    centrum = make_area(name="Centrum", center=(57.6663, 15.8557))
    nas = make_area(name="Näs", center=(57.6745, 15.8425))
    far = make_area(name="Södra Vi", center=(57.7400, 15.7950))  # about 9 km north-west
    linkoping = make_area(name="Linköping", municipality_code="0580", center=(58.41, 15.62))

    r = client.get(f"{API}/areas", headers=user.headers)
    assert r.status_code == 200
    assert [a["id"] for a in r.json["items"]] == [centrum.id, nas.id, far.id, linkoping.id]
    assert r.json["next_cursor"] is None

    r = client.get(f"{API}/areas?municipality_code=0580", headers=user.headers)
    assert [a["id"] for a in r.json["items"]] == [linkoping.id]

    # Near: within 10 km, nearest first.
    r = client.get(f"{API}/areas?near=57.6750,15.8420", headers=user.headers)
    assert [a["id"] for a in r.json["items"]] == [nas.id, centrum.id, far.id]
    r = client.get(f"{API}/areas?near=57.6663,15.8557", headers=user.headers)
    assert [a["id"] for a in r.json["items"]][:2] == [centrum.id, nas.id]
    r = client.get(f"{API}/areas?near=58.41,15.62&municipality_code=0884", headers=user.headers)
    assert r.json["items"] == []
    r = client.get(f"{API}/areas?near=-33.9,18.4", headers=user.headers)
    assert r.json["items"] == []


@pytest.mark.parametrize(
    "query",
    [
        "near=57.6",
        "near=abc",
        "near=57.6;15.8",
        "near=91,15",
        "near=57,181",
        "municipality_code=88",
    ],
)
def test_list_areas_bad_query_is_422(client, make_user, query):
    user = make_user()
    body = problem_of(client.get(f"{API}/areas?{query}", headers=user.headers), 422)
    assert query.split("=")[0] in body["errors"]


def test_public_view_has_coarse_centre_and_no_boundary(client, make_user, make_area, add_member):
    area = make_area(center=(57.66631, 15.85574), boundary=SQUARE)
    member, other = make_user(), make_user()
    add_member(member, area)
    expected_centre = coarsen(57.66631, 15.85574)
    assert expected_centre != {"lat": 57.66631, "lon": 15.85574}
    for actor in (member, other):
        r = client.get(f"{API}/areas/{area.id}", headers=actor.headers)
        assert r.status_code == 200
        assert r.json == {
            "id": area.id,
            "name": "Storgatan",
            "municipality_code": VIMMERBY,
            "center": expected_centre,
            "active_households": 1,
        }
        listed = client.get(f"{API}/areas", headers=actor.headers).json["items"]
        assert listed == [r.json]


def test_contact_person_patches_area(client, make_user, make_area, add_member):
    area = make_area()
    contact = make_user()
    add_member(contact, area, role="contact_person")
    r = client.patch(
        f"{API}/areas/{area.id}",
        headers=contact.headers,
        json={"name": "Storgatan norra", "boundary": SQUARE, "tip_moderation": True},
    )
    assert r.status_code == 200, r.json
    assert (r.json["name"], r.json["boundary"], r.json["tip_moderation"]) == (
        "Storgatan norra",
        SQUARE,
        True,
    )
    r = client.patch(f"{API}/areas/{area.id}", headers=contact.headers, json={"boundary": None})
    assert r.json["boundary"] is None
    assert r.json["name"] == "Storgatan norra"


# --- joining --------------------------------------------------------------------------------


def test_join_request_then_approval(client, make_user, make_area, add_member):
    area = make_area()
    contact, anna = make_user(), make_user(name="Anna")
    add_member(contact, area, role="contact_person")

    r = client.post(f"{API}/areas/{area.id}/join-requests", headers=anna.headers)
    assert r.status_code == 201, r.json
    assert r.json["status"] == "pending"
    assert r.json["role"] == "member"
    assert (r.json["area_id"], r.json["user_id"]) == (area.id, anna.id)
    assert _me(client, anna) == {area.id: ("member", "pending")}

    problem_of(client.post(f"{API}/areas/{area.id}/join-requests", headers=anna.headers), 409)

    # A pending member is not yet a household of the area.
    area_view = client.get(f"{API}/areas/{area.id}", headers=contact.headers).json
    assert area_view["active_households"] == 1
    members = _members(client, contact, area.id)["items"]
    assert {m["user_id"]: m["status"] for m in members} == {
        contact.id: "active",
        anna.id: "pending",
    }

    r = client.put(
        f"{API}/areas/{area.id}/members/{anna.id}",
        headers=contact.headers,
        json={"status": "active"},
    )
    assert r.status_code == 200, r.json
    assert (r.json["status"], r.json["role"]) == ("active", "member")
    assert _me(client, anna) == {area.id: ("member", "active")}
    assert (
        client.get(f"{API}/areas/{area.id}", headers=contact.headers).json["active_households"] == 2
    )
    problem_of(client.post(f"{API}/areas/{area.id}/join-requests", headers=anna.headers), 409)


def test_removed_member_may_ask_again(client, make_user, make_area, add_member):
    area = make_area()
    contact, bo = make_user(), make_user()
    add_member(contact, area, role="contact_person")
    add_member(bo, area)
    r = client.put(
        f"{API}/areas/{area.id}/members/{bo.id}",
        headers=contact.headers,
        json={"status": "removed"},
    )
    assert r.json["status"] == "removed"
    assert _me(client, bo) == {area.id: ("member", "removed")}
    r = client.post(f"{API}/areas/{area.id}/join-requests", headers=bo.headers)
    assert r.status_code == 201
    assert r.json["status"] == "pending"


def test_contact_person_cannot_approve_stranger_or_promote(
    client, make_user, make_area, add_member
):
    area = make_area()
    contact, member, stranger = make_user(), make_user(), make_user()
    add_member(contact, area, role="contact_person")
    add_member(member, area)
    url = f"{API}/areas/{area.id}/members"
    problem_of(
        client.put(f"{url}/{stranger.id}", headers=contact.headers, json={"status": "active"}), 404
    )
    r = client.put(
        f"{url}/{member.id}",
        headers=contact.headers,
        json={"status": "active", "role": "contact_person"},
    )
    problem_of(r, 403)
    assert _me(client, member) == {area.id: ("member", "active")}
    assert _me(client, stranger) == {}


def test_police_appoints_contact_person_creating_membership(
    client, police, make_user, make_area, add_member
):
    area = make_area()
    karin, erik = make_user(name="Karin"), make_user(name="Erik")
    url = f"{API}/areas/{area.id}/members"
    r = client.put(
        f"{url}/{karin.id}",
        headers=police.headers,
        json={"status": "active", "role": "contact_person"},
    )
    assert r.status_code == 200, r.json
    assert (r.json["user_id"], r.json["role"], r.json["status"]) == (
        karin.id,
        "contact_person",
        "active",
    )
    assert _me(client, karin) == {area.id: ("contact_person", "active")}
    # The new contact person now manages the area: sees its members and invites.
    assert [m["user_id"] for m in _members(client, karin, area.id)["items"]] == [karin.id]
    assert client.post(f"{url[:-8]}/invitations", headers=karin.headers, json={}).status_code == 201
    # Police may also demote; without a role the membership is an ordinary one.
    r = client.put(
        f"{url}/{karin.id}", headers=police.headers, json={"status": "active", "role": "member"}
    )
    assert r.json["role"] == "member"
    r = client.put(f"{url}/{erik.id}", headers=police.headers, json={"status": "active"})
    assert (r.json["role"], r.json["status"]) == ("member", "active")
    problem_of(client.put(f"{url}/999999", headers=police.headers, json={"status": "active"}), 404)


# --- invitations ----------------------------------------------------------------------------


@pytest.fixture
def invite(client, make_user, make_area, add_member):
    """An area with a contact person, and a function that makes an invitation to it."""
    area = make_area()
    contact = make_user()
    add_member(contact, area, role="contact_person")

    def make(email=None):
        body = {} if email is None else {"email": email}
        r = client.post(f"{API}/areas/{area.id}/invitations", headers=contact.headers, json=body)
        assert r.status_code == 201, r.json
        return r.json

    make.area = area
    make.contact = contact
    return make


def test_invitation_accept_makes_active_member(client, make_user, invite):
    guest = make_user()
    invitation = invite()
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert abs(expires - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=1)
    r = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=guest.headers)
    assert r.status_code == 200, r.json
    assert (r.json["area_id"], r.json["user_id"], r.json["status"], r.json["role"]) == (
        invite.area.id,
        guest.id,
        "active",
        "member",
    )
    assert _me(client, guest) == {invite.area.id: ("member", "active")}
    # Accepting twice changes nothing.
    r = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=guest.headers)
    assert r.status_code == 200
    assert r.json["status"] == "active"


def test_invitation_activates_a_pending_request(client, make_user, invite):
    guest = make_user()
    client.post(f"{API}/areas/{invite.area.id}/join-requests", headers=guest.headers)
    assert _me(client, guest) == {invite.area.id: ("member", "pending")}
    r = client.post(f"{API}/invitations/{invite()['token']}/accept", headers=guest.headers)
    assert r.json["status"] == "active"
    assert _me(client, guest) == {invite.area.id: ("member", "active")}


def test_invitation_bound_to_email(client, make_user, invite):
    anna, bo = make_user(), make_user()
    invitation = invite(email=anna.email.upper())
    r = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=bo.headers)
    problem_of(r, 400)
    assert _me(client, bo) == {}
    r = client.post(f"{API}/invitations/{invitation['token']}/accept", headers=anna.headers)
    assert r.status_code == 200
    assert _me(client, anna) == {invite.area.id: ("member", "active")}


def _tamper(token: str) -> str:
    payload, rest = token.split(".", 1)
    return payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest


@pytest.mark.parametrize("kind", ["garbage", "tampered", "access-token", "other-secret"])
def test_bad_or_forged_invitation_is_400(client, app, make_user, invite, kind):
    guest = make_user()
    token = invite()["token"]
    if kind == "garbage":
        token = "not-a-token"
    elif kind == "tampered":
        token = _tamper(token)
    elif kind == "access-token":
        token = guest.token  # signed by us, but for another purpose
    elif kind == "other-secret":
        from itsdangerous import URLSafeTimedSerializer

        token = URLSafeTimedSerializer("another-key", salt="gsv-invite").dumps(
            {"area_id": invite.area.id, "email": None, "nonce": "x"}
        )
    body = problem_of(client.post(f"{API}/invitations/{token}/accept", headers=guest.headers), 400)
    assert "Traceback" not in body["detail"]
    assert _me(client, guest) == {}


def test_expired_invitation_is_400(client, app, make_user, invite, monkeypatch):
    guest = make_user()
    token = invite()["token"]
    monkeypatch.setitem(app.config, "GSV_INVITATION_MAX_AGE", -1)
    problem_of(client.post(f"{API}/invitations/{token}/accept", headers=guest.headers), 400)
    assert _me(client, guest) == {}


def test_invitation_to_deleted_area_is_400(client, app, make_user, invite):
    from grannsamverkan.extensions import db
    from grannsamverkan.models import Area

    guest = make_user()
    token = invite()["token"]
    with app.app_context():
        db.session.delete(db.session.get(Area, invite.area.id))
        db.session.commit()
    problem_of(client.post(f"{API}/invitations/{token}/accept", headers=guest.headers), 400)


# --- the member list ------------------------------------------------------------------------


def test_members_list_fields_and_protected_members(
    client, police, make_user, make_area, add_member
):
    area = make_area()
    contact = make_user(name="Karin", home=(57.666, 15.855))
    visible = make_user(name="Erik", home=(57.667, 15.856))
    hidden = make_user(name="Skyddad", protected=True)
    hidden_pending = make_user(protected=True)
    add_member(contact, area, role="contact_person")
    add_member(visible, area)
    add_member(hidden, area)
    add_member(hidden_pending, area, status="pending")
    for viewer in (contact, police):
        items = _members(client, viewer, area.id)["items"]
        assert [m["user_id"] for m in items] == [contact.id, visible.id]
        erik = items[1]
        assert erik == {
            "user_id": visible.id,
            "name": "Erik",
            "email": visible.email,
            "household": False,  # an account of their own, not one registered for them
            "role": "member",
            "status": "active",
            "address": erik["address"],
        }
        assert erik["address"].startswith("Storgatan")
    # Protected members still count as households and still see their own membership.
    assert (
        client.get(f"{API}/areas/{area.id}", headers=police.headers).json["active_households"] == 3
    )
    assert _me(client, hidden) == {area.id: ("member", "active")}


def test_members_pagination(client, make_user, make_area, add_member):
    area = make_area()
    contact = make_user()
    add_member(contact, area, role="contact_person")
    others = [make_user() for _ in range(4)]
    for user in others:
        add_member(user, area)
    expected = [contact.id] + [u.id for u in others]
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} if cursor is None else {"limit": 2, "cursor": cursor}
        page = _members(client, contact, area.id, **params)
        assert len(page["items"]) <= 2
        seen += [m["user_id"] for m in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == expected
    assert pages == 3
    assert _members(client, contact, area.id, limit=5)["next_cursor"] is None
    assert _members(client, contact, area.id)["items"][0]["user_id"] == contact.id


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": "eyJvIjogLTF9"}, "cursor"),  # {"o": -1}
        ({"cursor": "WzFd"}, "cursor"),  # [1]
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "many"}, "limit"),
    ],
)
def test_bad_page_arguments_are_422(client, make_user, make_area, add_member, params, field):
    area = make_area()
    contact = make_user()
    add_member(contact, area, role="contact_person")
    for url in (f"{API}/areas/{area.id}/members", f"{API}/areas"):
        r = client.get(url, headers=contact.headers, query_string=params)
        assert field in problem_of(r, 422)["errors"]


def test_areas_pagination(client, make_user, make_area):
    user = make_user()
    ids = [make_area(name=f"Gata {i}").id for i in range(3)]
    first = client.get(f"{API}/areas?limit=2", headers=user.headers).json
    assert [a["id"] for a in first["items"]] == ids[:2]
    rest = client.get(
        f"{API}/areas",
        headers=user.headers,
        query_string={"limit": 2, "cursor": first["next_cursor"]},
    ).json
    assert [a["id"] for a in rest["items"]] == ids[2:]
    assert rest["next_cursor"] is None


# --- leaving and removing -------------------------------------------------------------------


def test_member_leaves_area(client, make_user, make_area, add_member):
    area = make_area()
    anna, bo = make_user(), make_user()
    add_member(anna, area)
    add_member(bo, area, status="pending")
    r = client.delete(f"{API}/areas/{area.id}/members/{anna.id}", headers=anna.headers)
    assert r.status_code == 204
    assert r.data == b""
    assert _me(client, anna) == {}
    # A pending request can be withdrawn the same way.
    assert (
        client.delete(f"{API}/areas/{area.id}/members/{bo.id}", headers=bo.headers).status_code
        == 204
    )
    assert _me(client, bo) == {}
    # Gone: the area's member routes no longer know them.
    problem_of(client.delete(f"{API}/areas/{area.id}/members/{anna.id}", headers=anna.headers), 404)


def test_contact_person_removes_member_not_contact_person(
    client, police, make_user, make_area, add_member
):
    area = make_area()
    karin, per, erik = make_user(), make_user(), make_user()
    add_member(karin, area, role="contact_person")
    add_member(per, area, role="contact_person")
    add_member(erik, area)
    url = f"{API}/areas/{area.id}/members"
    problem_of(client.delete(f"{url}/{per.id}", headers=karin.headers), 403)
    assert _me(client, per) == {area.id: ("contact_person", "active")}
    assert client.delete(f"{url}/{erik.id}", headers=karin.headers).status_code == 204
    assert _me(client, erik) == {}
    problem_of(client.delete(f"{url}/{erik.id}", headers=karin.headers), 404)
    # A member cannot remove anyone else.
    add_member(erik, area)
    problem_of(client.delete(f"{url}/{per.id}", headers=erik.headers), 403)
    # Police may remove a contact person.
    assert client.delete(f"{url}/{per.id}", headers=police.headers).status_code == 204
    assert _me(client, per) == {}
    assert [m["user_id"] for m in _members(client, police, area.id)["items"]] == [karin.id, erik.id]
