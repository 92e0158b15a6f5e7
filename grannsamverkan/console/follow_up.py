"""The Lokala BRÅ follow-up of the citizen promise (police, municipality staff, Lokala BRÅ
members and admins): a printable page per period and its CSV, from
``services/follow_up.py``, the service behind GET /api/v1/stats/follow-up. The console
counts nothing itself; it lays the numbers out and hides small counts (shown_count).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from grannsamverkan.api.stats import statistics_scope
from grannsamverkan.console import labels
from grannsamverkan.console.charts import PALETTE, BarChart, stacked_bar_chart
from grannsamverkan.console.errors import error_page
from grannsamverkan.console.stats import Choice, municipality_choices, statistician
from grannsamverkan.console.stats_tables import days_label, place_label
from grannsamverkan.errors import Invalid
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import follow_up, follow_up_export, follow_up_periods, stats
from grannsamverkan.services.follow_up import PRIORITIES, FollowUp, shown_count
from grannsamverkan.services.local_time import LOCAL_TIME

bp = Blueprint("follow_up", __name__)

PRIORITY_LABELS = {
    "traffic": _l("Traffic (speeding, mopeds, A-traktor)"),
    "burglary": _l("Burglary and Grannsamverkan"),
    "alcohol_narcotics": _l("Alcohol and narcotics"),
    "close_relationships": _l("Violence in close relationships (to police only)"),
    "general_safety": _l("General safety (unsafe places, vandalism)"),
}
# Longer periods are charted per quarter, so that the bars keep room for their labels.
MONTHLY_CHART_UP_TO = 24
QUARTERS_OFFERED = 8


def asked_period(name: str) -> follow_up_periods.Period | None:
    """The period named in the query (cut at today), this year so far when none is named,
    or None when the name is no period."""
    today = _today()
    if not name:
        return follow_up_periods.default_period(today)
    try:
        return follow_up_periods.parse_period(name).cut_at(today)
    except Invalid:
        return None


def bad_period_page() -> Any:
    return error_page(
        400, _("Choose a quarter (2025-Q3), a year (2025) or years (2022-2025) from the list")
    )


YEARS_OFFERED = 5


@dataclass(frozen=True)
class Selection:
    period: follow_up_periods.Period
    municipality_code: str | None
    codes: list[str] | None

    @property
    def args(self) -> dict[str, str]:
        args = {"period": self.period.name}
        if self.municipality_code:
            args["municipality_code"] = self.municipality_code
        return args


def _today() -> date:
    return utcnow().astimezone(LOCAL_TIME).date()


def _selection() -> Selection | None:
    """The period and municipality asked for; None when the period is no period."""
    user = statistician()
    period = asked_period(request.args.get("period", "").strip())
    if period is None:
        return None
    code = request.args.get("municipality_code", "").strip() or None
    return Selection(period, code, statistics_scope(user, code))


def _report(selection: Selection) -> FollowUp:
    return follow_up.follow_up(
        period=selection.period,
        municipality_codes=selection.codes,
        households=current_app.config["GSV_MUNICIPALITY_HOUSEHOLDS"],
    )


@bp.get("/follow-up")
def report() -> Any:
    """The period's follow-up for print: counts only, small counts hidden."""
    selection = _selection()
    if selection is None:
        return bad_period_page()
    result = _report(selection)
    buckets = _buckets(result)
    return render_template(
        "console/follow_up/report.html",
        categories=_category_table(result, buckets),
        report=result,
        selection=selection,
        place=place_label(selection.municipality_code, selection.codes),
        period_label=period_label(result.period),
        previous_label=period_label(result.previous),
        priorities=[(key, PRIORITY_LABELS[key], result.priorities[key]) for key, _c in PRIORITIES],
        chart=_priority_chart(result, buckets),
        kinds=[(labels.label(labels.TRAFFIC_KIND, k), c) for k, c in result.traffic_kinds.items()],
        times=[(_time_label(k), n) for k, n in result.traffic_times.items()],
        periods=period_choices(selection.period.name),
        municipalities=municipality_choices(statistician(), selection.municipality_code),
        shown=shown_count,
        smallest=follow_up.SMALLEST_SHOWN,
        printed_at=utcnow(),
    )


@bp.get("/follow-up.csv")
def report_csv() -> Any:
    """The same numbers as rows: the API's CSV, byte for byte."""
    selection = _selection()
    if selection is None:
        return bad_period_page()
    result = _report(selection)
    rows = follow_up_export.report_rows(result)
    return Response(
        stats.rows_to_csv(rows, follow_up_export.COLUMNS),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="lokala-bra-{result.period.name}.csv"'
        },
    )


