"""Schemas for police broadcasts, their targets, training events and RSVPs."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from grannsamverkan.models.broadcast import (
    BROADCAST_KINDS,
    BROADCAST_SEVERITIES,
    EVENT_TOPICS,
    RSVP_STATUSES,
)
from grannsamverkan.schemas.accounts import NOT_BLANK
from grannsamverkan.schemas.areas import MUNICIPALITY_CODE
from grannsamverkan.schemas.common import (
    Latitude,
    Longitude,
    NonEmptyBodySchema,
    OneOfSchema,
    PointSchema,
    page_of,
)
from grannsamverkan.schemas.input_fields import Id, Moment, Text

MAX_TARGET_ITEMS = 300


class CircleSchema(Schema):
    lat = Latitude(required=True)
    lon = Longitude(required=True)
    radius_m = fields.Integer(
        required=True, strict=True, validate=validate.Range(min=100, max=50_000)
    )


class TargetSchema(Schema):
    municipality_codes = fields.List(
        fields.String(validate=MUNICIPALITY_CODE), validate=validate.Length(max=MAX_TARGET_ITEMS)
    )
    area_ids = fields.List(Id(), validate=validate.Length(max=MAX_TARGET_ITEMS))
    circle = fields.Nested(CircleSchema)

    @validates_schema
    def _names_someone(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not (data.get("municipality_codes") or data.get("area_ids") or data.get("circle")):
            raise ValidationError(
                "Name municipality_codes, area_ids or a circle.", "municipality_codes"
            )


def _ends_after_start(data: dict[str, Any]) -> None:
    starts, ends = data.get("starts_at"), data.get("ends_at")
    if starts is not None and ends is not None and ends <= starts:
        raise ValidationError("The event must end after it starts.", "ends_at")


class EventSchema(Schema):
    topic = fields.String(required=True, validate=validate.OneOf(EVENT_TOPICS))
    starts_at = Moment(required=True)
    ends_at = Moment(required=True)
    place = Text(required=True, validate=[validate.Length(1, 300), NOT_BLANK])
    location = fields.Nested(PointSchema, allow_none=True)
    capacity = fields.Integer(required=True, strict=True, validate=validate.Range(1, 10_000))

    @validates_schema
    def _times(self, data: dict[str, Any], **kwargs: Any) -> None:
        _ends_after_start(data)


class BroadcastCreateSchema(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(BROADCAST_KINDS))
    title = Text(required=True, validate=[validate.Length(1, 200), NOT_BLANK])
    body = Text(required=True, validate=[validate.Length(1, 4000), NOT_BLANK])
    severity = fields.String(
        load_default=None, allow_none=True, validate=validate.OneOf(BROADCAST_SEVERITIES)
    )
    target = fields.Nested(TargetSchema, required=True)
    expires_at = Moment(load_default=None, allow_none=True)
    event = fields.Nested(EventSchema, load_default=None, allow_none=True)

    @validates_schema
    def _event_iff_training(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "kind" not in data:
            return
        if data["kind"] == "training_event" and data.get("event") is None:
            raise ValidationError("A training event needs its event details.", "event")
        if data["kind"] != "training_event" and data.get("event") is not None:
            raise ValidationError("Only a training event has event details.", "event")


class EventPatchSchema(NonEmptyBodySchema):
    topic = fields.String(validate=validate.OneOf(EVENT_TOPICS))
    starts_at = Moment()
    ends_at = Moment()
    place = Text(validate=[validate.Length(1, 300), NOT_BLANK])
    location = fields.Nested(PointSchema, allow_none=True)
    capacity = fields.Integer(strict=True, validate=validate.Range(1, 10_000))

    @validates_schema
    def _times(self, data: dict[str, Any], **kwargs: Any) -> None:
        _ends_after_start(data)


class BroadcastPatchSchema(NonEmptyBodySchema):
    title = Text(validate=[validate.Length(1, 200), NOT_BLANK])
    body = Text(validate=[validate.Length(1, 4000), NOT_BLANK])
    severity = fields.String(allow_none=True, validate=validate.OneOf(BROADCAST_SEVERITIES))
    expires_at = Moment(allow_none=True)
    event = fields.Nested(EventPatchSchema)


class BroadcastCreatedSchema(Schema):
    id = fields.Integer()
    alert_id = fields.Integer()
    recipient_count = fields.Integer(metadata={"description": "People, not devices."})


class ReachSchema(Schema):
    people = fields.Integer(metadata={"description": "People the target reaches (not you)."})
    phones = fields.Integer(metadata={"description": "Their registered phones."})


class BroadcastQuerySchema(Schema):
    kind = fields.String(validate=validate.OneOf(BROADCAST_KINDS))
    include_expired = fields.Boolean(load_default=False)


class FeedQuerySchema(Schema):
    municipality_code = fields.String(validate=MUNICIPALITY_CODE)


class CircleOutSchema(Schema):
    lat = fields.Float()
    lon = fields.Float()
    radius_m = fields.Integer()


class TargetOutSchema(Schema):
    municipality_codes = fields.List(fields.String())
    area_ids = fields.List(fields.Integer())
    circle = fields.Nested(CircleOutSchema, allow_none=True)


class EventOutSchema(Schema):
    topic = fields.String()
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    place = fields.String()
    location = fields.Nested(PointSchema, allow_none=True)
    capacity = fields.Integer()


class BroadcastMemberSchema(Schema):
    """A broadcast as the members it reached see it: the circle centre and the event
    location coarsened. Events also carry the counts and the caller's own answer."""

    id = fields.Integer()
    kind = fields.String()
    title = fields.String()
    body = fields.String()
    severity = fields.String(allow_none=True)
    status = fields.String()
    sequence = fields.Integer()
    alert_id = fields.Integer(allow_none=True)
    target = fields.Nested(TargetOutSchema)
    expires_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    event = fields.Nested(EventOutSchema, allow_none=True)
    confirmed = fields.Integer(metadata={"description": "Events: confirmed places (a count)."})
    waitlisted = fields.Integer(metadata={"description": "Events: the waiting list (a count)."})
    my_rsvp = fields.String(allow_none=True, validate=validate.OneOf(RSVP_STATUSES))


class BroadcastPoliceSchema(BroadcastMemberSchema):
    """A broadcast as the police in scope see it: raw points, the author and the reach."""

    author_id = fields.Integer(allow_none=True)
    municipality_codes = fields.List(fields.String())
    recipient_count = fields.Integer(metadata={"description": "People, not devices."})


class BroadcastViewSchema(OneOfSchema):
    """A broadcast: the police view for the police in scope, else the member view."""

    variants = (BroadcastPoliceSchema, BroadcastMemberSchema)


BroadcastPageSchema = page_of(BroadcastViewSchema)


class RsvpSchema(Schema):
    status = fields.String(validate=validate.OneOf(RSVP_STATUSES))


class MunicipalityOutSchema(Schema):
    code = fields.String()
    name = fields.String(metadata={"description": 'The official name: "Vimmerby kommun".'})


class PublicWarningSchema(Schema):
    """A fraud warning as it is published to everyone (what its CAP alert carries)."""

    id = fields.Integer()
    title = fields.String()
    body = fields.String()
    severity = fields.String(allow_none=True)
    status = fields.String()
    sequence = fields.Integer()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    expires_at = fields.DateTime(allow_none=True)
    municipalities = fields.List(fields.Nested(MunicipalityOutSchema))
    area_names = fields.List(fields.String())
    circle = fields.Nested(CircleOutSchema, allow_none=True, metadata={"description": "Coarsened."})
    cap_url = fields.String()
