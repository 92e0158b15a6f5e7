"""Follow-up statistics for police and Lokala BRÅ: counts only, never names.

Dates and months are Swedish local time (Europe/Stockholm): a tip at 23:30 UTC on
31 October counts for November. Swedish time is UTC+1 or UTC+2, so only a tip in the last two
hours of a UTC month can belong to the next local month: the database groups every other tip
by its UTC month, and those few by their UTC hour (a dialect-specific expression), which
Python maps to the local month with the time-zone database. So a year of tips comes back as
one row per month and group, not one per hour.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any, TypeVarTuple

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, select
from sqlalchemy.orm import InstrumentedAttribute

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Area, Delivery, Membership, Tip
from grannsamverkan.models.delivery import DELIVERY_STATES
from grannsamverkan.services.local_time import local_day_start, local_month
from grannsamverkan.texts import category_label

# What ?group_by= may name, and the column each one adds to a row (in this order).
GROUP_COLUMNS = {"category": "category", "area": "area_id", "month": "month"}


def columns_for(group_by: Sequence[str]) -> list[str]:
    """The row's columns for these groupings, in a fixed order, then ``count``."""
    return [column for key, column in GROUP_COLUMNS.items() if key in group_by] + ["count"]


def _areas_in_scope(codes: list[str] | None) -> Select[int]:
    query = select(Area.id)
    if codes is not None:
        query = query.where(Area.municipality_code.in_(codes))
    return query


HOUR_FORMAT = "%Y-%m-%d %H"
MONTH_KEY_LENGTH = len("2026-11")


def _month_or_hour(column: Any) -> ColumnElement[Any]:
    """``column``'s UTC month as 'YYYY-MM', or its UTC hour 'YYYY-MM-DD HH' when it lies in
    the last two hours of the month (on SQLite: at 22 or 23 o'clock on the 28th or later),
    or the raw value where the dialect is unknown."""
    dialect = db.session.get_bind().dialect.name
    # Literal (not bound) format strings, so that PostgreSQL sees the SELECT and GROUP BY
    # expressions as the same expression.
    if dialect == "sqlite":
        # SQLite keeps the time as text, 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC): cutting it up is
        # several times cheaper than strftime (bench/console_pages.py). The hour is kept for
        # a few more hours than the month's last two; Python maps every hour key alike.
        month = func.substr(column, 1, 7)
        day, hour_of_day = func.substr(column, 9, 2), func.substr(column, 12, 2)
        hour = func.substr(column, 1, 13)
        return case(
            (and_(day >= literal_column("'28'"), hour_of_day >= literal_column("'22'")), hour),
            else_=month,
        )
    if dialect == "postgresql":
        utc = func.timezone(literal_column("'UTC'"), column)
        month = func.to_char(utc, literal_column("'YYYY-MM'"))
        two_hours_on = utc + literal_column("interval '2 hours'")
        later = func.to_char(two_hours_on, literal_column("'YYYY-MM'"))
        hour = func.to_char(utc, literal_column("'YYYY-MM-DD HH24'"))
        return case((month == later, month), else_=hour)
    return column


def _local_month_of(key: Any) -> str:
    """The local month of a _month_or_hour value (or of a raw datetime)."""
    if isinstance(key, datetime):
        return local_month(key if key.tzinfo else key.replace(tzinfo=UTC))
    if len(key) == MONTH_KEY_LENGTH:
        return str(key)
    return _local_month_of_hour(key)


@lru_cache(maxsize=4096)
def _local_month_of_hour(key: str) -> str:
    """The local month of a UTC hour 'YYYY-MM-DD HH' (the same hours recur in every count)."""
    return local_month(datetime.strptime(key, HOUR_FORMAT).replace(tzinfo=UTC))


