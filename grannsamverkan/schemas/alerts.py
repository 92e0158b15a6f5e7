"""Schemas for the inbox: the alerts, warnings and notices a person received."""

from __future__ import annotations

from marshmallow import Schema, fields

from grannsamverkan.models.alert import ALERT_KINDS, ALERT_STATUSES
from grannsamverkan.schemas.common import page_of


class InboxAlertSchema(Schema):
    id = fields.Integer()
    kind = fields.String(
        metadata={
            "description": "tip (a neighbour's tip), broadcast (from the police) or notice "
            "(something for the reader to act on or know: a new tip, a tip to moderate, a "
            "request to join, the outcome of their own tip).",
            "enum": list(ALERT_KINDS),
        }
    )
    tip_id = fields.Integer(
        allow_none=True,
        metadata={"description": "A notice's tip (open it with GET /tips/{id}); else null."},
    )
    category = fields.String(allow_none=True)
    title = fields.String()
    body = fields.String()
    location = fields.Dict(allow_none=True)
    created_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    read_at = fields.DateTime(allow_none=True)
    status = fields.String(
        metadata={
            "description": "resolved: the tip was closed; withdrawn: it was rejected or a "
            "false alarm (the phones that got the alert were told once).",
            "enum": list(ALERT_STATUSES),
        }
    )
    silent = fields.Boolean()
    url = fields.String(
        allow_none=True,
        metadata={"description": "Where to read more (a police event's page on polisen.se)."},
    )


InboxAlertPageSchema = page_of(InboxAlertSchema)
