"""Follow-up statistics, checked against a small data set whose numbers are known by hand.

Vimmerby (0884) has three areas: Storgatan (A) and Sevedegatan (B) with 12 tips between
them over three categories and three months, and Näs with nothing. Hultsfred (0860) has one
area with one tip; police of Mönsterås (0861) serve neither.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Delivery, Membership, Tip
from tests.conftest import problem_of

HOME = "0884"
NEIGHBOUR = "0860"
ELSEWHERE = "0861"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@dataclass
class World:
    a: int  # Storgatan
    b: int  # Sevedegatan
    nas: int  # Näs: no members, no tips
    c: int  # Hultsfred
    police: Any
    admin: Any
    police_elsewhere: Any
    resident: Any


# (area, category, created_at) - months are local (Europe/Stockholm) time.
TIPS = (
    ("a", "burglary", utc(2026, 9, 10, 12)),
    ("a", "burglary", utc(2026, 9, 20, 12)),
    ("a", "vandalism", utc(2026, 9, 25, 12)),
    ("b", "traffic", utc(2026, 9, 5, 12)),
    ("a", "burglary", utc(2026, 10, 3, 12)),
    ("b", "burglary", utc(2026, 10, 12, 12)),
    ("b", "vandalism", utc(2026, 10, 18, 12)),
    # 23:30 UTC on 31 October is 00:30 on 1 November in Sweden: a November tip.
    ("b", "vandalism", utc(2026, 10, 31, 23, 30)),
    ("a", "traffic", utc(2026, 11, 2, 12)),
    ("a", "traffic", utc(2026, 11, 14, 12)),
    ("b", "burglary", utc(2026, 11, 20, 12)),
    ("a", "vandalism", utc(2026, 11, 28, 12)),
    ("c", "burglary", utc(2026, 10, 10, 12)),
)


@pytest.fixture
def world(app: Flask, make_user: Any, make_area: Any) -> World:
    a = make_area(name="Storgatan")
    b = make_area(name="Sevedegatan", center=(57.669, 15.861))
    nas = make_area(name="Näs", center=(57.6745, 15.8425))
    c = make_area(name="Hultsfred centrum", municipality_code=NEIGHBOUR, center=(57.488, 15.84))
    areas = {"a": a.id, "b": b.id, "c": c.id}
    people = [make_user() for _ in range(6)]
    w = World(
        a=a.id,
        b=b.id,
        nas=nas.id,
        c=c.id,
        police=make_user(role="police", municipality_codes=[HOME]),
        admin=make_user(role="admin"),
        police_elsewhere=make_user(role="police", municipality_codes=[ELSEWHERE]),
        resident=people[0],
    )
    with app.app_context():
        # A: 3 active, 1 pending, 1 removed; B: 2 active; C: 1 active.
        for user, area, status in (
            (people[0], a, "active"),
            (people[1], a, "active"),
            (people[2], a, "active"),
            (people[3], a, "pending"),
            (people[4], a, "removed"),
            (people[3], b, "active"),
            (people[4], b, "active"),
            (people[5], c, "active"),
        ):
            db.session.add(Membership(area_id=area.id, user_id=user.id, status=status))
        tips = []
        for area, category, created_at in TIPS:
            tip = Tip(
                area_id=areas[area],
                category=category,
                description="Something happened.",
                lat=57.6663,
                lon=15.8557,
                created_at=created_at,
            )
            db.session.add(tip)
            tips.append(tip)
        db.session.flush()

        def alert(tip: Tip, deliveries: tuple[str, ...], reads: tuple[bool, ...]) -> None:
            row = Alert(
                kind="tip", tip_id=tip.id, title="Tips", body="...", created_at=tip.created_at
            )
            db.session.add(row)
            db.session.flush()
            for state in deliveries:
                db.session.add(Delivery(alert_id=row.id, platform="android", state=state))
            for person, read in zip(people, reads, strict=False):
                read_at = tip.created_at if read else None
                db.session.add(AlertRecipient(alert_id=row.id, user_id=person.id, read_at=read_at))

        # A: two alerts; deliveries sent 3, pending 1, failed 1, unregistered 1; 8 recipients,
        # 4 read. B: one alert; sent 3, failed 1; 4 recipients, 1 read. C: one alert.
        alert(tips[0], ("sent", "sent", "failed", "unregistered"), (True, True, True, False))
        alert(tips[4], ("sent", "pending"), (True, False, False, False))
        alert(tips[5], ("sent", "sent", "sent", "failed"), (False, True, False, False))
        alert(tips[12], ("sent",), (True,))
        db.session.commit()
    return w


def get(client: Any, actor: Any, path: str) -> Any:
    return client.get(f"/api/v1{path}", headers=actor.headers)


def rows(client: Any, actor: Any, query: str) -> list[dict[str, Any]]:
    response = get(client, actor, f"/stats/tips?{query}")
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["rows"]


# --- /stats/tips ---------------------------------------------------------------------------


def test_by_category_is_the_default(client: Any, world: World) -> None:
    expected = [
        {"category": "burglary", "count": 5},
        {"category": "traffic", "count": 3},
        {"category": "vandalism", "count": 4},
    ]
    assert rows(client, world.police, "") == expected
    assert rows(client, world.police, "group_by=category") == expected
    assert rows(client, world.police, f"municipality_code={HOME}") == expected


def test_by_category_and_month(client: Any, world: World) -> None:
    assert rows(client, world.police, "group_by=category,month") == [
        {"category": "burglary", "month": "2026-09", "count": 2},
        {"category": "burglary", "month": "2026-10", "count": 2},
        {"category": "burglary", "month": "2026-11", "count": 1},
        {"category": "traffic", "month": "2026-09", "count": 1},
        {"category": "traffic", "month": "2026-11", "count": 2},
        {"category": "vandalism", "month": "2026-09", "count": 1},
        {"category": "vandalism", "month": "2026-10", "count": 1},
        {"category": "vandalism", "month": "2026-11", "count": 2},
    ]
    # The order named in ?group_by= does not change the columns or their order.
    assert rows(client, world.police, "group_by=month,category") == rows(
        client, world.police, "group_by=category,month"
    )


def test_by_month(client: Any, world: World) -> None:
    assert rows(client, world.police, "group_by=month") == [
        {"month": "2026-09", "count": 4},
        {"month": "2026-10", "count": 3},
        {"month": "2026-11", "count": 5},
    ]


def test_by_area(client: Any, world: World) -> None:
    assert rows(client, world.police, "group_by=area") == sorted(
        [{"area_id": world.a, "count": 7}, {"area_id": world.b, "count": 5}],
        key=lambda row: row["area_id"],
    )
    assert rows(client, world.police, "group_by=area,category") == sorted(
        [
            {"category": "burglary", "area_id": world.a, "count": 3},
            {"category": "burglary", "area_id": world.b, "count": 2},
            {"category": "traffic", "area_id": world.a, "count": 2},
            {"category": "traffic", "area_id": world.b, "count": 1},
            {"category": "vandalism", "area_id": world.a, "count": 2},
            {"category": "vandalism", "area_id": world.b, "count": 2},
        ],
        key=lambda row: (row["category"], row["area_id"]),
    )


def test_date_range_is_local_days_both_included(client: Any, world: World) -> None:
    october = rows(client, world.police, "from=2026-10-01&to=2026-10-31")
    # The tip at 23:30 UTC on 31 October is a November tip in Sweden.
    assert october == [{"category": "burglary", "count": 2}, {"category": "vandalism", "count": 1}]
    november = rows(client, world.police, "from=2026-11-01&to=2026-11-30&group_by=category")
    assert november == [
        {"category": "burglary", "count": 1},
        {"category": "traffic", "count": 2},
        {"category": "vandalism", "count": 2},
    ]
    # One day: 20 September, whole.
    assert rows(client, world.police, "from=2026-09-20&to=2026-09-20") == [
        {"category": "burglary", "count": 1}
    ]
    assert rows(client, world.police, "from=2026-11-15") == [
        {"category": "burglary", "count": 1},
        {"category": "vandalism", "count": 1},
    ]
    assert rows(client, world.police, "to=2026-09-30&group_by=month") == [
        {"month": "2026-09", "count": 4}
    ]
    assert rows(client, world.police, "from=2027-01-01") == []


def test_csv_matches_json(client: Any, world: World) -> None:
    for group_by in ("category", "category,month", "area", "area,month,category"):
        response = get(client, world.police, f"/stats/tips?group_by={group_by}&format=csv")
        assert response.status_code == 200
        assert response.mimetype == "text/csv"
        reader = csv.DictReader(io.StringIO(response.get_data(as_text=True)))
        parsed = [
            {k: int(v) if k in ("area_id", "count") else v for k, v in row.items()}
            for row in reader
        ]
        json_rows = rows(client, world.police, f"group_by={group_by}")
        assert parsed == json_rows
        assert reader.fieldnames == list(json_rows[0])


def test_csv_of_nothing_has_its_header(client: Any, world: World) -> None:
    response = get(
        client, world.police, "/stats/tips?group_by=area,month&format=csv&from=2030-01-01"
    )
    assert response.status_code == 200
    assert response.get_data(as_text=True).splitlines() == ["area_id,month,count"]


def test_admin_sees_every_municipality(client: Any, world: World) -> None:
    assert rows(client, world.admin, "") == [
        {"category": "burglary", "count": 6},
        {"category": "traffic", "count": 3},
        {"category": "vandalism", "count": 4},
    ]
    assert rows(client, world.admin, f"municipality_code={NEIGHBOUR}&group_by=area,month") == [
        {"area_id": world.c, "month": "2026-10", "count": 1}
    ]


def test_police_elsewhere_sees_none_of_vimmerby(client: Any, world: World) -> None:
    for path in ("/stats/tips", "/stats/areas", "/stats/tips.png"):
        problem_of(get(client, world.police_elsewhere, f"{path}?municipality_code={HOME}"), 403)
        problem_of(get(client, world.police, f"{path}?municipality_code={NEIGHBOUR}"), 403)
    assert rows(client, world.police_elsewhere, "") == []
    assert rows(client, world.police_elsewhere, "group_by=area,month,category") == []
    response = get(client, world.police_elsewhere, "/stats/areas")
    assert response.get_json() == {"rows": []}


@pytest.mark.parametrize("path", ["/stats/tips", "/stats/areas", "/stats/tips.png"])
def test_only_police_and_admins(client: Any, world: World, path: str) -> None:
    problem_of(client.get(f"/api/v1{path}"), 401)
    problem_of(get(client, world.resident, path), 403)
    problem_of(get(client, world.resident, f"{path}?municipality_code={HOME}"), 403)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("group_by=street", "group_by"),
        ("group_by=category,category", "group_by"),
        ("group_by=", "group_by"),
        ("format=xml", "format"),
        ("from=2026-13-01", "from"),
        ("from=yesterday", "from"),
        ("from=2026-11-02&to=2026-11-01", "to"),
        ("municipality_code=88", "municipality_code"),
    ],
)
def test_bad_queries_are_422(client: Any, world: World, query: str, field: str) -> None:
    response = get(client, world.police, f"/stats/tips?{query}")
    assert field in problem_of(response, 422)["errors"]


# --- /stats/areas --------------------------------------------------------------------------


def _no_deliveries() -> dict[str, int]:
    return {"pending": 0, "sent": 0, "failed": 0, "unregistered": 0}


def test_area_stats(client: Any, world: World) -> None:
    response = get(client, world.police, "/stats/areas")
    assert response.status_code == 200
    assert response.get_json()["rows"] == [
        {
            "area_id": world.nas,
            "name": "Näs",
            "municipality_code": HOME,
            "households": 0,
            "pending": 0,
            "alerts_sent": 0,
            "deliveries": _no_deliveries(),
            "delivery_rate": None,
            "recipients": 0,
            "read_rate": None,
        },
        {
            "area_id": world.b,
            "name": "Sevedegatan",
            "municipality_code": HOME,
            "households": 2,
            "pending": 0,
            "alerts_sent": 1,
            "deliveries": {"pending": 0, "sent": 3, "failed": 1, "unregistered": 0},
            "delivery_rate": 0.75,
            "recipients": 4,
            "read_rate": 0.25,
        },
        {
            "area_id": world.a,
            "name": "Storgatan",
            "municipality_code": HOME,
            "households": 3,
            "pending": 1,
            "alerts_sent": 2,
            "deliveries": {"pending": 1, "sent": 3, "failed": 1, "unregistered": 1},
            "delivery_rate": 0.5,
            "recipients": 8,
            "read_rate": 0.5,
        },
    ]


def test_area_stats_for_a_period(client: Any, world: World) -> None:
    response = get(client, world.police, "/stats/areas?from=2026-10-01&to=2026-10-05")
    by_id = {row["area_id"]: row for row in response.get_json()["rows"]}
    storgatan = by_id[world.a]
    assert storgatan["households"] == 3  # as now, whatever the period
    assert storgatan["alerts_sent"] == 1
    assert storgatan["deliveries"] == {"pending": 1, "sent": 1, "failed": 0, "unregistered": 0}
    assert storgatan["delivery_rate"] == 0.5
    assert (storgatan["recipients"], storgatan["read_rate"]) == (4, 0.25)
    assert by_id[world.b]["alerts_sent"] == 0
    assert by_id[world.b]["read_rate"] is None


def test_admin_area_stats_cover_every_municipality(client: Any, world: World) -> None:
    rows_ = get(client, world.admin, "/stats/areas").get_json()["rows"]
    assert [row["municipality_code"] for row in rows_] == [NEIGHBOUR, HOME, HOME, HOME]
    hultsfred = rows_[0]
    assert hultsfred["households"] == 1
    assert hultsfred["deliveries"]["sent"] == 1
    assert hultsfred["delivery_rate"] == 1.0
    assert hultsfred["read_rate"] == 1.0
    only = get(client, world.admin, f"/stats/areas?municipality_code={NEIGHBOUR}")
    assert [row["area_id"] for row in only.get_json()["rows"]] == [world.c]


# --- /stats/tips.png -----------------------------------------------------------------------


def _check_png(response: Any) -> Any:
    from PIL import Image

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "image/png"
    data = response.get_data()
    assert data.startswith(PNG_SIGNATURE)
    with Image.open(io.BytesIO(data)) as image:
        image.verify()
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        assert image.format == "PNG"
    assert 600 <= width <= 3000
    assert 300 <= height <= 2000
    return data


def test_chart_is_a_real_png(client: Any, world: World) -> None:
    import matplotlib.image

    data = _check_png(get(client, world.police, "/stats/tips.png"))
    pixels = matplotlib.image.imread(io.BytesIO(data), format="png")
    assert pixels.ndim == 3
    assert pixels.shape[0] >= 300
    assert pixels.shape[1] >= 600
    # Not a blank canvas: the bars are drawn in more than one colour.
    assert len({tuple(p) for p in pixels.reshape(-1, pixels.shape[2])[::97]}) > 3


def test_chart_over_a_range_and_when_empty(client: Any, world: World) -> None:
    _check_png(get(client, world.police, "/stats/tips.png?from=2026-08-01&to=2026-12-31"))
    _check_png(get(client, world.police_elsewhere, "/stats/tips.png"))
    _check_png(get(client, world.admin, "/stats/tips.png?from=2030-01-01&to=2030-03-31"))
    problem_of(get(client, world.police, "/stats/tips.png?from=2026-12-01&to=2026-11-01"), 422)