def count_tips(
    *,
    municipality_codes: list[str] | None,
    group_by: Sequence[str] = ("category",),
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """Tips counted per category, area and/or local month, sorted by those columns; rejected
    tips (moderation, police triage) are not counted."""
    selected: list[ColumnElement[Any] | InstrumentedAttribute[Any]] = []
    if "category" in group_by:
        selected.append(Tip.category)
    if "area" in group_by:
        selected.append(Tip.area_id)
    if "month" in group_by:
        selected.append(_month_or_hour(Tip.created_at))
    # A tip its contact persons rejected was not a tip: it is not counted.
    query = (
        select(*selected, func.count(Tip.id)).where(Tip.status != "rejected").group_by(*selected)
    )
    if municipality_codes is not None:
        query = query.where(Tip.area_id.in_(_areas_in_scope(municipality_codes)))
    if date_from is not None:
        query = query.where(Tip.created_at >= local_day_start(date_from))
    if date_to is not None:
        query = query.where(Tip.created_at < local_day_start(date_to + timedelta(days=1)))

    counts: dict[tuple[Any, ...], int] = defaultdict(int)
    for *keys, count in db.session.execute(query):
        if "month" in group_by:
            keys[-1] = _local_month_of(keys[-1])
        counts[tuple(keys)] += count
    columns = columns_for(group_by)[:-1]
    return [
        {**dict(zip(columns, keys, strict=True)), "count": counts[keys]} for keys in sorted(counts)
    ]


def rows_to_csv(rows: Iterable[dict[str, Any]], columns: Sequence[str]) -> str:
    """The rows as CSV (RFC 4180) with a header row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([row[column] for column in columns])
    return out.getvalue()


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def area_stats(
    *,
    municipality_codes: list[str] | None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> list[dict[str, Any]]:
    """Per area in scope: households, pending requests, alerts, deliveries, read rate.

    Households are counted as they are now; alerts, deliveries and reads by the alerts
    created in the date range (all when no range is given).
    """
    in_scope = _areas_in_scope(municipality_codes)
    tip_alerts = _TipAlerts(in_scope, date_from, date_to)
    areas = db.session.execute(
        select(Area.id, Area.name, Area.municipality_code)
        .where(Area.id.in_(in_scope))
        .order_by(Area.municipality_code, Area.name, Area.id)
    ).all()
    members = _member_counts(in_scope)
    alerts = _alert_counts(tip_alerts)
    deliveries = _delivery_counts(tip_alerts)
    recipients = _recipient_counts(tip_alerts)
    rows = []
    for area_id, name, municipality_code in areas:
        by_state = {state: deliveries.get((area_id, state), 0) for state in DELIVERY_STATES}
        total_recipients, read = recipients.get(area_id, (0, 0))
        rows.append(
            {
                "area_id": area_id,
                "name": name,
                "municipality_code": municipality_code,
                "households": members.get((area_id, "active"), 0),
                "pending": members.get((area_id, "pending"), 0),
                "alerts_sent": alerts.get(area_id, 0),
                "deliveries": by_state,
                "delivery_rate": _rate(by_state["sent"], sum(by_state.values())),
                "recipients": total_recipients,
                "read_rate": _rate(read, total_recipients),
            }
        )
    return rows


def area_households(*, municipality_codes: list[str] | None) -> list[dict[str, Any]]:
    """Per area in scope, as they are now: active households and pending join requests.

    What the console's statistics show of ``area_stats`` (one grouped query instead of its
    four: the alert, delivery and read counts are the API's alone).
    """
    counted = (
        select(
            Area.id,
            Area.name,
            Area.municipality_code,
            func.count(case((Membership.status == "active", Membership.id))),
            func.count(case((Membership.status == "pending", Membership.id))),
        )
        .outerjoin(Membership, Membership.area_id == Area.id)
        .group_by(Area.id, Area.name, Area.municipality_code)
        .order_by(Area.municipality_code, Area.name, Area.id)
    )
    if municipality_codes is not None:
        counted = counted.where(Area.municipality_code.in_(municipality_codes))
    return [
        {
            "area_id": area_id,
            "name": name,
            "municipality_code": code,
            "households": households,
            "pending": pending,
        }
        for area_id, name, code, households, pending in db.session.execute(counted)
    ]


Columns = TypeVarTuple("Columns")


@dataclass(frozen=True)
class _TipAlerts:
    """Restricts a query to the alerts of tips in the areas in scope, made in the range."""

    in_scope: Select[int]
    date_from: date | None
    date_to: date | None

    def __call__(self, query: Select[*Columns]) -> Select[*Columns]:
        query = query.join(Alert, Alert.tip_id == Tip.id).where(Tip.area_id.in_(self.in_scope))
        if self.date_from is not None:
            query = query.where(Alert.created_at >= local_day_start(self.date_from))
        if self.date_to is not None:
            next_day = local_day_start(self.date_to + timedelta(days=1))
            query = query.where(Alert.created_at < next_day)
        return query


def _member_counts(in_scope: Select[int]) -> dict[tuple[int, str], int]:
    """(area id, membership status) → count."""
    return {
        (area_id, status): count
        for area_id, status, count in db.session.execute(
            select(Membership.area_id, Membership.status, func.count(Membership.id))
            .where(Membership.area_id.in_(in_scope))
            .group_by(Membership.area_id, Membership.status)
        )
    }


def _alert_counts(tip_alerts: _TipAlerts) -> dict[int, int]:
    """Area id → alerts sent."""
    query = tip_alerts(select(Tip.area_id, func.count(Alert.id))).group_by(Tip.area_id)
    return {area_id: count for area_id, count in db.session.execute(query)}


def _delivery_counts(tip_alerts: _TipAlerts) -> dict[tuple[int, str], int]:
    """(area id, delivery state) → count."""
    query = (
        tip_alerts(select(Tip.area_id, Delivery.state, func.count(Delivery.id)))
        .join(Delivery, Delivery.alert_id == Alert.id)
        .group_by(Tip.area_id, Delivery.state)
    )
    return {(area_id, state): count for area_id, state, count in db.session.execute(query)}


def _recipient_counts(tip_alerts: _TipAlerts) -> dict[int, tuple[int, int]]:
    """Area id → (recipients, of whom read)."""
    counted = select(Tip.area_id, func.count(AlertRecipient.id), func.count(AlertRecipient.read_at))
    query = (
        tip_alerts(counted)
        .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
        .group_by(Tip.area_id)
    )
    return {area_id: (total, read) for area_id, total, read in db.session.execute(query)}


def month_range(first: str, last: str) -> list[str]:
    """Every month from ``first`` to ``last`` ("2026-09", "2026-11"), both included."""
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    months = []
    while (year, month) <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def render_tips_chart(
    rows: Sequence[dict[str, Any]],
    *,
    date_from: date | None = None,
    date_to: date | None = None,
    locale: str = "sv",
) -> bytes:
    """A PNG bar chart of tips per month, stacked by category (rows of category and month)."""
    # Imported here: only this report needs matplotlib. Figure and the Agg canvas are used
    # directly, so no pyplot state is shared between requests or threads.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    months_seen = sorted({row["month"] for row in rows})
    first = date_from.strftime("%Y-%m") if date_from else (months_seen[0] if rows else None)
    last = date_to.strftime("%Y-%m") if date_to else (months_seen[-1] if rows else None)
    months = month_range(first, last) if first and last else []
    categories = sorted({row["category"] for row in rows})
    counts = {(row["category"], row["month"]): row["count"] for row in rows}

    english = locale == "en"
    figure = Figure(figsize=(10, 5.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(months)))
    bottoms = [0] * len(months)
    for category in categories:
        heights = [counts.get((category, month), 0) for month in months]
        axes.bar(positions, heights, bottom=bottoms, label=category_label(category, locale))
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    axes.set_xticks(positions, months, rotation=45 if len(months) > 6 else 0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("Tips" if english else "Antal tips")
    axes.set_title("Tips per month and category" if english else "Tips per månad och kategori")
    if categories:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    else:
        axes.set_ylim(0, 1)
        axes.text(
            0.5,
            0.5,
            "No tips in this period" if english else "Inga tips under perioden",
            transform=axes.transAxes,
            ha="center",
            va="center",
        )
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def municipalities_with_areas() -> list[str]:
    """The municipality codes that have at least one area, in order."""
    return list(
        db.session.scalars(
            select(Area.municipality_code).distinct().order_by(Area.municipality_code)
        )
    )
