"""Schemas for the audit trail (GET /audit)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from grannsamverkan.schemas.common import page_of
from grannsamverkan.schemas.input_fields import Id, Moment
from grannsamverkan.services.audit import ACTIONS, OBJECT_TYPES, municipalities_of


class AuditQuerySchema(Schema):
    object_type = fields.String(validate=validate.OneOf(OBJECT_TYPES))
    object_id = Id(strict=False, metadata={"description": "With object_type: one object."})
    actor_id = Id(strict=False, metadata={"description": "The account that acted."})
    action = fields.String(validate=validate.OneOf(ACTIONS))
    since = Moment(metadata={"description": "Events at or after this time (with its offset)."})
    until = Moment(metadata={"description": "Events before this time (with its offset)."})

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "since" in data and "until" in data and data["since"] >= data["until"]:
            raise ValidationError("'until' must be after 'since'.", "until")


class AuditEventSchema(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(required=True)
    actor_id = fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "null: an operator on the command line."},
    )
    actor_role = fields.String(
        required=True,
        metadata={
            "description": "The capacity acted in, at the time: admin, police, "
            "contact_person, operator, resident."
        },
    )
    action = fields.String(required=True, metadata={"description": "e.g. tip.status"})
    object_type = fields.String(required=True)
    object_id = fields.Integer(
        required=True, allow_none=True, metadata={"description": "null for an export."}
    )
    municipality_codes = fields.Function(
        municipalities_of,
        required=True,
        metadata={"type": "array", "items": {"type": "string"}},
    )
    request_id = fields.String(
        required=True,
        allow_none=True,
        metadata={
            "description": "The request the action came in, as on its log lines "
            "(X-Request-Id); null: the command line."
        },
    )
    changes = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.Raw(allow_none=True)),
        required=True,
        metadata={"description": '{field: [old, new]}; free text only as "[text]" (set) or null.'},
    )


AuditEventPageSchema = page_of(AuditEventSchema)
