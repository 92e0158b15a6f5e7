"""Accounts and the caller's own profile, home and devices."""

from __future__ import annotations

from typing import Any

from flask import current_app, g

from grannsamverkan.api.auth import auth_required, authenticate, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.api.openapi import documents
from grannsamverkan.api.ratelimit import client_address_key, rate_limited, sign_in_limits
from grannsamverkan.errors import Unauthorized
from grannsamverkan.extensions import db
from grannsamverkan.geo import geocoding
from grannsamverkan.schemas.accounts import (
    DeviceInputSchema,
    DeviceSchema,
    ExportSchema,
    HomeInputSchema,
    HomeOutputSchema,
    LoginSchema,
    MePatchSchema,
    MeSchema,
    PasswordResetAcceptedSchema,
    PasswordResetConfirmSchema,
    PasswordResetRequestSchema,
    RegisterSchema,
    TokenSchema,
    UserSchema,
)
from grannsamverkan.services import accounts, exports, password_reset

blp = Blueprint("accounts", __name__, description="Accounts, profile and devices")


@blp.route("/auth/register", methods=["POST"])
@sign_in_limits
@blp.arguments(RegisterSchema)
@blp.response(201, UserSchema)
def register(body: dict[str, Any]) -> Any:
    """Create a resident account."""
    user = accounts.create_user(**body)
    db.session.commit()
    return user


@blp.route("/auth/login", methods=["POST"])
@sign_in_limits
@documents(401)
@blp.arguments(LoginSchema)
@blp.response(200, TokenSchema)
def login(body: dict[str, Any]) -> Any:
    """Exchange e-mail and password for an access token."""
    signed_in = accounts.sign_in(email=body["email"], password=body["password"])
    if signed_in is None:
        raise Unauthorized("Wrong e-mail address or password.", problem="wrong-credentials")
    db.session.commit()
    token, expires_in = signed_in
    return {"access_token": token, "token_type": "Bearer", "expires_in": expires_in}


@blp.route("/auth/logout", methods=["POST"])
@auth_required
@blp.response(204)
def logout() -> None:
    """Revoke the access token this request carries."""
    accounts.sign_out(authenticate())  # type: ignore[arg-type]
    db.session.commit()


@blp.route("/auth/password-reset", methods=["POST"])
@sign_in_limits
@blp.arguments(PasswordResetRequestSchema)
@blp.response(202, PasswordResetAcceptedSchema)
def request_password_reset(body: dict[str, Any]) -> Any:
    """E-mail a link to choose a new password (valid an hour, once). The answer is the same
    whether or not the address has an account."""
    password_reset.request_reset(body["email"])
    db.session.commit()
    return {"expires_in": current_app.config["GSV_PASSWORD_RESET_MAX_AGE"]}


def _address_limit() -> str:
    return current_app.config["GSV_LOGIN_ADDRESS_LIMIT"]


@blp.route("/auth/password-reset/confirm", methods=["POST"])
@rate_limited(_address_limit, key_func=client_address_key, methods=["POST"])
@documents(400)
@blp.arguments(PasswordResetConfirmSchema)
@blp.response(204)
def confirm_password_reset(body: dict[str, Any]) -> None:
    """Set a new password with the e-mailed link's token; every session of the account is
    signed out."""
    password_reset.confirm_reset(body["token"], body["password"])
    db.session.commit()


@blp.route("/me", methods=["GET"])
@auth_required
@blp.response(200, MeSchema)
def get_me() -> Any:
    """The caller's profile, alert settings and memberships."""
    return current_user()


@blp.route("/me", methods=["PATCH"])
@auth_required
@blp.arguments(MePatchSchema)
@blp.response(200, MeSchema)
def patch_me(changes: dict[str, Any]) -> Any:
    """Change name, locale, alert radius, quiet hours or alert categories."""
    user = accounts.update_profile(current_user(), changes)
    db.session.commit()
    return user


@blp.route("/me", methods=["DELETE"])
@auth_required
@blp.response(204)
def delete_me() -> None:
    """Erase the caller's account; their tips stay, anonymised."""
    accounts.delete_account(current_user())
    db.session.commit()
    g.pop("user", None)


@blp.route("/me/home", methods=["PUT"])
@auth_required
@blp.arguments(HomeInputSchema)
@blp.response(200, HomeOutputSchema)
def put_home(body: dict[str, Any]) -> Any:
    """Set the household's home: coordinates, an address, or protected (no location)."""
    if "address" in body:
        place = geocoding.geocode(body["address"])
        body = {"lat": place.lat, "lon": place.lon, "address": place.address}
    user = accounts.set_home(current_user(), **body)
    db.session.commit()
    return user


@blp.route("/me/devices", methods=["POST"])
@auth_required
@blp.arguments(DeviceInputSchema)
@blp.response(201, DeviceSchema)
@blp.alt_response(200, schema=DeviceSchema, description="The token was already registered")
def post_device(body: dict[str, Any]) -> Any:
    """Register this phone's push token (moves it here if another account had it)."""
    device, created = accounts.register_device(current_user(), **body)
    db.session.commit()
    return device, 201 if created else 200


@blp.route("/me/devices/<path:token>", methods=["DELETE"])
@auth_required
@blp.response(204)
def delete_device(token: str) -> None:
    """Stop push to this token."""
    accounts.remove_device(current_user(), token)
    db.session.commit()


@blp.route("/me/export", methods=["GET"])
@auth_required
@blp.response(200, ExportSchema)
def export_me() -> Any:
    """All personal data stored about the caller, as JSON."""
    return exports.collect_personal_data(current_user())
