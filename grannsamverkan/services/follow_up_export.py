"""The Lokala BRÅ follow-up as rows (CSV and JSON): one row per number, the period's and the
period before's, small counts hidden (services/follow_up.py, shown_count)."""

from __future__ import annotations

from typing import Any

from grannsamverkan.services.follow_up import FollowUp, shown_count

COLUMNS = ("section", "item", "month", "current", "previous")


def _row(section: str, item: str, current: Any, previous: Any = None, month: str = "") -> dict:
    return {
        "section": section,
        "item": item,
        "month": month,
        "current": current if isinstance(current, str) else shown_count(current),
        "previous": previous if isinstance(previous, str) else shown_count(previous),
    }


def _minutes(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _share(households: int, report: FollowUp) -> str:
    share = report.coverage.share(households)
    return "" if share is None else f"{share:.3f}"


def report_rows(report: FollowUp) -> list[dict[str, str]]:
    """Every number of the report as (section, item, month, current, previous)."""
    rows = [
        _row("period", "days", f"{report.period.first}/{report.period.last}",
             f"{report.previous.first}/{report.previous.last}"),
    ]  # fmt: skip
    rows += [_row("priority", key, c.current, c.previous) for key, c in report.priorities.items()]
    rows += [
        _row("tips_by_month", row["category"], row["count"], month=row["month"])
        for row in report.by_category_month
    ]
    rows += [
        _row("traffic_kind", k, c.current, c.previous) for k, c in report.traffic_kinds.items()
    ]
    rows += [_row("traffic_time", k or "not_given", n) for k, n in report.traffic_times.items()]
    rows += [
        _row("traffic_hotspot", f"{spot.centre['lat']},{spot.centre['lon']}", spot.count)
        for spot in report.hotspots
    ]
    coverage = report.coverage
    rows += [
        _row("coverage", "areas", coverage.areas.current, coverage.areas.previous),
        _row("coverage", "active_households", coverage.households.current,
             coverage.households.previous),
        _row("coverage", "share_of_households", _share(coverage.households.current, report),
             _share(coverage.households.previous, report)),
    ]  # fmt: skip
    rows += [_row("broadcasts", k, c.current, c.previous) for k, c in report.broadcasts.items()]
    rows += [
        _row("training_events", "held", report.events_held.current, report.events_held.previous),
        _row("training_events", "places_taken", report.places_taken.current,
             report.places_taken.previous),
        _row("push", "median_minutes_tip_to_first_push", _minutes(report.minutes_to_push[0]),
             _minutes(report.minutes_to_push[1])),
    ]  # fmt: skip
    return rows
