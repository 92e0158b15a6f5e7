from datetime import timedelta

import pytest
from flask import g
from sqlalchemy import select, update

from grannsamverkan.api.auth import current_identity, current_user, identify
from grannsamverkan.demo import DEMO_PASSWORD
from grannsamverkan.extensions import db
from grannsamverkan.models import AuthSession, Delivery, Device
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import accounts
from tests.conftest import PASSWORD, TIP_SPOT, problem_of, send_all


def test_register_login_me_logout(client):
    r = client.post(
        "/api/v1/auth/register",
        json={"email": "Anna@Example.se", "password": PASSWORD, "name": "Anna"},
    )
    assert r.status_code == 201
    assert r.json["email"] == "anna@example.se"
    assert "password" not in r.json
    r = client.post("/api/v1/auth/login", json={"email": "anna@example.se", "password": PASSWORD})
    assert r.status_code == 200
    token = r.json["access_token"]
    assert r.json["token_type"] == "Bearer"
    headers = {"Authorization": f"Bearer {token}"}
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json["alert_radius_m"] == 1000
    assert me.json["quiet_hours"] is None
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    problem_of(client.get("/api/v1/me", headers=headers), 401)


def test_register_duplicate_email_is_409(client, make_user):
    user = make_user()
    r = client.post(
        "/api/v1/auth/register",
        json={"email": user.email.upper(), "password": "x" * 12, "name": "B"},
    )
    problem_of(r, 409)


def test_wrong_password_is_401(client, make_user):
    user = make_user()
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": "nope" * 3})
    problem_of(r, 401)
    r = client.post("/api/v1/auth/login", json={"email": "ghost@x.se", "password": PASSWORD})
    problem_of(r, 401)


def test_forged_token_is_401(client, make_user):
    user = make_user()
    problem_of(client.get("/api/v1/me", headers={"Authorization": "Bearer abc.def.ghi"}), 401)
    problem_of(client.get("/api/v1/me", headers={"Authorization": user.token}), 401)


def test_patch_me(client, make_user):
    user = make_user()
    r = client.patch(
        "/api/v1/me",
        headers=user.headers,
        json={
            "alert_radius_m": 500,
            "quiet_hours": {"start": "22:00", "end": "07:00"},
            "categories": ["burglary"],
            "locale": "en",
        },
    )
    assert r.status_code == 200, r.json
    assert r.json["alert_radius_m"] == 500
    assert r.json["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert r.json["categories"] == ["burglary"]
    r = client.patch("/api/v1/me", headers=user.headers, json={"quiet_hours": None})
    assert r.json["quiet_hours"] is None


def test_channels_and_phone(client, make_user):
    user = make_user()
    me = client.get("/api/v1/me", headers=user.headers).json
    assert me["channels"] == ["push"]
    assert me["phone"] is None
    r = client.patch(
        "/api/v1/me",
        headers=user.headers,
        json={"channels": ["sms", "email", "push"], "phone": "070-123 45 67"},
    )
    assert r.status_code == 200, r.json
    assert r.json["channels"] == ["push", "email", "sms"]
    assert r.json["phone"] == "+46701234567"
    assert (
        client.patch("/api/v1/me", headers=user.headers, json={"channels": []}).json["channels"]
        == []
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"channels": ["sms"]}, "channels"),
        ({"channels": ["sms"], "phone": None}, "phone"),
        ({"channels": ["fax"]}, "channels"),
        ({"phone": "12"}, "phone"),
        ({"phone": "070-123 45 6x"}, "phone"),
    ],
)
def test_channels_and_phone_refused(client, make_user, body, field):
    user = make_user()
    problem = problem_of(client.patch("/api/v1/me", headers=user.headers, json=body), 422)
    assert field in problem["errors"]
    assert client.get("/api/v1/me", headers=user.headers).json["channels"] == ["push"]


def test_sms_channel_keeps_its_phone(client, make_user):
    user = make_user()
    body = {"channels": ["sms"], "phone": "+46 70 123 45 67"}
    assert client.patch("/api/v1/me", headers=user.headers, json=body).status_code == 200
    problem = problem_of(
        client.patch("/api/v1/me", headers=user.headers, json={"phone": None}), 422
    )
    assert "phone" in problem["errors"]
    assert client.get("/api/v1/me", headers=user.headers).json["phone"] == "+46701234567"


def test_home_by_coordinates_and_protected(client, make_user):
    user = make_user()
    r = client.put("/api/v1/me/home", headers=user.headers, json={"lat": 57.66, "lon": 15.85})
    assert r.status_code == 200
    assert r.json["home"] == {"lat": 57.66, "lon": 15.85}
    r = client.put("/api/v1/me/home", headers=user.headers, json={"protected": True})
    assert r.status_code == 200
    assert r.json == {"home": None, "protected": True}
    assert client.get("/api/v1/me", headers=user.headers).json["home"] is None


