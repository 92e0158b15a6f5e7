"""The statistics page's tables and chart, from ``services/stats.py``.

The service counts: each table is one call, the same as GET /stats/tips with the table's two
groupings, and the households per area one more. This lays the rows out as cross tables and
adds the totals, the chart and labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import format_date
from flask_babel import gettext as _

from grannsamverkan.console import labels
from grannsamverkan.console.charts import PALETTE, BarChart, stacked_bar_chart
from grannsamverkan.models.tip import TIP_CATEGORIES
from grannsamverkan.services import stats

# The CSV's columns: every grouping at once (the API's ?group_by=category,area,month).
CUBE = ("category", "area", "month")
# A category keeps its colour whatever else the period holds.
CATEGORY_COLOURS = dict(zip(TIP_CATEGORIES, PALETTE, strict=False))


@dataclass(frozen=True)
class Selection:
    """The period (Swedish local days, both included) and the municipalities it covers."""

    date_from: date
    date_to: date
    municipality_code: str | None  # one chosen municipality; None = all the user serves
    codes: list[str] | None  # what the service counts: None = every municipality (admins)

    @property
    def args(self) -> dict[str, str]:
        """The selection as query arguments (the API's names), for links and the CSV."""
        args = {"from": self.date_from.isoformat(), "to": self.date_to.isoformat()}
        if self.municipality_code:
            args["municipality_code"] = self.municipality_code
        return args


@dataclass(frozen=True)
class TableRow:
    label: str
    cells: list[int]
    total: int


@dataclass(frozen=True)
class CrossTable:
    """A count per (row, column) with totals, laid out for the template; ``rows`` and
    ``columns`` are (key, label)."""

    caption: str
    corner: str
    columns: list[tuple[Any, str]]
    rows: list[tuple[Any, str]]
    counts: dict[tuple[Any, Any], int]
    body: list[TableRow]
    footer: list[int]
    total: int

    def cell(self, row: Any, column: Any) -> int:
        return self.counts.get((row, column), 0)

    def row_total(self, row: Any) -> int:
        return sum(self.cell(row, column) for column, _label in self.columns)

    def column_total(self, column: Any) -> int:
        return sum(self.cell(row, column) for row, _label in self.rows)


@dataclass(frozen=True)
class AreaCoverage:
    name: str
    municipality_code: str
    households: int
    pending: int
    tips: int


@dataclass(frozen=True)
class Statistics:
    selection: Selection
    period: str
    place: str
    total: int
    by_category_and_month: CrossTable
    by_area_and_month: CrossTable
    by_area_and_category: CrossTable
    coverage: list[AreaCoverage]
    chart: BarChart


# --- the numbers ----------------------------------------------------------------------------


def collect(selection: Selection) -> Statistics:
    """Everything the statistics page and the report show for ``selection``."""
    by_category_month = _count(selection, ("category", "month"))
    by_area_month = _count(selection, ("area", "month"))
    by_area_category = _count(selection, ("category", "area"))
    areas = stats.area_households(municipality_codes=selection.codes)
    months_axis = _months_axis(selection)
    categories_axis = _categories_axis({row["category"] for row in by_area_category})
    areas_axis = Axis("area_id", [(row["area_id"], row["name"]) for row in areas])
    by_category_and_month = _cross(
        _("Tips per category and month"), _("Category"), by_category_month,
        categories_axis, months_axis,
    )  # fmt: skip
    by_area_and_month = _cross(
        _("Tips per area and month"), _("Area"), by_area_month, areas_axis, months_axis
    )
    by_area_and_category = _cross(
        _("Tips per area and category"), _("Area"), by_area_category, areas_axis, categories_axis
    )
    tips_per_area = dict(
        zip(
            (key for key, _n in areas_axis.entries),
            (row.total for row in by_area_and_month.body),
            strict=True,
        )
    )
    coverage = [
        AreaCoverage(
            name=row["name"],
            municipality_code=row["municipality_code"],
            households=row["households"],
            pending=row["pending"],
            tips=tips_per_area.get(row["area_id"], 0),
        )
        for row in areas
    ]
    return Statistics(
        selection=selection,
        period=_period_label(selection),
        place=_place_label(selection),
        total=by_category_and_month.total,
        by_category_and_month=by_category_and_month,
        by_area_and_month=by_area_and_month,
        by_area_and_category=by_area_and_category,
        coverage=coverage,
        chart=_chart(by_category_and_month, selection),
    )


@dataclass(frozen=True)
class Axis:
    """One side of a cross table: the service's column it reads, and its (key, label)s."""

    column: str
    entries: list[tuple[Any, str]]


def _months_axis(selection: Selection) -> Axis:
    """Every month of the period, with or without tips."""
    first, last = selection.date_from.strftime("%Y-%m"), selection.date_to.strftime("%Y-%m")
    return Axis("month", [(month, _month_label(month)) for month in stats.month_range(first, last)])


def _categories_axis(seen: set[str]) -> Axis:
    """The categories with tips, in the app's order (unknown stored ones last)."""
    ordered = [c for c in (*TIP_CATEGORIES, *sorted(seen - set(TIP_CATEGORIES))) if c in seen]
    return Axis("category", [(category, labels.category(category)) for category in ordered])


def _count(selection: Selection, group_by: tuple[str, ...]) -> list[dict[str, Any]]:
    """The service's counts: what GET /stats/tips?group_by=... answers for the selection."""
    return stats.count_tips(
        municipality_codes=selection.codes,
        group_by=group_by,
        date_from=selection.date_from,
        date_to=selection.date_to,
    )


def _cross(
    caption: str, corner: str, counted: Iterable[dict[str, Any]], rows: Axis, columns: Axis
) -> CrossTable:
    """The service's rows of two groupings as a table, with the totals added up."""
    counts = {(entry[rows.column], entry[columns.column]): entry["count"] for entry in counted}
    body = []
    for key, label in rows.entries:
        cells = [counts.get((key, column), 0) for column, _label in columns.entries]
        body.append(TableRow(label, cells, sum(cells)))
    footer = [sum(row.cells[index] for row in body) for index in range(len(columns.entries))]
    return CrossTable(
        caption, corner, columns.entries, rows.entries, counts, body, footer, sum(footer)
    )


def _chart(table: CrossTable, selection: Selection) -> BarChart:
    busiest = max(table.columns, key=lambda column: table.column_total(column[0]), default=None)
    if table.total and busiest is not None:
        summary = _(
            "%(total)s tips from %(period)s; the most in %(month)s (%(count)s). "
            "The numbers are in the table below the chart.",
            total=table.total,
            period=_period_label(selection),
            month=busiest[1],
            count=table.column_total(busiest[0]),
        )
    else:
        summary = _("No tips from %(period)s.", period=_period_label(selection))
    return stacked_bar_chart(
        title=_("Tips per month, by category"),
        summary=summary,
        groups=[
            (label, _axis_label(month, first=index == 0))
            for index, (month, label) in enumerate(table.columns)
        ],
        series=[
            (category, label, [table.cell(category, month) for month, _m in table.columns])
            for category, label in table.rows
        ],
        colours={
            category: CATEGORY_COLOURS.get(category, PALETTE[-1]) for category, _l in table.rows
        },
    )


def _month_label(month: str) -> str:
    year, number = (int(part) for part in month.split("-"))
    return format_date(date(year, number, 1), "LLL yyyy")


def _axis_label(month: str, *, first: bool) -> list[str]:
    """The chart's axis label: the month, with its year under January and the first month."""
    year, number = (int(part) for part in month.split("-"))
    short = format_date(date(year, number, 1), "LLL")
    return [short, str(year)] if number == 1 or first else [short]


def _period_label(selection: Selection) -> str:
    return days_label(selection.date_from, selection.date_to)


def _place_label(selection: Selection) -> str:
    return place_label(selection.municipality_code, selection.codes)


def days_label(first: date, last: date) -> str:
    """ "1 januari 2026 till 31 mars 2026": the days a statistics page counts."""
    return _(
        "%(first)s to %(last)s",
        first=format_date(first, "d MMMM y"),
        last=format_date(last, "d MMMM y"),
    )


def place_label(municipality_code: str | None, codes: list[str] | None) -> str:
    """The municipality chosen, else those in the reader's scope (None: every one)."""
    if municipality_code:
        return labels.municipality_label(municipality_code)
    if codes is None:
        return _("every municipality")
    return labels.municipalities_label(codes)
