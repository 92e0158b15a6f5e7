"""Schemas for the police's public events (services/police_events.py)."""

from __future__ import annotations

from marshmallow import Schema, fields

from grannsamverkan.schemas.areas import MUNICIPALITY_CODE
from grannsamverkan.schemas.common import page_of


class PoliceEventQuerySchema(Schema):
    municipality_code = fields.String(
        required=True,
        validate=MUNICIPALITY_CODE,
        metadata={"description": "The municipality (e.g. 0884) whose events to list."},
    )


class PoliceEventSchema(Schema):
    """An event as the police published it. No coordinates: the police's own are the
    municipality's centre, not the place."""

    id = fields.Integer(metadata={"description": "The police's id of the event."})
    datetime = fields.DateTime(attribute="occurred_at")
    name = fields.String()
    summary = fields.String()
    url = fields.String(allow_none=True, metadata={"description": "Its page on polisen.se."})
    type = fields.String()
    location_name = fields.String()
    municipality_code = fields.String()


PoliceEventPageSchema = page_of(PoliceEventSchema)