def test_home_by_address_without_geocoder_is_422(client, make_user):
    user = make_user()
    r = client.put("/api/v1/me/home", headers=user.headers, json={"address": "Storgatan 1"})
    assert "address" in problem_of(r, 422)["errors"]


def test_devices_register_move_and_delete(client, make_user):
    anna, bo = make_user(), make_user()
    body = {"token": "fcm-token-1", "platform": "android"}
    assert client.post("/api/v1/me/devices", headers=anna.headers, json=body).status_code == 201
    assert client.post("/api/v1/me/devices", headers=anna.headers, json=body).status_code == 200
    # The phone changed hands: the token moves to Bo.
    assert client.post("/api/v1/me/devices", headers=bo.headers, json=body).status_code == 200
    # Anna's app signing out unregisters the token: no error tells her it moved, and Bo
    # keeps it.
    assert client.delete("/api/v1/me/devices/fcm-token-1", headers=anna.headers).status_code == 204
    assert client.get("/api/v1/me/export", headers=bo.headers).json["devices"][0]["token"] == (
        "fcm-token-1"
    )
    assert client.get("/api/v1/me/export", headers=anna.headers).json["devices"] == []
    assert client.delete("/api/v1/me/devices/fcm-token-1", headers=bo.headers).status_code == 204
    assert client.get("/api/v1/me/export", headers=bo.headers).json["devices"] == []


def test_a_moved_token_gets_none_of_the_previous_owners_pushes(
    app, client, make_user, make_area, add_member, post_tip, dispatcher
):
    area = make_area()
    anna, bo, reporter = make_user(home=TIP_SPOT), make_user(home=TIP_SPOT), make_user()
    for person in (anna, bo, reporter):
        add_member(person, area)
    body = {"token": "fcm-token-1", "platform": "android"}
    assert client.post("/api/v1/me/devices", headers=anna.headers, json=body).status_code == 201
    first = post_tip(reporter)  # Anna's alert waits in the outbox for her phone
    # The phone changes hands before the push goes out.
    assert client.post("/api/v1/me/devices", headers=bo.headers, json=body).status_code == 200
    second = post_tip(reporter, "suspicious_person", description="Someone trying door handles.")
    send_all(app, dispatcher)
    with app.app_context():
        rows = db.session.execute(
            select(Delivery.alert_id, Delivery.state, Device.user_id)
            .outerjoin(Device, Device.id == Delivery.device_id)
            .order_by(Delivery.id)
        ).all()
    # The first alert was never sent to the phone, the second one (Bo's) was.
    assert [tuple(row) for row in rows] == [
        (first["alert"]["id"], "unregistered", None),
        (second["alert"]["id"], "sent", bo.id),
    ]


def test_export_and_delete_me(client, make_user, make_area, add_member):
    user = make_user(home=(57.66, 15.85))
    area = make_area()
    add_member(user, area)
    client.post("/api/v1/me/devices", headers=user.headers, json={"token": "t", "platform": "ios"})
    export = client.get("/api/v1/me/export", headers=user.headers).json
    assert export["account"]["email"] == user.email
    assert export["home"]["lat"] == 57.66
    assert export["devices"][0]["token"] == "t"
    assert export["memberships"][0]["area_id"] == area.id
    assert client.delete("/api/v1/me", headers=user.headers).status_code == 204
    problem_of(client.get("/api/v1/me", headers=user.headers), 401)
    r = client.post("/api/v1/auth/login", json={"email": user.email, "password": PASSWORD})
    problem_of(r, 401)


def test_unknown_and_known_emails_cost_the_same_hashing(app, make_user, monkeypatch):
    """A wrong e-mail must cost what a wrong password costs, or timing tells which addresses
    have accounts: one password hash each, with the same method (counted, not timed)."""
    import werkzeug.security

    user = make_user()
    real_hash = werkzeug.security._hash_internal
    methods: list[str] = []

    def counting_hash(method: str, salt: str, password: str) -> tuple[str, str]:
        methods.append(method)
        return real_hash(method, salt, password)

    monkeypatch.setattr(werkzeug.security, "_hash_internal", counting_hash)
    with app.app_context():
        accounts.sign_in(email="first-ghost@example.se", password="wrong password")  # warm-up
        work = {}
        for email in (user.email, "ghost@example.se", "other.ghost@example.se", user.email):
            methods.clear()
            assert accounts.sign_in(email=email, password="wrong password") is None
            work[email] = list(methods)
    assert work == {
        user.email: [app.config["GSV_PASSWORD_HASH_METHOD"]],
        "ghost@example.se": [app.config["GSV_PASSWORD_HASH_METHOD"]],
        "other.ghost@example.se": [app.config["GSV_PASSWORD_HASH_METHOD"]],
    }