def period_label(period: follow_up_periods.Period) -> str:
    return days_label(period.first, period.last)


def _time_label(key: str) -> str:
    return labels.label(labels.TIME_OF_DAY, key) if key else _("Not given")


def period_choices(chosen: str) -> list[Choice]:
    """The promise period, the last few years and quarters (the chosen one too, if older)."""
    today = _today()
    names = [follow_up_periods.PROMISE_PERIOD]
    names += [str(today.year - back) for back in range(YEARS_OFFERED)]
    quarter = (today.month - 1) // 3 + 1
    for back in range(QUARTERS_OFFERED):
        index = today.year * 4 + quarter - 1 - back
        names.append(f"{index // 4}-Q{index % 4 + 1}")
    if chosen not in names:
        names.append(chosen)
    return [Choice(name, _period_name(name), name == chosen) for name in names]


def _period_name(name: str) -> str:
    """ "2025-Q3" → "2025, quarter 3"; years and spans as they are."""
    year, _dash, quarter = name.partition("-Q")
    return _("%(year)s, quarter %(quarter)s", year=year, quarter=quarter) if quarter else name


def _buckets(result: FollowUp) -> dict[str, list[str]]:
    """The chart's and table's columns: each month, or each quarter in long periods, with
    the months it holds."""
    months = stats.month_range(
        result.period.first.strftime("%Y-%m"), result.period.last.strftime("%Y-%m")
    )
    by_quarter = len(months) > MONTHLY_CHART_UP_TO
    buckets: dict[str, list[str]] = {}
    for month in months:
        buckets.setdefault(_quarter_of(month) if by_quarter else month, []).append(month)
    return buckets


@dataclass(frozen=True)
class CategoryTable:
    columns: list[str]
    rows: list[tuple[str, list[int], int]]


def _category_table(result: FollowUp, buckets: dict[str, list[str]]) -> CategoryTable:
    """Tips per category (those with any) and month or quarter."""
    counts = follow_up.month_counts(result)
    rows = []
    for _key, categories in PRIORITIES:
        for category in categories:
            cells = [sum(counts.get((category, m), 0) for m in ms) for ms in buckets.values()]
            if any(cells):
                rows.append((labels.category(category), cells, sum(cells)))
    columns = [" ".join(_axis(bucket, True)) for bucket in buckets]
    return CategoryTable(columns, rows)


def _priority_chart(result: FollowUp, buckets: dict[str, list[str]]) -> BarChart:
    """Tips per month (per quarter in long periods), stacked by priority; counts under the
    smallest shown are left out."""
    by_quarter = any("-Q" in bucket for bucket in buckets)
    counts = follow_up.month_counts(result)
    series = []
    for key, categories in PRIORITIES:
        if not categories:
            continue
        values = [
            sum(counts.get((c, month), 0) for c in categories for month in bucket)
            for bucket in buckets.values()
        ]
        shown_values = [v if v >= follow_up.SMALLEST_SHOWN else 0 for v in values]
        series.append((key, str(PRIORITY_LABELS[key]), shown_values))
    colours = {key: PALETTE[index] for index, (key, _c) in enumerate(PRIORITIES)}
    return stacked_bar_chart(
        title=_("Tips per quarter, by priority of the citizen promise")
        if by_quarter
        else _("Tips per month, by priority of the citizen promise"),
        summary=_(
            "Tips from %(period)s. Counts under %(smallest)s are left out of the chart; the "
            "numbers are in the tables.",
            period=period_label(result.period),
            smallest=follow_up.SMALLEST_SHOWN,
        ),
        groups=[(bucket, _axis(bucket, index == 0)) for index, bucket in enumerate(buckets)],
        series=series,
        colours=colours,
    )


def _quarter_of(month: str) -> str:
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def _axis(bucket: str, first: bool) -> list[str]:
    """A bar's label: the month (its year under January and the first bar), or "Q1" over
    its year."""
    year, _dash, quarter = bucket.partition("-Q")
    if quarter:
        return [f"Q{quarter}", year] if quarter == "1" or first else [f"Q{quarter}"]
    year, number = bucket[:4], int(bucket[5:7])
    short = format_date(date(int(year), number, 1), "LLL")
    return [short, year] if number == 1 or first else [short]
