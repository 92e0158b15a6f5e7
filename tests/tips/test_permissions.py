"""The permission matrix of the tips and alerts routes: every route × every kind of caller.

Rules (API.md): not signed in → 401; a caller who may not learn the object exists → 404; a
caller who can see it (its reporter, a member it was sent to, police and contact persons who
may not do this particular thing) but may not act → 403.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.models import Area
from grannsamverkan.services.privacy import coarse_count
from tests.tips.conftest import NAS, SPOT, offset

# The order requests are made in. Moderators go last, so that an approval does not change
# what the callers before them may see; the first of them succeeds and the later ones, who
# pass the permission check too, find the tip no longer waiting (409, not 403).
ROLES = (
    "anonymous",
    "resident",  # signed in, no membership (lives next door)
    "pending_member",  # asked to join area A, not yet approved (lives next door)
    "member",  # active member of area A, lives 100 m away: alerted about the open tip
    "contact_other",  # contact person of area B (same municipality)
    "police_this",  # police of 0884, area A's municipality
    "police_other",  # police of 0860
    "admin",
    "municipality_this",  # municipality staff of 0884: burglaries and suspicions are not theirs
    "statistics_this",  # a Lokala BRÅ member of 0884: numbers only, never a tip
    "contact_this",  # contact person of area A
)

NEW_TIP = {
    "category": "suspicious_activity",
    "description": "Someone is looking into parked cars.",
    "location": {"lat": SPOT[0], "lon": SPOT[1]},
}


def row(**cells: int) -> dict[str, int]:
    assert set(cells) == set(ROLES), set(ROLES) ^ set(cells)
    return {role: cells[role] for role in ROLES}


# route → (method, path, body) and the expected status per caller.
MATRIX: list[tuple[str, str, str, dict[str, Any] | None, dict[str, int]]] = [
    (
        "create tip",
        "POST",
        "/tips",
        NEW_TIP,
        row(
            anonymous=401,
            resident=403,
            pending_member=403,
            member=201,
            contact_this=201,
            contact_other=201,  # an active member (of area B) may tip too
            police_this=403,
            police_other=403,
            admin=403,
            municipality_this=403,
            statistics_this=403,
        ),
    ),
    (
        "list tips",
        "GET",
        "/tips",
        None,
        row(
            anonymous=401,
            resident=200,
            pending_member=200,
            member=200,
            contact_this=200,
            contact_other=200,
            police_this=200,
            police_other=200,
            admin=200,
            municipality_this=200,
            statistics_this=200,
        ),
    ),
    (
        "read tip",
        "GET",
        "/tips/{open_tip}",
        None,
        row(
            anonymous=401,
            resident=404,
            pending_member=404,
            member=200,  # alerted: the member view
            contact_this=200,
            contact_other=404,
            police_this=200,
            police_other=404,
            admin=200,
            municipality_this=404,
            statistics_this=404,
        ),
    ),
    (
        "triage tip",
        "PATCH",
        "/tips/{open_tip}",
        {"status": "investigating", "note": "Patrull skickad."},
        row(
            anonymous=401,
            resident=404,
            pending_member=404,
            member=403,  # can see the tip, may not triage it
            contact_this=403,
            contact_other=404,
            police_this=200,
            police_other=404,
            admin=200,
            municipality_this=404,
            statistics_this=404,
        ),
    ),
    (
        "approve tip",
        "POST",
        "/tips/{pending_tip}/approve",
        None,
        row(
            anonymous=401,
            resident=404,
            pending_member=404,
            member=404,  # nobody is alerted about a waiting tip
            contact_this=409,  # may moderate, but police_this already did
            contact_other=404,
            police_this=200,  # police of the area moderate too (issue 12)
            police_other=404,
            admin=409,  # may moderate, but the tip is no longer waiting
            municipality_this=404,
            statistics_this=404,
        ),
    ),
    (
        "reject tip",
        "POST",
        "/tips/{pending_tip}/reject",
        None,
        row(
            anonymous=401,
            resident=404,
            pending_member=404,
            member=404,
            contact_this=409,
            contact_other=404,
            police_this=200,
            police_other=404,
            admin=409,
            municipality_this=404,
            statistics_this=404,
        ),
    ),
    (
        "tip deliveries",
        "GET",
        "/tips/{open_tip}/deliveries",
        None,
        row(
            anonymous=401,
            resident=404,
            pending_member=404,
            member=403,
            contact_this=200,
            contact_other=404,
            police_this=200,
            police_other=404,
            admin=200,
            municipality_this=404,
            statistics_this=404,
        ),
    ),
    (
        "alert inbox",
        "GET",
        "/alerts",
        None,
        row(
            anonymous=401,
            resident=200,
            pending_member=200,
            member=200,
            contact_this=200,
            contact_other=200,
            police_this=200,
            police_other=200,
            admin=200,
            municipality_this=200,
            statistics_this=200,
        ),
    ),
    (
        "mark alert read",
        "POST",
        "/alerts/{alert}/read",
        None,
        row(
            anonymous=401,
            resident=404,
            pending_member=404,
            member=204,  # recipients only
            contact_this=204,
            contact_other=404,
            police_this=404,  # police see tips, they are not sent alerts about them
            police_other=404,
            admin=404,
            municipality_this=404,
            statistics_this=404,
        ),
    ),
]


@pytest.fixture
def world(app, client, make_user, make_area, add_member, post_tip):
    area = make_area(name="Centrum", center=SPOT)
    other_area = make_area(name="Näs", center=NAS)
    reporter = make_user(home=offset(SPOT, 20))
    people = {
        "resident": make_user(home=offset(SPOT, 30)),
        "pending_member": make_user(home=offset(SPOT, 50)),
        "member": make_user(home=offset(SPOT, 100)),
        "contact_this": make_user(),
        "contact_other": make_user(),
        "police_this": make_user(role="police", municipality_codes=["0884"]),
        "police_other": make_user(role="police", municipality_codes=["0860"]),
        "admin": make_user(role="admin"),
        "municipality_this": make_user(role="municipality", municipality_codes=["0884"]),
        "statistics_this": make_user(role="statistics", municipality_codes=["0884"]),
    }
    add_member(reporter, area)
    add_member(people["pending_member"], area, status="pending")
    add_member(people["member"], area)
    add_member(people["contact_this"], area, role="contact_person")
    add_member(people["contact_other"], other_area, role="contact_person")
    open_tip = post_tip(reporter, "burglary")
    assert open_tip["alert"]["recipient_count"] == coarse_count(2)  # the member, the contact
    with app.app_context():
        db.session.execute(update(Area).where(Area.id == area.id).values(tip_moderation=True))
        db.session.commit()
    pending_tip = post_tip(reporter, "suspicious_person", at=offset(SPOT, 200))
    assert pending_tip["status"] == "pending"
    return {
        "people": people,
        "ids": {
            "open_tip": open_tip["id"],
            "pending_tip": pending_tip["id"],
            "alert": open_tip["alert"]["id"],
        },
    }


@pytest.mark.parametrize(
    ("method", "path", "body", "expected"),
    [pytest.param(*cells, id=name) for name, *cells in MATRIX],
)
def test_permission_matrix(client, world, method, path, body, expected):
    url = "/api/v1" + path.format(**world["ids"])
    answers = {}
    for role in ROLES:
        actor = world["people"].get(role)
        headers = actor.headers if actor else {}
        response = client.open(url, method=method, json=body, headers=headers)
        answers[role] = response.status_code
        if response.status_code >= 400:
            assert response.mimetype == "application/problem+json", (role, response.data)
    assert answers == expected


def test_the_member_gets_the_member_view_and_the_others_the_full_one(client, world):
    url = f"/api/v1/tips/{world['ids']['open_tip']}"
    for role in ("member", "contact_this", "police_this", "admin"):
        body = client.get(url, headers=world["people"][role].headers).get_json()
        assert ("reporter" in body) == (role != "member"), role
