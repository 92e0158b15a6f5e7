"""Tips counted by Swedish month at the edges of UTC months, and the SQLite counts reading
the tips' index alone (the statistics page's cost: bench/console_pages.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from grannsamverkan.extensions import db
from grannsamverkan.models import Tip
from grannsamverkan.services import stats
from tests.conftest import only_on

# (UTC time, the Swedish month it belongs to): the last hours of UTC months, winter (UTC+1)
# and summer (UTC+2) time, the SQLite hour window's edges (22:00 on the 28th on) and a year.
EDGES = (
    (datetime(2027, 2, 28, 22, 30, tzinfo=UTC), "2027-02"),  # 23:30 on 28 February
    (datetime(2027, 2, 28, 23, 30, tzinfo=UTC), "2027-03"),  # 00:30 on 1 March
    (datetime(2026, 8, 30, 22, 30, tzinfo=UTC), "2026-08"),  # 00:30 on 31 August
    (datetime(2026, 8, 31, 21, 59, tzinfo=UTC), "2026-08"),  # 23:59 on 31 August
    (datetime(2026, 8, 31, 22, 0, tzinfo=UTC), "2026-09"),  # midnight: 1 September
    (datetime(2026, 10, 28, 23, 59, tzinfo=UTC), "2026-10"),  # 00:59 on 29 October
    (datetime(2026, 10, 27, 21, 0, tzinfo=UTC), "2026-10"),
    (datetime(2026, 12, 31, 23, 0, tzinfo=UTC), "2027-01"),  # New Year's midnight
    (datetime(2026, 12, 31, 22, 59, tzinfo=UTC), "2026-12"),
)


@pytest.fixture
def edge_tips(app: Flask, make_area: Any) -> int:
    area = make_area()
    with app.app_context():
        for created_at, _month in EDGES:
            db.session.add(
                Tip(
                    area_id=area.id,
                    category="burglary",
                    description="x",
                    lat=57.6663,
                    lon=15.8557,
                    created_at=created_at,
                )
            )
        db.session.commit()
    return area.id


def test_months_are_swedish_at_the_edges(app: Flask, edge_tips: int) -> None:
    expected: dict[str, int] = {}
    for _at, month in EDGES:
        expected[month] = expected.get(month, 0) + 1
    with app.app_context():
        for group_by in (("month",), ("category", "area", "month")):
            counted = stats.count_tips(municipality_codes=["0884"], group_by=group_by)
            assert {row["month"]: row["count"] for row in counted} == expected
        # A period of local days: 1 September to 31 December holds neither edge's far side.
        autumn = stats.count_tips(
            municipality_codes=["0884"],
            group_by=("month",),
            date_from=date(2026, 9, 1),
            date_to=date(2026, 12, 31),
        )
    assert autumn == [
        {"month": "2026-09", "count": 1},
        {"month": "2026-10", "count": 2},
        {"month": "2026-12", "count": 1},
    ]


@only_on("sqlite")  # the query plan checked is SQLite's
def test_sqlite_counts_read_the_index_alone(app: Flask, edge_tips: int) -> None:
    """Every count the statistics page asks for finds its tips by area and time in an index
    that also holds the category and the status: no row of the table is read."""
    executed: list[tuple[str, Any]] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            executed.append((statement, parameters))

    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            for group_by in (("category", "month"), ("area", "month"), ("category", "area")):
                stats.count_tips(
                    municipality_codes=["0884"],
                    group_by=group_by,
                    date_from=date(2026, 1, 1),
                    date_to=date(2026, 12, 31),
                )
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
        for statement, parameters in executed:
            plan = db.session.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement}", parameters
            )
            details = " | ".join(str(row[-1]) for row in plan)
            assert "COVERING INDEX ix_tips_area_created_category" in details, details
    assert len(executed) == 3