WEAK_PASSWORDS = [
    " " * 10,
    "1234567890",
    "erik.holm@example.se",  # the e-mail address itself
    "ERIK.HOLM@EXAMPLE.SE",
    "erikholm1234",
    "Erik Holm 1975",
    "qwertyuiop",
    "password123",
    "a" * 200,
]


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_register_refuses_a_password_easy_to_guess(client, app, password):
    body = {"email": "Erik.Holm@example.se", "password": password, "name": "Erik Holm"}
    problem = problem_of(client.post("/api/v1/auth/register", json=body), 422)
    [message] = problem["errors"]["password"]
    assert message.startswith("This password is too easy to guess.")
    assert "e-mail address or name" in message
    with app.app_context():
        assert accounts.find_user_by_email(body["email"]) is None


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("erik.holm@example.se", PASSWORD),
        ("anna.berg@demo.grannsamverkan.se", DEMO_PASSWORD),
        ("erik.holm@example.se", "Snart är det midsommar igen på Storgatan"),
        ("erik.holm@example.se", "aaaa" * 30 + "Tre kaniner dansar tango i Vimmerby"),
    ],
)
def test_register_accepts_a_password_hard_to_guess(client, email, password):
    body = {"email": email, "password": password, "name": "Erik Holm"}
    assert client.post("/api/v1/auth/register", json=body).status_code == 201


def test_users_create_refuses_a_weak_password(app):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "polis@example.se", "--password", "1234567890",
              "--name", "Polis", "--role", "police", "--municipality", "0884"],
    )  # fmt: skip
    assert result.exit_code != 0
    assert "too easy to guess" in result.output
    with app.app_context():
        assert accounts.find_user_by_email("polis@example.se") is None


@pytest.mark.parametrize("role", ["municipality", "statistics"])
def test_users_create_makes_municipality_and_statistics_accounts(app, role):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", f"{role}@example.se", "--password",
              "Gatlyktor lyser över Stångån i Vimmerby", "--name", "Kommunen", "--role", role,
              "--municipality", "0884"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert f"created {role} account" in result.output
    with app.app_context():
        user = accounts.find_user_by_email(f"{role}@example.se")
        assert (user.role, user.municipality_codes) == (role, ["0884"])


@pytest.mark.parametrize(
    ("role", "municipality", "message"),
    [
        ("municipality", [], "acts in at least one municipality"),
        ("statistics", [], "acts in at least one municipality"),
        ("admin", ["--municipality", "0884"], "has no municipalities"),
        ("municipality", ["--municipality", "884"], "municipality"),
    ],
)
def test_users_create_checks_the_municipalities(app, role, municipality, message):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--email", "x@example.se", "--password",
              "Gatlyktor lyser över Stångån i Vimmerby", "--name", "X", "--role", role,
              *municipality],
    )  # fmt: skip
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert accounts.find_user_by_email("x@example.se") is None


# Two ways a view learns who is signed in (api/auth.py): auth_required loads the session and
# the User as objects (GET /me), identity_required reads the user's id and language as one
# plain row (GET /alerts). Both refuse the same tokens.
SIGNED_IN_VIEWS = ["/api/v1/me", "/api/v1/alerts"]


@pytest.mark.parametrize("path", SIGNED_IN_VIEWS)
def test_both_sign_in_paths_refuse_revoked_expired_and_forged_tokens(app, client, make_user, path):
    user, revoked, expired = make_user(), make_user(), make_user()
    assert client.get(path, headers=user.headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=revoked.headers).status_code == 204
    with app.app_context():
        past = utcnow() - timedelta(seconds=1)
        db.session.execute(
            update(AuthSession).where(AuthSession.user_id == expired.id).values(expires_at=past)
        )
        db.session.commit()
    for headers in (revoked.headers, expired.headers, {"Authorization": "Bearer abc.def"}, {}):
        response = client.get(path, headers=headers)
        problem_of(response, 401)
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="grannsamverkan"'


def test_identity_is_the_callers_id_and_language_and_current_user_loads_the_user(app, make_user):
    user = make_user(locale="en")
    with app.test_request_context(headers=user.headers):
        assert identify() == accounts.SignedIn(user.id, "en")
        assert "user" not in g  # no ORM object until a view asks for one
        assert current_identity().user_id == user.id
        assert current_user().email == user.email
    with app.test_request_context(headers={"Authorization": "Bearer nothing"}):
        assert identify() is None
