"""Who may call which accounts/areas/members route: roles × routes, one expected status each.

Rules (API.md "Conventions" and the decisions recorded with it):
- not signed in → 401 wherever sign-in is needed;
- an area's existence is public to signed-in users (GET → 200 for everyone), changing it is
  for police of its municipality, admins and its contact persons (else 403);
- member-management routes answer 404 to callers with no relation to the area (residents,
  contact persons of another area, police of another municipality, municipality staff and
  Lokala BRÅ members, who manage no area) and 403 to the area's own members who lack the
  right.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Membership
from grannsamverkan.services import accounts, invitations
from tests.api.app_per_module import app_per_module
from tests.conftest import PASSWORD, problem_of

HOME = "0884"
OTHER = "0860"

ROLES = (
    "anonymous",
    "resident",
    "pending_member",
    "member",
    "contact_person",
    "contact_person_elsewhere",
    "police",
    "police_elsewhere",
    "admin",
    "municipality",  # municipality staff of HOME: no area of their own, like a resident here
    "statistics",  # a Lokala BRÅ member of HOME: likewise
)


@dataclass
class Ref:
    id: int
    email: str
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class World:
    area_id: int
    actor: Any  # an Actor, or None when anonymous
    pending: Any  # someone else's join request to the area
    member: Any  # an ordinary active member
    contact: Any  # another active contact person of the area
    outsider: Any  # a resident with no membership anywhere
    invitation: str
    invitation_id: int

    @property
    def actor_or_member(self) -> Any:
        return self.actor or self.member


@dataclass(frozen=True)
class Route:
    name: str
    method: str
    path: Callable[[World], str]
    expected: tuple[int, ...]  # one status per entry of ROLES
    body: Callable[[World], Any] | None = None
    setup: Callable[[Any, World], None] | None = None


def _register_device(client: Any, world: World) -> None:
    if world.actor is not None:
        r = client.post(
            "/api/v1/me/devices",
            headers=world.actor.headers,
            json={"token": "device-1", "platform": "ios"},
        )
        assert r.status_code == 201


def _area(w: World) -> str:
    return f"/api/v1/areas/{w.area_id}"


#        anon res  pend mem  cp   cp2  pol  pol2 admin muni stat
SIGNED_IN_200 = (401, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200)
SIGNED_IN_201 = (401, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201)
SIGNED_IN_204 = (401, 204, 204, 204, 204, 204, 204, 204, 204, 204, 204)
# Member management: 404 without a relation to the area, 403 for members without the right.
MANAGE_200 = (401, 404, 403, 403, 200, 404, 200, 404, 200, 404, 404)
MANAGE_204 = (401, 404, 403, 403, 204, 404, 204, 404, 204, 404, 404)

ROUTES = (
    # --- accounts and devices ---
    Route(
        "register",
        "POST",
        lambda w: "/api/v1/auth/register",
        (201,) * 11,
        body=lambda w: {"email": "new@example.se", "password": PASSWORD, "name": "New"},
    ),
    Route(
        "login",
        "POST",
        lambda w: "/api/v1/auth/login",
        (200,) * 11,
        body=lambda w: {"email": w.actor_or_member.email, "password": PASSWORD},
    ),
    Route("logout", "POST", lambda w: "/api/v1/auth/logout", SIGNED_IN_204),
    Route("get_me", "GET", lambda w: "/api/v1/me", SIGNED_IN_200),
    Route("patch_me", "PATCH", lambda w: "/api/v1/me", SIGNED_IN_200, body=lambda w: {"name": "X"}),
    Route(
        "put_home",
        "PUT",
        lambda w: "/api/v1/me/home",
        SIGNED_IN_200,
        body=lambda w: {"lat": 57.66, "lon": 15.85},
    ),
    Route(
        "post_device",
        "POST",
        lambda w: "/api/v1/me/devices",
        SIGNED_IN_201,
        body=lambda w: {"token": "device-2", "platform": "android"},
    ),
    Route(
        "delete_device",
        "DELETE",
        lambda w: "/api/v1/me/devices/device-1",
        SIGNED_IN_204,
        setup=_register_device,
    ),
    Route("export_me", "GET", lambda w: "/api/v1/me/export", SIGNED_IN_200),
    Route("delete_me", "DELETE", lambda w: "/api/v1/me", SIGNED_IN_204),
    # --- areas ---
    Route(
        "create_area",
        "POST",
        lambda w: "/api/v1/areas",
        (401, 403, 403, 403, 403, 403, 201, 403, 201, 403, 403),
        body=lambda w: {"name": "Ny", "municipality_code": HOME, "center": {"lat": 57, "lon": 15}},
    ),
    Route("list_areas", "GET", lambda w: "/api/v1/areas", SIGNED_IN_200),
    Route("get_area", "GET", _area, SIGNED_IN_200),
    Route(
        "patch_area",
        "PATCH",
        _area,
        (401, 403, 403, 403, 200, 403, 200, 403, 200, 403, 403),
        body=lambda w: {"tip_moderation": True},
    ),
    # --- members ---
    Route(
        "join_request",
        "POST",
        lambda w: f"{_area(w)}/join-requests",
        (401, 201, 409, 409, 409, 201, 201, 201, 201, 201, 201),
    ),
    Route(
        "create_invitation",
        "POST",
        lambda w: f"{_area(w)}/invitations",
        # API.md: contact persons of the area only; police appoint by PUT instead.
        (401, 404, 403, 403, 201, 404, 403, 404, 403, 404, 404),
        body=lambda w: {},
    ),
    Route(
        "accept_invitation",
        "POST",
        lambda w: f"/api/v1/invitations/{w.invitation}/accept",
        SIGNED_IN_200,
    ),
    Route("list_invitations", "GET", lambda w: f"{_area(w)}/invitations", MANAGE_200),
    Route(
        "revoke_invitation",
        "DELETE",
        lambda w: f"{_area(w)}/invitations/{w.invitation_id}",
        MANAGE_204,
    ),
    Route("list_members", "GET", lambda w: f"{_area(w)}/members", MANAGE_200),
    Route(
        "approve_member",
        "PUT",
        lambda w: f"{_area(w)}/members/{w.pending.id}",
        MANAGE_200,
        body=lambda w: {"status": "active"},
    ),
    Route(
        "promote_member",
        "PUT",
        lambda w: f"{_area(w)}/members/{w.member.id}",
        # A contact person may change only the status of ordinary members.
        (401, 404, 403, 403, 403, 404, 200, 404, 200, 404, 404),
        body=lambda w: {"status": "active", "role": "contact_person"},
    ),
    Route(
        "appoint_non_member",
        "PUT",
        lambda w: f"{_area(w)}/members/{w.outsider.id}",
        # Only police create a membership; for a contact person there is no such member.
        (401, 404, 403, 403, 404, 404, 200, 404, 200, 404, 404),
        body=lambda w: {"status": "active", "role": "contact_person"},
    ),
    Route(
        "remove_member",
        "DELETE",
        lambda w: f"{_area(w)}/members/{w.member.id}",
        MANAGE_204,
    ),
    Route(
        "remove_contact_person",
        "DELETE",
        lambda w: f"{_area(w)}/members/{w.contact.id}",
        (401, 404, 403, 403, 403, 404, 204, 404, 204, 404, 404),
    ),
    Route(
        "leave_area",
        "DELETE",
        lambda w: f"{_area(w)}/members/{w.actor_or_member.id}",
        # Everyone with a membership may end it; the others have none to end.
        (401, 404, 204, 204, 204, 404, 404, 404, 404, 404, 404),
    ),
)

# Hundreds of cells: they share one app per backend (tables emptied after each cell).
backend, app, _fresh_state = app_per_module()

CASES = [
    pytest.param(route, role, status, id=f"{route.name}-{role}")
    for route in ROUTES
    for role, status in zip(ROLES, route.expected, strict=True)
]


# What each role is, relative to the area under test (HOME municipality) and one other area.
ROLE_SETUP: dict[str, tuple[str, list[str], str | None, str | None, str | None]] = {
    # role: (account role, municipality codes, membership role, status, which area)
    "resident": ("resident", [], None, None, None),
    "pending_member": ("resident", [], "member", "pending", "area"),
    "member": ("resident", [], "member", "active", "area"),
    "contact_person": ("resident", [], "contact_person", "active", "area"),
    "contact_person_elsewhere": ("resident", [], "contact_person", "active", "elsewhere"),
    "police": ("police", [HOME], None, None, None),
    "police_elsewhere": ("police", [OTHER], None, None, None),
    "admin": ("admin", [], None, None, None),
    "municipality": ("municipality", [HOME], None, None, None),
    "statistics": ("statistics", [HOME], None, None, None),
}


@pytest.fixture
def world(app) -> Callable[[str], World]:
    """Build the area, its people and the caller for one cell, in one transaction."""

    def build(role: str) -> World:
        with app.app_context():
            area = Area(
                name="Storgatan", municipality_code=HOME, center_lat=57.66, center_lon=15.85
            )
            elsewhere = Area(
                name="Annan gata", municipality_code=HOME, center_lat=57.67, center_lon=15.86
            )
            db.session.add_all([area, elsewhere])
            people = {}
            for key in ("pending", "member", "contact", "outsider", "actor"):
                if key == "actor" and role == "anonymous":
                    continue
                account_role, codes = ("resident", [])
                if key == "actor":
                    account_role, codes = ROLE_SETUP[role][:2]
                people[key] = accounts.create_user(
                    email=f"{key}@example.se",
                    password=PASSWORD,
                    name=key.title(),
                    role=account_role,
                    municipality_codes=codes,
                )
            memberships_wanted = [
                ("pending", "member", "pending", area),
                ("member", "member", "active", area),
                ("contact", "contact_person", "active", area),
            ]
            if role != "anonymous" and ROLE_SETUP[role][2] is not None:
                _, _, m_role, m_status, where = ROLE_SETUP[role]
                memberships_wanted.append(
                    ("actor", m_role, m_status, area if where == "area" else elsewhere)
                )
            for key, m_role, m_status, in_area in memberships_wanted:
                db.session.add(
                    Membership(area=in_area, user=people[key], role=m_role, status=m_status)
                )
            db.session.flush()
            refs = {key: Ref(user.id, user.email) for key, user in people.items()}
            if "actor" in people:
                token, _ = accounts.sign_in(email=people["actor"].email, password=PASSWORD)
                refs["actor"].token = token
            issued = invitations.create_invitation(
                area=area, created_by=people["contact"], email=None
            )
            invitation, invitation_id = issued.token, issued.id
            area_id = area.id
            db.session.commit()
        return World(
            area_id=area_id,
            actor=refs.get("actor"),
            pending=refs["pending"],
            member=refs["member"],
            contact=refs["contact"],
            outsider=refs["outsider"],
            invitation=invitation,
            invitation_id=invitation_id,
        )

    return build


@pytest.mark.parametrize(("route", "role", "expected"), CASES)
def test_permission_matrix(client, world, route: Route, role: str, expected: int) -> None:
    w = world(role)
    if route.setup:
        route.setup(client, w)
    headers = w.actor.headers if w.actor else {}
    kwargs: dict[str, Any] = {"headers": headers}
    if route.body is not None:
        kwargs["json"] = route.body(w)
    r = client.open(route.path(w), method=route.method, **kwargs)
    if expected >= 400:
        problem_of(r, expected)
    else:
        assert r.status_code == expected, r.get_data(as_text=True)
    if expected == 401:
        assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("role", "full"),
    [
        ("resident", False),
        ("pending_member", False),
        ("member", False),
        ("contact_person", True),
        ("contact_person_elsewhere", False),
        ("police", True),
        ("police_elsewhere", False),
        ("admin", True),
        ("municipality", False),
        ("statistics", False),
    ],
)
def test_area_view_per_role(client, world, role: str, full: bool) -> None:
    """Police of the municipality, admins and the area's contact persons see the full area."""
    w = world(role)
    body = client.get(f"/api/v1/areas/{w.area_id}", headers=w.actor.headers).json
    assert body["id"] == w.area_id
    assert ("boundary" in body) is full
    assert ("tip_moderation" in body) is full
    if not full:
        assert set(body) == {"id", "name", "municipality_code", "center", "active_households"}
