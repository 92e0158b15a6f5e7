"""Traffic as the citizen promise names it (issue 15): a traffic tip's kind and time of day,
checked on the way in, and the hot spots: counts on the coarse grid, small cells left out,
as GeoJSON for police and the municipality only."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from geopy.distance import geodesic

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import cell_bounds
from grannsamverkan.models import Tip
from grannsamverkan.services.traffic import time_period
from tests.conftest import problem_of
from tests.tips.conftest import SPOT, offset

API = "/api/v1"
HULTSFRED = (57.4880, 15.8420)


# --- the tip's kind and time of day --------------------------------------------------------


@pytest.fixture
def reporter(make_user, make_area, add_member):
    area = make_area(center=SPOT)
    person = make_user(home=offset(SPOT, 30))
    add_member(person, area)
    return person


def traffic_tip(**fields: Any) -> dict[str, Any]:
    return {
        "category": "traffic",
        "description": "Bilar kör fort förbi skolan.",
        "location": {"lat": SPOT[0], "lon": SPOT[1]},
        **fields,
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (traffic_tip(), "traffic_kind"),  # required for traffic
        (traffic_tip(traffic_kind="tractor"), "traffic_kind"),
        (traffic_tip(traffic_kind="speeding", time_of_day="24:00"), "time_of_day"),
        (traffic_tip(traffic_kind="speeding", time_of_day="7:30"), "time_of_day"),
        (traffic_tip(traffic_kind="speeding", time_of_day="noon"), "time_of_day"),
        (traffic_tip(traffic_kind="speeding", time_of_day=2230), "time_of_day"),
        ({**traffic_tip(traffic_kind="moped"), "category": "burglary"}, "traffic_kind"),
        ({**traffic_tip(time_of_day="22:00"), "category": "vandalism"}, "time_of_day"),
    ],
)
def test_bad_traffic_fields_are_422_naming_the_field(client, reporter, body, field):
    problem = problem_of(client.post(f"{API}/tips", json=body, headers=reporter.headers), 422)
    assert field in problem["errors"], problem


@pytest.mark.parametrize(
    ("kind", "time_of_day"),
    [("a_traktor", "22:40"), ("moped", "evening"), ("parking", None), ("other", "00:00")],
)
def test_a_traffic_tip_keeps_its_kind_and_time(app, client, reporter, kind, time_of_day):
    fields = {"traffic_kind": kind} | ({"time_of_day": time_of_day} if time_of_day else {})
    created = client.post(f"{API}/tips", json=traffic_tip(**fields), headers=reporter.headers)
    assert created.status_code == 201, created.json
    shown = client.get(f"{API}/tips/{created.json['id']}", headers=reporter.headers).json
    assert (shown["traffic_kind"], shown["time_of_day"]) == (kind, time_of_day)
    with app.app_context():
        tip = db.session.get(Tip, created.json["id"])
        assert (tip.traffic_kind, tip.time_of_day) == (kind, time_of_day)


def test_other_tips_have_no_traffic_kind(client, reporter, post_tip):
    tip = post_tip(reporter, "vandalism")
    shown = client.get(f"{API}/tips/{tip['id']}", headers=reporter.headers).json
    assert shown["traffic_kind"] is None


@pytest.mark.parametrize(
    ("given", "period"),
    [("05:59", "night"), ("06:00", "morning"), ("09:59", "morning"), ("10:00", "day"),
     ("17:59", "day"), ("18:00", "evening"), ("23:59", "evening"), ("night", "night"),
     (None, None)],
)  # fmt: skip
def test_time_periods(given, period):
    assert time_period(given) == period


# --- hot spots -------------------------------------------------------------------------------


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def hotspot_world(app, make_user, make_area):
    """Storgatan: 4 speeding tips in one cell and 2 in another (suppressed), a rejected one
    and a police-only one in the first (not counted), a tip of last year; Hultsfred: 3."""
    storgatan = make_area(name="Storgatan", center=SPOT)
    hultsfred = make_area(name="Hultsfred", municipality_code="0860", center=HULTSFRED)
    busy = offset(SPOT, 10)
    quiet = offset(SPOT, 900, 0)
    rows = [
        (storgatan, busy, "speeding", {}),
        (storgatan, busy, "speeding", {}),
        (storgatan, busy, "moped", {}),
        (storgatan, busy, "speeding", {}),
        (storgatan, busy, "speeding", {"status": "rejected"}),
        (storgatan, busy, "speeding", {"police_only": True}),
        (storgatan, quiet, "a_traktor", {}),
        (storgatan, quiet, "a_traktor", {}),
        (storgatan, busy, "speeding", {"created_at": utc(2025, 6, 1, 12)}),
        (hultsfred, HULTSFRED, "parking", {}),
        (hultsfred, HULTSFRED, "parking", {}),
        (hultsfred, HULTSFRED, "parking", {}),
    ]
    with app.app_context():
        for area, (lat, lon), kind, extra in rows:
            fields = {"created_at": utc(2026, 5, 10, 12), **extra}
            db.session.add(
                Tip(area_id=area.id, category="traffic", traffic_kind=kind, description="Fort.",
                    lat=lat, lon=lon, **fields)
            )  # fmt: skip
        db.session.add(
            Tip(area_id=storgatan.id, category="vandalism", description="Klotter.",
                lat=busy[0], lon=busy[1], created_at=utc(2026, 5, 10, 12))
        )  # fmt: skip
        db.session.commit()
    return {
        "busy": busy,
        "police": make_user(role="police", municipality_codes=["0884"]),
        "municipality": make_user(role="municipality", municipality_codes=["0884"]),
        "admin": make_user(role="admin"),
        "statistics": make_user(role="statistics", municipality_codes=["0884"]),
        "resident": make_user(),
        "police_0860": make_user(role="police", municipality_codes=["0860"]),
    }


HOTSPOTS = f"{API}/traffic/hotspots?from=2026-01-01&to=2026-12-31"


def test_hot_spots_count_cells_and_leave_small_ones_out(client, hotspot_world):
    answer = client.get(HOTSPOTS, headers=hotspot_world["police"].headers)
    assert answer.status_code == 200
    body = answer.json
    assert body["type"] == "FeatureCollection"
    assert body["smallest_count"] == 3
    [feature] = body["features"]  # the quiet cell (2 tips) is left out
    assert feature["type"] == "Feature"
    props = feature["properties"]
    assert props["count"] == 4  # not the rejected, police-only or last year's tips
    assert props["kinds"] == {"speeding": 3}  # the one moped is under 3: not named
    assert props["areas"] == ["Storgatan"]
    south, west, north, east = cell_bounds(*hotspot_world["busy"])
    ring = feature["geometry"]["coordinates"][0]
    assert feature["geometry"]["type"] == "Polygon"
    assert ring == [[west, south], [east, south], [east, north], [west, north], [west, south]]
    # Cells are at least 200 m on each side.
    assert geodesic((south, west), (north, west)).m >= 200
    assert geodesic((south, west), (south, east)).m >= 200


def test_hot_spots_by_kind_and_scope(client, hotspot_world):
    mopeds = client.get(f"{HOTSPOTS}&kind=moped", headers=hotspot_world["police"].headers)
    assert mopeds.json["features"] == []
    admin = client.get(HOTSPOTS, headers=hotspot_world["admin"].headers).json
    assert sorted(f["properties"]["count"] for f in admin["features"]) == [3, 4]
    other = client.get(HOTSPOTS, headers=hotspot_world["police_0860"].headers).json
    assert [f["properties"]["kinds"] for f in other["features"]] == [{"parking": 3}]
    municipality = client.get(HOTSPOTS, headers=hotspot_world["municipality"].headers).json
    assert [f["properties"]["count"] for f in municipality["features"]] == [4]


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("statistics", "", 403),
        ("resident", "", 403),
        ("municipality", "&municipality_code=0860", 403),
        ("police", "&municipality_code=0860", 403),
        ("police", "&kind=tractor", 422),
        ("police", "&municipality_code=0884", 200),
    ],
)
def test_who_sees_hot_spots(client, hotspot_world, who, query, status):
    response = client.get(HOTSPOTS + query, headers=hotspot_world[who].headers)
    assert response.status_code == status
    if status >= 400:
        problem_of(response, status)


def test_signed_out_is_401(client):
    problem_of(client.get(HOTSPOTS), 401)
