"""Schemas for the follow-up statistics (counts only, never names)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from grannsamverkan.errors import N_
from grannsamverkan.schemas.areas import MUNICIPALITY_CODE
from grannsamverkan.schemas.input_fields import Day
from grannsamverkan.services.stats import GROUP_COLUMNS


class StatsRangeSchema(Schema):
    """A date range in Swedish local time, both days included, and a municipality."""

    date_from = Day(data_key="from", metadata={"description": "First day, included (YYYY-MM-DD)."})
    date_to = Day(data_key="to", metadata={"description": "Last day, included."})
    municipality_code = fields.String(
        validate=MUNICIPALITY_CODE,
        metadata={"description": "One of the municipalities the caller serves (else 403)."},
    )

    @validates_schema
    def _ordered(self, data: dict[str, Any], **kwargs: Any) -> None:
        if "date_from" in data and "date_to" in data and data["date_from"] > data["date_to"]:
            raise ValidationError("'to' is before 'from'.", "to")


class TipStatsQuerySchema(StatsRangeSchema):
    group_by = fields.String(
        load_default="category",
        validate=validate.Length(1, 100),
        metadata={"description": "Comma-separated: category, area, month (default category)."},
    )
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))

    @validates_schema
    def _known_groups(self, data: dict[str, Any], **kwargs: Any) -> None:
        parts = [part.strip() for part in data.get("group_by", "category").split(",")]
        unknown = [part for part in parts if part not in GROUP_COLUMNS]
        if unknown:
            raise ValidationError(
                N_("Group by any of %(known)s; not %(unknown)s.")
                % {"known": ", ".join(GROUP_COLUMNS), "unknown": ", ".join(unknown)},
                "group_by",
            )
        if len(set(parts)) != len(parts):
            raise ValidationError("Name each grouping once.", "group_by")

    @post_load
    def _split(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        data["group_by"] = tuple(part.strip() for part in data["group_by"].split(","))
        return data


class TipStatsRowSchema(Schema):
    category = fields.String()
    area_id = fields.Integer()
    month = fields.String(metadata={"description": 'Local month, e.g. "2026-11".'})
    count = fields.Integer()


class TipStatsSchema(Schema):
    rows = fields.List(fields.Nested(TipStatsRowSchema))


class DeliveryCountsSchema(Schema):
    """One count per delivery state (models.delivery.DELIVERY_STATES)."""

    pending = fields.Integer()
    sent = fields.Integer()
    failed = fields.Integer()
    unregistered = fields.Integer()


class AreaStatsRowSchema(Schema):
    area_id = fields.Integer()
    name = fields.String()
    municipality_code = fields.String()
    households = fields.Integer(metadata={"description": "Active memberships."})
    pending = fields.Integer(metadata={"description": "Requests to join awaiting approval."})
    alerts_sent = fields.Integer()
    deliveries = fields.Nested(DeliveryCountsSchema)
    delivery_rate = fields.Float(
        allow_none=True, metadata={"description": "sent / all deliveries; null when none."}
    )
    recipients = fields.Integer(metadata={"description": "People the alerts went to."})
    read_rate = fields.Float(
        allow_none=True, metadata={"description": "read / all recipients; null when none."}
    )


class AreaStatsSchema(Schema):
    rows = fields.List(fields.Nested(AreaStatsRowSchema))


class SmsBudgetQuerySchema(Schema):
    municipality_code = fields.String(
        required=True,
        validate=MUNICIPALITY_CODE,
        metadata={"description": "One of the municipalities the caller serves (else 403)."},
    )
    month = fields.String(
        validate=validate.Regexp(
            r"^20\d\d-(0[1-9]|1[0-2])$", error=N_("A month is written YYYY-MM.")
        ),
        metadata={"description": "YYYY-MM, Swedish time; default the current month."},
    )


class SmsBudgetSchema(Schema):
    """A municipality's SMS budget for one month: texts queued (used) and texts not sent
    because the budget was used up (skipped)."""

    municipality_code = fields.String()
    month = fields.String()
    budget = fields.Integer()
    used = fields.Integer()
    skipped = fields.Integer()
    remaining = fields.Integer()


class FollowUpQuerySchema(Schema):
    """A Lokala BRÅ follow-up period and municipality."""

    period = fields.String(
        validate=validate.Length(1, 20),
        metadata={
            "description": "A quarter (2025-Q3), a year (2025) or a span of years "
            "(2022-2025, the citizen promise's period); default: this year so far."
        },
    )
    municipality_code = fields.String(
        validate=MUNICIPALITY_CODE,
        metadata={"description": "One of the municipalities the caller serves (else 403)."},
    )
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")))


class FollowUpRowSchema(Schema):
    section = fields.String(
        metadata={
            "description": "period, priority, tips_by_month, traffic_kind, traffic_time, "
            "traffic_hotspot, coverage, broadcasts, training_events or push."
        }
    )
    item = fields.String()
    month = fields.String(metadata={"description": 'tips_by_month only: "2026-11".'})
    current = fields.String(
        metadata={"description": "The period's number; counts of 1 and 2 read <3."}
    )
    previous = fields.String(metadata={"description": "The period before's, the same way."})


class FollowUpSchema(Schema):
    period = fields.String(metadata={"description": 'As asked, e.g. "2025".'})
    previous_period = fields.String()
    smallest_count = fields.Integer(metadata={"description": 'Counts below this read "<N".'})
    rows = fields.List(fields.Nested(FollowUpRowSchema))
