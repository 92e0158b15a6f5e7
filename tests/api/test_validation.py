"""Every write answers a bad body with problem+json naming the field, and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Area, AuthSession, Device, Membership, User
from tests.api.app_per_module import app_per_module
from tests.conftest import PASSWORD, problem_of

backend, app, _fresh_state = app_per_module()

API = "/api/v1"


class Ctx:
    """An area, its contact person, police of its municipality and a resident."""

    def __init__(self, make_user: Any, make_area: Any, add_member: Any) -> None:
        self.area = make_area()
        self.police = make_user(role="police", municipality_codes=["0884"])
        self.contact = make_user(home=(57.66, 15.85))
        self.resident = make_user(home=(57.66, 15.85))
        add_member(self.contact, self.area, role="contact_person")
        add_member(self.resident, self.area, status="pending")


@pytest.fixture
def ctx(make_user, make_area, add_member) -> Ctx:
    return Ctx(make_user, make_area, add_member)


def _headers(ctx: Ctx, who: str | None) -> dict[str, str]:
    return getattr(ctx, who).headers if who else {}


# Each write: (id, who calls, method, path, a valid body).
WRITES = [
    (
        "register",
        None,
        "POST",
        "/auth/register",
        {"email": "ny@example.se", "password": PASSWORD, "name": "Ny"},
    ),
    ("login", None, "POST", "/auth/login", {"email": "x@example.se", "password": PASSWORD}),
    ("patch_me", "resident", "PATCH", "/me", {"name": "Anna"}),
    ("put_home", "resident", "PUT", "/me/home", {"lat": 57.66, "lon": 15.85}),
    ("post_device", "resident", "POST", "/me/devices", {"token": "t1", "platform": "ios"}),
    (
        "create_area",
        "police",
        "POST",
        "/areas",
        {"name": "Ny gata", "municipality_code": "0884", "center": {"lat": 57.6, "lon": 15.8}},
    ),
    ("patch_area", "police", "PATCH", "/areas/{area}", {"tip_moderation": True}),
    ("put_member", "police", "PUT", "/areas/{area}/members/{resident}", {"status": "active"}),
    ("invite", "contact", "POST", "/areas/{area}/invitations", {"email": "ny@example.se"}),
]
WRITE_IDS = [w[0] for w in WRITES]


def _path(ctx: Ctx, template: str) -> str:
    return API + template.format(area=ctx.area.id, resident=ctx.resident.id)


def _call(client: Any, ctx: Ctx, who: str | None, method: str, template: str, **kwargs: Any):
    return client.open(_path(ctx, template), method=method, headers=_headers(ctx, who), **kwargs)


# --- field errors ---------------------------------------------------------------------------

# (write id, body, the fields that must be named in errors)
FIELD_CASES = [
    # missing fields
    ("register", {}, {"email", "password", "name"}),
    ("register", {"email": "a@b.se", "name": "A"}, {"password"}),
    ("login", {}, {"email", "password"}),
    ("patch_me", {}, {"_schema"}),
    ("put_home", {}, {"_schema"}),
    ("put_home", {"lat": 57.6}, {"lon"}),
    ("post_device", {"token": "t"}, {"platform"}),
    ("create_area", {}, {"name", "municipality_code", "center"}),
    ("create_area", {"name": "A", "municipality_code": "0884", "center": {"lat": 57}}, {"center"}),
    ("patch_area", {}, {"_schema"}),
    ("put_member", {}, {"status"}),
    ("put_member", {"role": "contact_person"}, {"status"}),
    # wrong types and values
    ("register", {"email": 5, "password": ["x"], "name": {"a": 1}}, {"email", "password", "name"}),
    ("register", {"email": "not-an-email", "password": "x" * 12, "name": "A"}, {"email"}),
    (
        "register",
        {"email": "a@b.se", "password": "x" * 12, "name": "A", "locale": "de"},
        {"locale"},
    ),
    ("login", {"email": None, "password": 12345678901}, {"email", "password"}),
    ("patch_me", {"alert_radius_m": "far"}, {"alert_radius_m"}),
    ("patch_me", {"alert_radius_m": 1.5}, {"alert_radius_m"}),
    ("patch_me", {"quiet_hours": {"start": "25:00", "end": "07:00"}}, {"quiet_hours"}),
    ("patch_me", {"quiet_hours": "22-07"}, {"quiet_hours"}),
    ("patch_me", {"categories": ["burglary", "ufo"]}, {"categories"}),
    ("patch_me", {"categories": "burglary"}, {"categories"}),
    ("patch_me", {"name": "   "}, {"name"}),
    ("put_home", {"lat": "north", "lon": 15.8}, {"lat"}),
    ("put_home", {"protected": "maybe"}, {"protected"}),
    ("put_home", {"protected": True, "lat": 57.6, "lon": 15.8}, {"protected"}),
    ("post_device", {"token": 12, "platform": "blackberry"}, {"token", "platform"}),
    (
        "create_area",
        {"name": 5, "municipality_code": 884, "center": "x"},
        {"name", "center", "municipality_code"},
    ),
    (
        "create_area",
        {"name": "A", "municipality_code": "884", "center": {"lat": 57.6, "lon": 15.8}},
        {"municipality_code"},
    ),
    (
        "create_area",
        {"name": "  ", "municipality_code": "0884", "center": {"lat": 57.6, "lon": 15.8}},
        {"name"},
    ),
    (
        "create_area",
        {
            "name": "A",
            "municipality_code": "0884",
            "center": {"lat": 57.6, "lon": 15.8},
            "tip_moderation": "maybe",
        },
        {"tip_moderation"},
    ),
    ("patch_area", {"tip_moderation": "maybe"}, {"tip_moderation"}),
    ("patch_area", {"boundary": {"type": "Point"}}, {"boundary"}),
    ("put_member", {"status": "pending"}, {"status"}),
    ("put_member", {"status": "active", "role": "boss"}, {"role"}),
    ("put_member", {"status": 1}, {"status"}),
    ("invite", {"email": 5}, {"email"}),
    ("invite", {"email": "nobody"}, {"email"}),
    # out-of-range coordinates and numbers
    ("put_home", {"lat": 91, "lon": 15.8}, {"lat"}),
    ("put_home", {"lat": 57.6, "lon": -180.5}, {"lon"}),
    ("patch_me", {"alert_radius_m": 99}, {"alert_radius_m"}),
    ("patch_me", {"alert_radius_m": 2001}, {"alert_radius_m"}),
    (
        "create_area",
        {"name": "A", "municipality_code": "0884", "center": {"lat": -95, "lon": 200}},
        {"center"},
    ),
    # oversized strings
    ("register", {"email": "a@b.se", "password": "x" * 201, "name": "A"}, {"password"}),
    ("register", {"email": "a@b.se", "password": "x" * 9, "name": "A"}, {"password"}),
    ("register", {"email": "a@b.se", "password": "x" * 12, "name": "n" * 201}, {"name"}),
    (
        "register",
        {"email": "a" * 250 + "@b.se", "password": "x" * 12, "name": "A"},
        {"email"},
    ),
    ("login", {"email": "a" * 255, "password": "x"}, {"email"}),
    ("patch_me", {"name": "n" * 201}, {"name"}),
    ("put_home", {"address": "a" * 301}, {"address"}),
    ("post_device", {"token": "t" * 4097, "platform": "ios"}, {"token"}),
    (
        "create_area",
        {"name": "n" * 201, "municipality_code": "0884", "center": {"lat": 57.6, "lon": 15.8}},
        {"name"},
    ),
    ("patch_area", {"name": "n" * 201}, {"name"}),
    ("invite", {"email": "a" * 250 + "@b.se"}, {"email"}),
]


def _write(write_id: str) -> tuple[Any, ...]:
    return next(w for w in WRITES if w[0] == write_id)


@pytest.mark.parametrize(
    ("write_id", "body", "fields"),
    FIELD_CASES,
    ids=[f"{c[0]}-{i}" for i, c in enumerate(FIELD_CASES)],
)
def test_invalid_fields_are_named(client, ctx, write_id, body, fields):
    _, who, method, template, _ = _write(write_id)
    body_out = problem_of(_call(client, ctx, who, method, template, json=body), 422)
    assert body_out["type"] == "urn:grannsamverkan:problem:validation"
    assert fields <= set(body_out["errors"]), body_out["errors"]


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_unknown_field_is_named(client, ctx, write):
    _, who, method, template, valid = write
    r = _call(client, ctx, who, method, template, json={**valid, "is_admin": True})
    assert problem_of(r, 422)["errors"] == {"is_admin": ["Unknown field."]}


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_valid_bodies_pass(client, ctx, write):
    """The bodies the other tests break are themselves accepted (so they test one thing)."""
    _, who, method, template, valid = write
    r = _call(client, ctx, who, method, template, json=valid)
    if write[0] == "login":  # no such account: the body was fine, the login is not
        problem_of(r, 401)
    else:
        assert r.status_code in (200, 201), r.get_data(as_text=True)


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_malformed_json_is_400(client, ctx, write):
    _, who, method, template, _ = write
    for raw in (b'{"name": ', b"{'name': 'x'}", b"nul", b"\xff\xfe"):
        r = _call(client, ctx, who, method, template, data=raw, content_type="application/json")
        body = problem_of(r, 400)
        assert body["detail"] == "Invalid JSON body.", raw


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_json_that_is_not_an_object_is_422(client, ctx, write):
    _, who, method, template, _ = write
    for raw in ("[]", '[{"name": "x"}]', '"a string"', "42", "true", "null"):
        r = _call(client, ctx, who, method, template, data=raw, content_type="application/json")
        assert problem_of(r, 422)["errors"] == {"_schema": ["Invalid input type."]}, raw


@pytest.mark.parametrize("write", WRITES, ids=WRITE_IDS)
def test_no_json_body_at_all(client, ctx, write):
    """A form post is not JSON: treated as an empty object, so 422 (or 201 if none needed)."""
    _, who, method, template, _ = write
    r = _call(client, ctx, who, method, template, data={"name": "x"})
    if write[0] == "invite":  # nothing is required to invite
        assert r.status_code == 201
    else:
        assert problem_of(r, 422)["errors"]


def test_nan_and_infinity_are_rejected(client, ctx):
    for raw in (
        '{"lat": NaN, "lon": 15.8}',
        '{"lat": 57.6, "lon": Infinity}',
        '{"lat": 1e999, "lon": 1}',
    ):
        r = client.put(
            f"{API}/me/home",
            headers=ctx.resident.headers,
            data=raw,
            content_type="application/json",
        )
        assert problem_of(r, 422)["errors"].keys() & {"lat", "lon"}, raw


@pytest.mark.parametrize(
    "query",
    [
        "near=91,15.8",
        "near=57.6,-181",
        "near=57.6",
        "municipality_code=abcd",
        "limit=-1",
        "limit=x",
    ],
)
def test_list_areas_query_validation(client, ctx, query):
    r = client.get(f"{API}/areas?{query}", headers=ctx.resident.headers)
    assert query.split("=")[0] in problem_of(r, 422)["errors"]


# --- nothing is written on a rejected request -----------------------------------------------


def _counts(app) -> dict[str, int]:
    with app.app_context():
        return {
            model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (User, AuthSession, Device, Area, Membership)
        }


def _snapshot(app, ctx: Ctx) -> dict[str, Any]:
    with app.app_context():
        resident = db.session.get(User, ctx.resident.id)
        area = db.session.get(Area, ctx.area.id)
        return {
            "resident": (
                resident.name,
                resident.alert_radius_m,
                resident.home,
                resident.home_protected,
                resident.quiet_hours,
            ),
            "area": (area.name, area.tip_moderation, area.boundary),
            "memberships": sorted(
                (m.area_id, m.user_id, m.role, m.status)
                for m in db.session.scalars(select(Membership))
            ),
        }


def test_rejected_requests_write_nothing(client, app, ctx, make_user):
    before_counts, before = _counts(app), _snapshot(app, ctx)
    other_police = make_user(role="police", municipality_codes=["0180"])
    before_counts = _counts(app)
    rejected = [
        # a half-valid body is rejected whole: the valid name is not stored
        (ctx.resident, "PATCH", "/me", {"name": "Ny", "alert_radius_m": 5}, 422),
        (ctx.resident, "PUT", "/me/home", {"lat": 99, "lon": 15.8}, 422),
        (ctx.resident, "PUT", "/me/home", {"protected": True, "address": "Storgatan 1"}, 422),
        (ctx.resident, "POST", "/me/devices", {"token": "t", "platform": "nokia"}, 422),
        (
            None,
            "POST",
            "/auth/register",
            {"email": "n@x.se", "password": "short", "name": "N"},
            422,
        ),
        (
            None,
            "POST",
            "/auth/register",
            {"email": ctx.resident.email, "password": "x" * 12, "name": "N"},
            409,
        ),
        (
            ctx.police,
            "POST",
            "/areas",
            {
                "name": "A",
                "municipality_code": "0884",
                "center": {"lat": 57.6, "lon": 15.8},
                "extra": 1,
            },
            422,
        ),
        (
            other_police,
            "POST",
            "/areas",
            {"name": "A", "municipality_code": "0884", "center": {"lat": 57.6, "lon": 15.8}},
            403,
        ),
        (
            ctx.police,
            "PATCH",
            f"/areas/{ctx.area.id}",
            {"name": "B", "boundary": {"type": "x"}},
            422,
        ),
        (ctx.resident, "PATCH", f"/areas/{ctx.area.id}", {"name": "B"}, 403),
        (
            ctx.police,
            "PUT",
            f"/areas/{ctx.area.id}/members/{ctx.resident.id}",
            {"status": "active", "role": "chief"},
            422,
        ),
        (
            ctx.contact,
            "PUT",
            f"/areas/{ctx.area.id}/members/{ctx.police.id}",
            {"status": "active"},
            404,
        ),
        (ctx.resident, "POST", f"/areas/{ctx.area.id}/join-requests", None, 409),
        (ctx.resident, "POST", "/invitations/forged.token.x/accept", None, 400),
    ]
    for actor, method, path, body, status in rejected:
        headers = actor.headers if actor else {}
        kwargs = {"json": body} if body is not None else {}
        problem_of(client.open(API + path, method=method, headers=headers, **kwargs), status)
    assert _counts(app) == before_counts
    assert _snapshot(app, ctx) == before
    # Malformed JSON: nothing either.
    r = client.post(
        f"{API}/areas", headers=ctx.police.headers, data="{", content_type="application/json"
    )
    problem_of(r, 400)
    assert _counts(app) == before_counts
