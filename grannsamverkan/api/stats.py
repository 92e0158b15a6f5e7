"""Follow-up statistics for police and Lokala BRÅ: tips, areas, and a chart of tips."""

from __future__ import annotations

from typing import Any

from flask import Response

from grannsamverkan.api.auth import auth_required, checks_access, current_user
from grannsamverkan.api.blueprint import Blueprint
from grannsamverkan.errors import Forbidden
from grannsamverkan.extensions import db
from grannsamverkan.models import User
from grannsamverkan.schemas.stats import (
    AreaStatsSchema,
    StatsRangeSchema,
    TipStatsQuerySchema,
    TipStatsSchema,
)
from grannsamverkan.services import exports, permissions, stats

blp = Blueprint(
    "stats", __name__, description="Follow-up statistics (police of their municipalities, admins)"
)


def statistics_scope(user: User, municipality_code: str | None) -> list[str] | None:
    """The municipality codes whose numbers the caller sees (403 if none may be asked for);
    None means all (admins)."""
    if municipality_code is not None:
        if not permissions.serves_municipality(user, municipality_code):
            raise Forbidden("You see statistics only for the municipalities you serve.")
        return [municipality_code]
    if not permissions.can_see_statistics(user):
        raise Forbidden("Statistics are for police and admins.")
    return permissions.served_municipalities(user)


@blp.route("/stats/tips", methods=["GET"])
@auth_required
@checks_access
@blp.arguments(TipStatsQuerySchema, location="query")
@blp.response(200, TipStatsSchema)
@blp.doc(
    responses={
        "200": {
            "description": "Counts per group; CSV with ?format=csv.",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/TipStats"}},
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "With ?format=csv: the same columns, a header row first.",
                    }
                },
            },
        }
    }
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
    png = stats.render_tips_chart(
        rows, date_from=query.get("date_from"), date_to=query.get("date_to"), locale=user.locale
    )
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
