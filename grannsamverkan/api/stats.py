"""Follow-up statistics for police and Lokala BRÅ: tips, areas, and a chart of tips."""

from __future__ import annotations

import sys
from typing import Any

from flask import Response, current_app, request

from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.errors import Forbidden
from grannsamverkan.extensions import db
from grannsamverkan.gunicorn_config import RESTART_AFTER_REQUEST
from grannsamverkan.models import User
from grannsamverkan.models.types import utcnow
from grannsamverkan.schemas.stats import (
    AreaStatsSchema,
    FollowUpQuerySchema,
    FollowUpSchema,
    SmsBudgetQuerySchema,
    SmsBudgetSchema,
    StatsRangeSchema,
    TipStatsQuerySchema,
    TipStatsSchema,
)
from grannsamverkan.services import (
    exports,
    follow_up,
    follow_up_export,
    follow_up_periods,
    permissions,
    sms_budget,
    stats,
)
from grannsamverkan.services.local_time import LOCAL_TIME, local_month

blp = Blueprint(
    "stats",
    __name__,
    description="Follow-up statistics (police, municipality staff and Lokala BRÅ members of "
    "their municipalities, admins)",
)


def statistics_scope(user: User, municipality_code: str | None) -> list[str] | None:
    """The municipality codes whose numbers the caller sees (403 if none may be asked for);
    None means all (admins)."""
    if municipality_code is not None:
        if not permissions.sees_statistics_of(user, municipality_code):
            raise Forbidden("You see statistics only for the municipalities you serve.")
        return [municipality_code]
    if not permissions.can_see_statistics(user):
        raise Forbidden("Statistics are for police, the municipality, Lokala BRÅ and admins.")
    return permissions.served_municipalities(user)


def json_or_csv(description: str, schema: str, csv_description: str) -> dict[str, Any]:
    """The OpenAPI 200 of a route answering JSON (``schema``) or, with ?format=csv, CSV."""
    return {
        "200": {
            "description": description,
            "content": {
                "application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}},
                "text/csv": {"schema": {"type": "string", "description": csv_description}},
            },
        }
    }


@blp.route("/stats/tips", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(TipStatsQuerySchema, location="query")
@blp.response(200, TipStatsSchema)
@blp.doc(
    responses=json_or_csv(
        "Counts per group; CSV with ?format=csv.",
        "TipStats",
        "With ?format=csv: the same columns, a header row first.",
    )
)
def tip_stats(query: dict[str, Any]) -> Any:
    """Tips counted per category, area and/or month; JSON or CSV."""
    user = current_user()
    codes = statistics_scope(user, query.get("municipality_code"))
    selection = {
        "municipality_codes": codes,
        "group_by": query["group_by"],
        "date_from": query.get("date_from"),
        "date_to": query.get("date_to"),
    }
    if query["format"] == "csv":
        csv_text = exports.tip_counts_csv(actor=user, **selection)
        db.session.commit()  # the export's audit event
        return Response(
            csv_text,
            mimetype="text/csv",
            headers={"Content-Disposition": 'attachment; filename="tip-stats.csv"'},
        )
    return {"rows": stats.count_tips(**selection)}


@blp.route("/stats/tips.png", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(StatsRangeSchema, location="query")
@blp.response(200)
@blp.doc(
    responses={
        "200": {
            "description": "A bar chart of tips per month, stacked by category.",
            "content": {"image/png": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
)
def tip_stats_chart(query: dict[str, Any]) -> Any:
    """A PNG chart of tips per month by category, for follow-up meetings."""
    user = current_user()
    codes = statistics_scope(user, query.get("municipality_code"))
    rows = stats.count_tips(
        municipality_codes=codes,
        group_by=("category", "month"),
        date_from=query.get("date_from"),
        date_to=query.get("date_to"),
    )
    loads_matplotlib = "matplotlib" not in sys.modules
    png = stats.render_tips_chart(
        rows, date_from=query.get("date_from"), date_to=query.get("date_to"), locale=user.locale
    )
    if loads_matplotlib:  # under gunicorn: a fresh worker after this answer (gunicorn_config)
        request.environ[RESTART_AFTER_REQUEST] = "matplotlib"
    return Response(png, mimetype="image/png")


@blp.route("/stats/areas", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(StatsRangeSchema, location="query")
@blp.response(200, AreaStatsSchema)
def area_stats(query: dict[str, Any]) -> Any:
    """Per area: households, pending requests, alerts, delivery and read rates."""
    codes = statistics_scope(current_user(), query.get("municipality_code"))
    return {
        "rows": stats.area_stats(
            municipality_codes=codes,
            date_from=query.get("date_from"),
            date_to=query.get("date_to"),
        )
    }


@blp.route("/stats/sms", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(SmsBudgetQuerySchema, location="query")
@blp.response(200, SmsBudgetSchema)
def sms_budget_use(query: dict[str, Any]) -> Any:
    """A municipality's SMS budget for a month: its size, texts queued, texts skipped
    because it was used up (GSV_SMS_MONTHLY_BUDGET; police of the municipality, admins)."""
    (code,) = statistics_scope(current_user(), query["municipality_code"]) or []
    return sms_budget.budget_use(code, month=query.get("month") or local_month(utcnow()))


@blp.route("/stats/follow-up", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(FollowUpQuerySchema, location="query")
@blp.response(200, FollowUpSchema)
@blp.doc(
    responses=json_or_csv(
        "The report's numbers as rows; CSV with ?format=csv.",
        "FollowUp",
        "With ?format=csv: the rows' columns, a header row first.",
    )
)
def follow_up_report(query: dict[str, Any]) -> Any:
    """The Lokala BRÅ follow-up of the citizen promise for a period and the one before it:
    counts only, small counts hidden."""
    codes = statistics_scope(current_user(), query.get("municipality_code"))
    report = follow_up.follow_up(
        period=asked_period(query.get("period")),
        municipality_codes=codes,
        households=current_app.config["GSV_MUNICIPALITY_HOUSEHOLDS"],
    )
    rows = follow_up_export.report_rows(report)
    if query["format"] == "csv":
        name = f"lokala-bra-{report.period.name}.csv"
        return Response(
            stats.rows_to_csv(rows, follow_up_export.COLUMNS),
            mimetype="text/csv",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return {
        "period": report.period.name,
        "previous_period": report.previous.name,
        "smallest_count": follow_up.SMALLEST_SHOWN,
        "rows": rows,
    }


def asked_period(name: str | None) -> follow_up_periods.Period:
    """The period asked for (422 on ``period`` if it is none), cut at today; this year so
    far when none is asked for."""
    today = utcnow().astimezone(LOCAL_TIME).date()
    if name is None:
        return follow_up_periods.default_period(today)
    return follow_up_periods.parse_period(name).cut_at(today)
