"""Schemas for tips and their delivery reports, with a members' and a full view."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from grannsamverkan.models.tip import (
    POLICE_TIP_STATUSES,
    TIME_OF_DAY_PERIODS,
    TIP_CATEGORIES,
    TIP_STATUSES,
    TRAFFIC_KINDS,
)
from grannsamverkan.models.user import ALERT_CHANNELS
from grannsamverkan.schemas.common import (
    CoarsePoint,
    Latitude,
    Longitude,
    OneOfSchema,
    PointSchema,
    page_of,
)
from grannsamverkan.schemas.help import HelpResourceSchema
from grannsamverkan.schemas.input_fields import Day, Id, Moment, Text
from grannsamverkan.schemas.stats import DeliveryCountsSchema
from grannsamverkan.services import privacy


class TipLocationSchema(Schema):
    """Where: coordinates, or an address the server geocodes."""

    lat = Latitude()
    lon = Longitude()
    address = Text(validate=validate.Length(1, 300))

    @validates_schema
    def _point_or_address(self, data: dict[str, Any], **kwargs: Any) -> None:
        has_lat, has_lon = "lat" in data, "lon" in data
        if has_lat != has_lon:
            raise ValidationError("Send both lat and lon.", "lon" if has_lat else "lat")
        if not has_lat and "address" not in data:
            raise ValidationError("Send {lat, lon} or {address}.", "_schema")


class VehicleSchema(Schema):
    registration = Text(validate=validate.Length(1, 20))
    description = Text(validate=validate.Length(1, 500))


CLOCK_TIME = re.compile(r"(?:[01][0-9]|2[0-3]):[0-5][0-9]")


def _time_of_day(value: str) -> None:
    if value not in TIME_OF_DAY_PERIODS and not CLOCK_TIME.fullmatch(value):
        raise ValidationError(
            "Give the time as HH:MM (00:00-23:59) or one of night, morning, day, evening."
        )


class TipCreateSchema(Schema):
    category = fields.String(required=True, validate=validate.OneOf(TIP_CATEGORIES))
    description = Text(required=True, validate=validate.Length(1, 2000))
    location = fields.Nested(TipLocationSchema, required=True)
    observed_at = Moment()
    vehicle = fields.Nested(VehicleSchema)
    traffic_kind = fields.String(
        validate=validate.OneOf(TRAFFIC_KINDS),
        metadata={
            "description": "Traffic tips only, and required for them: speeding, moped, "
            "a_traktor (A-traktor/EPA), reckless_driving, parking or other."
        },
    )
    time_of_day = fields.String(
        validate=_time_of_day,
        metadata={
            "description": "Traffic tips only, optional: when the problem happens, as local "
            '"HH:MM" or a period: night (00-06), morning (06-10), day (10-18), evening (18-24).'
        },
    )

    @validates_schema
    def _traffic_fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("category") == "traffic":
            if "traffic_kind" not in data:
                raise ValidationError("A traffic tip names its kind.", "traffic_kind")
            return
        for field in ("traffic_kind", "time_of_day"):
            if field in data:
                raise ValidationError("Only traffic tips have this field.", field)

    share_details_with_municipality = fields.Boolean(
        load_default=False,
        metadata={
            "description": "The reporter agrees that, if the tip is forwarded to the "
            "municipality (Open311), the exact place, address and text as written go with it; "
            "otherwise only the ~200 m grid cell and the masked text do."
        },
    )


class AlertSummarySchema(Schema):
    id = fields.Integer()
    recipient_count = fields.Integer(
        metadata={
            "description": "How many people were alerted. Exact for the area's police and "
            "contact persons; for members rounded to the nearest ten and never below 10 "
            "(1-14 read 10), 0 when nobody was."
        }
    )


class TipCreatedSchema(Schema):
    id = fields.Integer()
    category = fields.String()
    status = fields.String()
    created_at = fields.DateTime()
    guidance = fields.String()
    police_only = fields.Boolean(
        metadata={
            "description": "The text speaks of violence in close relationships: the tip went "
            "to police only, nobody was alerted, and help_resources lists the help lines."
        }
    )
    help_resources = fields.List(
        fields.Nested(HelpResourceSchema),
        metadata={"description": "Help lines for the reporter (empty unless police_only)."},
    )
    alert = fields.Nested(AlertSummarySchema, allow_none=True)
    duplicate_of = fields.Integer(
        allow_none=True,
        metadata={
            "description": "The earlier tip this one repeats (same category, within 50 m and "
            "30 minutes), only when the reporter may see that tip in full (their own, or "
            "their area's as contact person or police); else null."
        },
    )


class MaskedVehicle(fields.Field):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        if value is None:
            return None
        description = value.get("description")
        return {
            "registration": privacy.mask_registration(value.get("registration")),
            "description": privacy.mask_text(description) if description else None,
        }


class MaskedText(fields.String):
    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> Any:
        return privacy.mask_text(value) if value is not None else None


class TipMemberSchema(Schema):
    """A member's view: coarsened place, masked text, no reporter."""

    id = fields.Integer()
    category = fields.String()
    status = fields.String()
    area_id = fields.Integer()
    description = MaskedText()
    location = CoarsePoint()
    vehicle = MaskedVehicle()
    observed_at = fields.DateTime()
    created_at = fields.DateTime()
    duplicate_of = fields.Integer(attribute="duplicate_of_id", allow_none=True)
    traffic_kind = fields.String(allow_none=True)
    time_of_day = fields.String(allow_none=True)


class ReporterSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    email = fields.String()


class ForwardingSchema(Schema):
    """A tip forwarded to the municipality's case system (Open311), and how far it is."""

    state = fields.String(
        metadata={"description": "queued | submitted | failed (may be forwarded again)"}
    )
    municipality_code = fields.String()
    service_code = fields.String()
    service_request_id = fields.String(allow_none=True)
    municipality_status = fields.String(
        allow_none=True, metadata={"description": "The municipality's: open | closed"}
    )
    status_notes = fields.String(allow_none=True)
    resolved = fields.Boolean(
        metadata={"description": 'The municipality closed the request ("Åtgärdad").'}
    )
    status_label = fields.String(
        metadata={"description": 'In the caller\'s language: e.g. "Åtgärdad" when resolved.'}
    )
    shares_details = fields.Boolean(
        metadata={"description": "The exact place and text went (the reporter agreed)."}
    )
    created_at = fields.DateTime()
    closed_at = fields.DateTime(allow_none=True)
    last_error = fields.String(allow_none=True)


class _TipUnmaskedSchema(Schema):
    """What police, the area's contact persons and the reporter all see of a tip."""

    id = fields.Integer()
    category = fields.String()
    status = fields.String()
    area_id = fields.Integer()
    description = fields.String()
    address = fields.String(allow_none=True)
    vehicle = fields.Dict(allow_none=True)
    traffic_kind = fields.String(allow_none=True)
    time_of_day = fields.String(allow_none=True)
    observed_at = fields.DateTime()
    created_at = fields.DateTime()
    duplicate_of = fields.Integer(attribute="duplicate_of_id", allow_none=True)
    police_note = fields.String(allow_none=True)
    moderated_by = fields.Integer(attribute="moderated_by_id", allow_none=True)
    moderated_at = fields.DateTime(allow_none=True)
    rejection_reason = fields.String(
        allow_none=True, metadata={"description": "Why a moderator rejected the tip."}
    )
    alert_id = fields.Function(lambda tip: tip.alert.id if tip.alert else None)
    share_details_with_municipality = fields.Boolean()
    forwarding = fields.Nested(
        ForwardingSchema,
        allow_none=True,
        metadata={"description": "Set once the tip was forwarded to the municipality."},
    )


class TipFullSchema(_TipUnmaskedSchema):
    """Police of the area and the reporter: everything."""

    location = fields.Nested(PointSchema)
    reporter = fields.Nested(ReporterSchema, allow_none=True)


class TipContactPersonSchema(_TipUnmaskedSchema):
    """The area's contact persons: everything but the exact point (the coarsened cell, as on
    the console's maps) and a reporter with a protected identity (null)."""

    location = CoarsePoint()
    reporter = fields.Nested(ReporterSchema, attribute="unprotected_reporter", allow_none=True)


class TipViewSchema(OneOfSchema):
    """A tip: in full for police and the reporter; for the area's contact persons without the
    exact point or a protected reporter; masked and coarsened for the members alerted."""

    variants = (TipFullSchema, TipContactPersonSchema, TipMemberSchema)


TipPageSchema = page_of(TipViewSchema)


class TipQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf(TIP_STATUSES))
    category = fields.String(validate=validate.OneOf(TIP_CATEGORIES))
    area_id = Id(strict=False)
    q = Text(
        blank=True,
        validate=validate.Length(max=200),
        metadata={"description": "Words the description contains (all of them, any case)."},
    )
    date_from = Day(
        data_key="from", metadata={"description": "Reported on or after this day (YYYY-MM-DD)."}
    )
    date_to = Day(
        data_key="to", metadata={"description": "Reported on or before this day (Swedish time)."}
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "date_from" in data and "date_to" in data and data["date_from"] > data["date_to"]:
            raise ValidationError("'to' is before 'from'.", "to")


class TipRejectSchema(Schema):
    reason = Text(
        blank=True,
        validate=validate.Length(max=500),
        metadata={"description": "Why the tip is rejected; its reporter reads it."},
    )


class TipPatchSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(POLICE_TIP_STATUSES))
    note = Text(blank=True, validate=validate.Length(max=2000))
    reason = Text(
        blank=True,
        validate=validate.Length(max=500),
        metadata={"description": "With status rejected: why; its reporter reads it."},
    )


class DeliveryItemSchema(Schema):
    platform = fields.String()
    state = fields.String()
    attempts = fields.Integer()
    updated_at = fields.DateTime()


DeliveriesByChannelSchema = Schema.from_dict(
    {channel: fields.Nested(DeliveryCountsSchema) for channel in ALERT_CHANNELS},
    name="DeliveriesByChannelSchema",
)


class DeliveryReportSchema(Schema):
    counts = fields.Dict(
        keys=fields.String(),
        values=fields.Integer(),
        metadata={"description": "Deliveries by state, every channel together."},
    )
    by_channel = fields.Nested(
        DeliveriesByChannelSchema,
        metadata={"description": "The same counts for each channel (push, e-mail, ...)."},
    )
    items = fields.List(fields.Nested(DeliveryItemSchema))
