"""Schemas for help resources (help lines and support services)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from grannsamverkan.errors import N_
from grannsamverkan.models.help_resource import HELP_TOPICS
from grannsamverkan.schemas.accounts import NOT_BLANK
from grannsamverkan.schemas.areas import MUNICIPALITY_CODE
from grannsamverkan.schemas.common import NonEmptyBodySchema, page_of

TOPIC_DESCRIPTION = (
    "One of: emergency (112), police (not urgent, 114 14), violence_in_close_relationships, "
    "crime_victims, fraud_victims, other."
)
# Digits as dialled, grouped by spaces or hyphens, optionally international: "020-50 50 50",
# "116 006", "+46 10 123 45 67".
PHONE = validate.Regexp(
    r"^\+?\d[\d -]{0,28}\d$", error=N_("A phone number is digits, spaces and hyphens.")
)


def _name(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, 200), NOT_BLANK], **kwargs)


def _topic(**kwargs: Any) -> fields.String:
    return fields.String(
        validate=validate.OneOf(HELP_TOPICS), metadata={"description": TOPIC_DESCRIPTION}, **kwargs
    )


def _description(**kwargs: Any) -> fields.String:
    return fields.String(validate=[validate.Length(1, 2000), NOT_BLANK], **kwargs)


def _phone() -> fields.String:
    return fields.String(allow_none=True, validate=PHONE)


def _url() -> fields.URL:
    return fields.URL(
        allow_none=True,
        schemes={"http", "https"},
        require_tld=True,
        validate=validate.Length(max=500),
    )


def _municipality_code(**kwargs: Any) -> fields.String:
    return fields.String(
        allow_none=True,
        validate=MUNICIPALITY_CODE,
        metadata={"description": "null (or left out on create) for a national resource."},
        **kwargs,
    )


def _opening_hours() -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(1, 200))


class HelpResourceCreateSchema(Schema):
    name = _name(required=True)
    topic = _topic(required=True)
    description = _description(required=True)
    phone = _phone()
    url = _url()
    municipality_code = _municipality_code(load_default=None)
    opening_hours = _opening_hours()

    @validates_schema
    def _reachable(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("phone") and not data.get("url"):
            raise ValidationError("Give a phone number, a web address, or both.", "phone")


class HelpResourcePatchSchema(NonEmptyBodySchema):
    name = _name()
    topic = _topic()
    description = _description()
    phone = _phone()
    url = _url()
    municipality_code = _municipality_code()
    opening_hours = _opening_hours()


class HelpResourceQuerySchema(Schema):
    municipality_code = fields.String(
        validate=MUNICIPALITY_CODE,
        metadata={"description": "The national resources and this municipality's own."},
    )
    topic = _topic()


class HelpResourceSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    topic = fields.String(metadata={"description": TOPIC_DESCRIPTION})
    description = fields.String()
    phone = fields.String(allow_none=True)
    url = fields.String(allow_none=True)
    municipality_code = fields.String(allow_none=True)
    national = fields.Boolean()
    opening_hours = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


HelpResourcePageSchema = page_of(HelpResourceSchema)
