"""Schemas for accounts, the caller's profile and devices."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from grannsamverkan.errors import N_
from grannsamverkan.models.tip import TIP_CATEGORIES
from grannsamverkan.models.user import ALERT_CHANNELS, LOCALES, PLATFORMS
from grannsamverkan.schemas.common import NonEmptyBodySchema
from grannsamverkan.schemas.input_fields import Latitude, Longitude, PhoneNumber, Text

HH_MM = validate.Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", error=N_("Use 24-hour HH:MM."))
# Names are stored stripped; one of only spaces would become the empty string.
NOT_BLANK = validate.Regexp(r"^\s*\S", error=N_("Must not be blank."))


class RegisterSchema(Schema):
    email = fields.Email(required=True, validate=validate.Length(max=254))
    # Blank passwords are refused as easy to guess (services/passwords.py), not as blank.
    password = Text(blank=True, required=True, load_only=True, validate=validate.Length(10, 200))
    name = Text(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    locale = fields.String(load_default="sv", validate=validate.OneOf(LOCALES))


class LoginSchema(Schema):
    email = Text(required=True, validate=validate.Length(1, 254))
    password = Text(required=True, load_only=True, validate=validate.Length(1, 200))


class PasswordResetRequestSchema(Schema):
    email = Text(required=True, validate=validate.Length(1, 254))


class PasswordResetConfirmSchema(Schema):
    token = Text(required=True, load_only=True, validate=validate.Length(1, 1000))
    # The same rule as registration: length here, strength in services/passwords.py.
    password = Text(blank=True, required=True, load_only=True, validate=validate.Length(10, 200))


class PasswordResetAcceptedSchema(Schema):
    # Seconds the e-mailed link works; the same whether or not the address has an account.
    expires_in = fields.Integer()


class TokenSchema(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()


class UserSchema(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    locale = fields.String()
    created_at = fields.DateTime()


class HomeSchema(Schema):
    lat = fields.Float()
    lon = fields.Float()
    address = fields.String()


class QuietHoursSchema(Schema):
    start = fields.String(required=True, validate=HH_MM)
    end = fields.String(required=True, validate=HH_MM)


class MyMembershipSchema(Schema):
    area_id = fields.Integer()
    area_name = fields.String()
    role = fields.String()
    status = fields.String()


class MeSchema(UserSchema):
    home = fields.Nested(HomeSchema, allow_none=True)
    home_protected = fields.Boolean()
    alert_radius_m = fields.Integer()
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)
    categories = fields.Method("_categories")
    channels = fields.List(fields.String())
    phone = fields.String(allow_none=True)
    digest = fields.Boolean()
    municipality_codes = fields.List(fields.String())
    memberships = fields.List(fields.Nested(MyMembershipSchema))
    police_events = fields.Boolean(
        attribute="police_events_in_inbox",
        metadata={
            "description": "The police's public events of my areas' municipalities "
            "arrive in my inbox (never as a push)."
        },
    )

    def _categories(self, user: Any) -> list[str]:
        return list(user.categories) if user.categories is not None else list(TIP_CATEGORIES)


class MePatchSchema(NonEmptyBodySchema):
    name = Text(validate=[validate.Length(1, 200), NOT_BLANK])
    locale = fields.String(validate=validate.OneOf(LOCALES))
    alert_radius_m = fields.Integer(strict=True, validate=validate.Range(100, 2000))
    quiet_hours = fields.Nested(QuietHoursSchema, allow_none=True)
    categories = fields.List(
        fields.String(validate=validate.OneOf(TIP_CATEGORIES)),
        validate=validate.Length(max=len(TIP_CATEGORIES)),
    )
    # How alerts reach the person besides the inbox; [] leaves only the inbox.
    channels = fields.List(
        fields.String(validate=validate.OneOf(ALERT_CHANNELS)),
        validate=validate.Length(max=len(ALERT_CHANNELS)),
    )
    phone = PhoneNumber(allow_none=True)
    # The weekly digest of the person's areas by e-mail (services/digests.py).
    digest = fields.Boolean()
    police_events = fields.Boolean(
        attribute="police_events_in_inbox",
        metadata={"description": "Put the police's public events in my inbox (no push)."},
    )


class HomeInputSchema(Schema):
    """Either coordinates, an address to geocode, or ``protected: true`` (no location)."""

    lat = Latitude()
    lon = Longitude()
    address = Text(validate=validate.Length(1, 300))
    protected = fields.Boolean()

    @validates_schema
    def _one_form(self, data: dict[str, Any], **kwargs: Any) -> None:
        has_point = "lat" in data or "lon" in data
        if data.get("protected"):
            if has_point or "address" in data:
                raise ValidationError("A protected home has no location.", "protected")
            return
        if "protected" in data and not data["protected"]:
            raise ValidationError("Send protected: true, or leave it out.", "protected")
        if has_point:
            for name in ("lat", "lon"):
                if name not in data:
                    raise ValidationError("Send both lat and lon.", name)
            return
        if "address" not in data:
            raise ValidationError("Send {lat, lon}, {address} or {protected: true}.", "_schema")


class HomeOutputSchema(Schema):
    home = fields.Nested(HomeSchema, allow_none=True)
    protected = fields.Boolean(attribute="home_protected")


class DeviceInputSchema(Schema):
    token = Text(required=True, validate=validate.Length(1, 4096))
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))


class DeviceSchema(Schema):
    token = fields.String()
    platform = fields.String()
    created_at = fields.DateTime()
    last_seen_at = fields.DateTime()


class ExportSchema(Schema):
    """GET /me/export: everything stored about the caller, section by section (timestamps
    as ISO 8601 strings)."""

    account = fields.Dict(
        metadata={"description": "id, email, name, role, locale, created_at, municipality_codes"}
    )
    home = fields.Dict(allow_none=True)
    home_protected = fields.Boolean()
    alert_settings = fields.Dict(
        metadata={"description": "alert_radius_m, quiet_hours, categories, police_events"}
    )
    devices = fields.List(fields.Dict())
    memberships = fields.List(fields.Dict())
    tips = fields.List(fields.Dict(), metadata={"description": "The caller's own tips, in full."})
    alerts_received = fields.List(fields.Dict())
    rsvps = fields.List(fields.Dict())
    sessions = fields.List(fields.Dict())
