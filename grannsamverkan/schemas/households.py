"""Schemas for households without a smartphone, registered by a contact person."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from grannsamverkan.errors import N_
from grannsamverkan.models.user import CONSENT_METHODS, HOUSEHOLD_CHANNELS, LOCALES
from grannsamverkan.schemas.accounts import NOT_BLANK, HomeSchema
from grannsamverkan.schemas.input_fields import Day, Latitude, Longitude, PhoneNumber, Text

NEEDS_A_WAY = N_("Give a phone number or an e-mail address.")
SMS_NEEDS_PHONE = N_("Text messages need a phone number.")
EMAIL_NEEDS_ADDRESS = N_("E-mail needs an e-mail address.")


class HouseholdHomeSchema(Schema):
    """Where the household lives: coordinates, or an address to look up (as PUT /me/home)."""

    lat = Latitude()
    lon = Longitude()
    address = Text(validate=validate.Length(1, 300))

    @validates_schema
    def _one_form(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "lat" in data or "lon" in data:
            for name in ("lat", "lon"):
                if name not in data:
                    raise ValidationError(N_("Send both lat and lon."), name)
        elif "address" not in data:
            raise ValidationError(N_("Send {lat, lon} or {address}."), "_schema")


class ConsentSchema(Schema):
    """The resident's consent to be registered and reached: when and how it was given."""

    given_on = Day(required=True, metadata={"description": "The day consent was given."})
    method = fields.String(required=True, validate=validate.OneOf(CONSENT_METHODS))


class HouseholdCreateSchema(Schema):
    name = Text(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    phone = PhoneNumber(load_default=None, allow_none=True)
    email = fields.Email(validate=validate.Length(max=254), load_default=None, allow_none=True)
    locale = fields.String(load_default="sv", validate=validate.OneOf(LOCALES))
    channels = fields.List(
        fields.String(validate=validate.OneOf(HOUSEHOLD_CHANNELS)),
        required=True,
        validate=validate.Length(1, len(HOUSEHOLD_CHANNELS)),
        metadata={"description": 'How alerts reach the household: "sms", "email" or both.'},
    )
    home = fields.Nested(HouseholdHomeSchema, required=True)
    consent = fields.Nested(ConsentSchema, required=True)

    @validates_schema
    def _reachable(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("phone") and not data.get("email"):
            raise ValidationError(NEEDS_A_WAY, "phone")
        channels = data.get("channels") or []
        if "sms" in channels and not data.get("phone"):
            raise ValidationError(SMS_NEEDS_PHONE, "phone")
        if "email" in channels and not data.get("email"):
            raise ValidationError(EMAIL_NEEDS_ADDRESS, "email")


class ConsentRecordSchema(Schema):
    given_on = fields.Date(attribute="consent_given_on")
    method = fields.String(attribute="consent_method")
    recorded_by_id = fields.Integer(attribute="registered_by_id", allow_none=True)


class HouseholdSchema(Schema):
    """A registered household, as its area's contact persons and police see it."""

    user_id = fields.Integer(attribute="id")
    name = fields.String()
    phone = fields.String(allow_none=True)
    email = fields.String(allow_none=True)
    locale = fields.String()
    channels = fields.List(fields.String())
    home = fields.Nested(HomeSchema, allow_none=True)
    consent = fields.Function(lambda user: ConsentRecordSchema().dump(user))
    created_at = fields.DateTime()
