"""The Lokala BRÅ follow-up (issue 15), checked against a small data set whose numbers are
known by hand: 2026 against 2025 in Vimmerby (0884), with Hultsfred (0860) beside it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from grannsamverkan.extensions import db
from grannsamverkan.models import (
    Alert,
    Area,
    Broadcast,
    BroadcastMunicipality,
    Delivery,
    Membership,
    Rsvp,
    Tip,
)
from grannsamverkan.services import follow_up
from grannsamverkan.services.follow_up_periods import parse_period
from tests.conftest import problem_of

API = "/api/v1/stats/follow-up"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- periods --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "first", "last", "before"),
    [
        ("2025-Q3", date(2025, 7, 1), date(2025, 9, 30), "2025-Q2"),
        ("2025-q1", date(2025, 1, 1), date(2025, 3, 31), "2024-Q4"),
        ("2025", date(2025, 1, 1), date(2025, 12, 31), "2024"),
        ("2022-2025", date(2022, 1, 1), date(2025, 12, 31), "2018-2021"),
    ],
)
def test_periods_and_the_period_before(name, first, last, before):
    period = parse_period(name)
    assert (period.first, period.last, period.whole) == (first, last, True)
    assert period.before().name == before
    assert period.before().last == period.first - timedelta(days=1)


def test_a_running_period_is_compared_with_the_same_stretch_before():
    period = parse_period("2026").cut_at(date(2026, 12, 3))
    assert (period.last, period.whole) == (date(2026, 12, 3), False)
    assert (period.before().first, period.before().last) == (date(2025, 1, 1), date(2025, 12, 3))


@pytest.mark.parametrize("name", ["2025-Q5", "25", "2025-2022", "1999", "2025-Q", "x"])
def test_unknown_periods_are_refused(name):
    with pytest.raises(Exception, match="quarter") as raised:
        parse_period(name)
    assert raised.value.errors == {"period": [raised.value.detail]}


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, "<3"), (2, "<3"), (3, "3")])
def test_small_counts_are_hidden(count, shown):
    assert follow_up.shown_count(count) == shown


# --- the numbers ----------------------------------------------------------------------------


@pytest.fixture
def world(app, make_user, make_area) -> dict[str, Any]:
    storgatan = make_area(name="Storgatan")
    hultsfred = make_area(name="Hultsfred", municipality_code="0860", center=(57.488, 15.842))
    people = [make_user() for _ in range(5)]
    police = make_user(role="police", municipality_codes=["0884"])
    now, before = utc(2026, 5, 10, 12), utc(2025, 5, 10, 12)
    tips: list[tuple[Any, str, datetime, dict[str, Any]]] = [
        *[(storgatan, "traffic", now, {"traffic_kind": "speeding", "time_of_day": "22:10"})] * 4,
        (storgatan, "traffic", now, {"traffic_kind": "moped", "time_of_day": "morning"}),
        (storgatan, "traffic", before, {"traffic_kind": "speeding"}),
        *[(storgatan, "burglary", now, {})] * 3,
        (storgatan, "burglary", now, {"status": "rejected"}),
        (storgatan, "suspicious_activity", now, {"police_only": True}),
        (storgatan, "unsafe_place", before, {}),
        (storgatan, "narcotics", utc(2027, 1, 5, 12), {}),  # after the period
        *[(hultsfred, "burglary", now, {})] * 5,
    ]
    with app.app_context():
        # The area is older than both periods, whatever today's date is.
        db.session.get(Area, storgatan.id).created_at = utc(2024, 1, 1, 12)
        for user, joined in zip(people, (before, before, now, now, now), strict=True):
            db.session.add(Membership(area_id=storgatan.id, user_id=user.id, status="active",
                                      created_at=joined))  # fmt: skip
        stored = []
        for area, category, at, extra in tips:
            tip = Tip(area_id=area.id, category=category, description="Något.", lat=57.6663,
                      lon=15.8557, created_at=at, **extra)  # fmt: skip
            db.session.add(tip)
            stored.append(tip)
        db.session.flush()
        # The three burglaries reached phones after 1, 2 and 4 minutes (median 2).
        for tip, minutes in zip(stored[6:9], (1, 2, 4), strict=True):
            alert = Alert(kind="tip", tip_id=tip.id, title="t", body="b", created_at=tip.created_at)
            db.session.add(alert)
            db.session.flush()
            sent = tip.created_at + timedelta(minutes=minutes)
            for delay in (0, 5):  # the first push counts
                db.session.add(Delivery(alert_id=alert.id, platform="ios", state="sent",
                                        updated_at=sent + timedelta(minutes=delay)))  # fmt: skip
        for kind, at, cancelled in (("fraud_warning", now, False), ("fraud_warning", now, True),
                                    ("notice", before, False)):  # fmt: skip
            _broadcast(kind, at, police.id, status="cancelled" if cancelled else "active")
        event = _broadcast("training_event", now - timedelta(days=20), police.id)
        event.starts_at = now
        db.session.flush()
        for user, status in zip(people, ("confirmed",) * 4 + ("waitlisted",), strict=True):
            db.session.add(Rsvp(broadcast_id=event.id, user_id=user.id, status=status))
        db.session.commit()
    return {
        "police": police,
        "statistics": make_user(role="statistics", municipality_codes=["0884"]),
        "municipality": make_user(role="municipality", municipality_codes=["0884"]),
        "statistics_0860": make_user(role="statistics", municipality_codes=["0860"]),
        "resident": people[0],
    }


def _broadcast(kind: str, at: datetime, author_id: int, status: str = "active") -> Broadcast:
    broadcast = Broadcast(author_id=author_id, kind=kind, title="T", body="B", status=status,
                          created_at=at, target_municipality_codes=["0884"])  # fmt: skip
    broadcast.municipalities.append(BroadcastMunicipality(municipality_code="0884"))
    db.session.add(broadcast)
    return broadcast


def _report(app: Any, households: dict[str, int] | None = None) -> follow_up.FollowUp:
    with app.app_context():
        return follow_up.follow_up(
            period=parse_period("2026").cut_at(date(2026, 12, 3)),
            municipality_codes=["0884"],
            households=households or {},
        )


def test_the_numbers_of_the_period_and_the_one_before(app, world):
    report = _report(app, {"0884": 50})
    pairs = {key: (c.current, c.previous) for key, c in report.priorities.items()}
    assert pairs == {
        "traffic": (5, 1),
        "burglary": (3, 0),  # not the rejected one, nor Hultsfred's
        "alcohol_narcotics": (0, 0),  # 2027 is outside the period
        "close_relationships": (1, 0),  # the police-only tip, not as suspicious activity
        "general_safety": (0, 1),
    }
    assert report.traffic_kinds["speeding"] == follow_up.Compared(4, 1)
    assert report.traffic_kinds["moped"] == follow_up.Compared(1, 0)
    assert report.traffic_times == {"night": 0, "morning": 1, "day": 0, "evening": 4, "": 0}
    assert [spot.count for spot in report.hotspots] == [5]
    coverage = report.coverage
    assert (coverage.areas.current, coverage.households.current) == (1, 5)
    assert coverage.households.previous == 2
    assert coverage.share(coverage.households.current) == pytest.approx(0.1)
    assert report.broadcasts["fraud_warning"] == follow_up.Compared(1, 0)  # not the cancelled
    assert report.broadcasts["notice"] == follow_up.Compared(0, 1)
    assert (report.events_held.current, report.places_taken.current) == (1, 4)
    assert report.minutes_to_push == (2.0, None)  # none before: too few to tell


def test_the_share_needs_the_households_configured(app, world):
    assert _report(app).coverage.share(5) is None


def test_changes_are_not_given_beside_hidden_counts(app, world):
    report = _report(app)
    assert report.priorities["traffic"].change is None  # 5 against 1
    assert report.traffic_kinds["speeding"].change is None
    assert report.priorities["burglary"].change == 3


def test_the_api_answers_rows_with_small_counts_hidden(client, world):
    answer = client.get(f"{API}?period=2026", headers=world["statistics"].headers)
    assert answer.status_code == 200, answer.json
    body = answer.json
    assert (body["period"], body["previous_period"], body["smallest_count"]) == ("2026", "2025", 3)
    rows = {
        (r["section"], r["item"], r["month"]): (r["current"], r["previous"]) for r in body["rows"]
    }
    assert rows[("priority", "traffic", "")] == ("5", "<3")
    assert rows[("priority", "close_relationships", "")] == ("<3", "0")
    assert rows[("tips_by_month", "traffic", "2026-05")] == ("5", "")
    assert rows[("training_events", "places_taken", "")] == ("4", "0")
    assert rows[("push", "median_minutes_tip_to_first_push", "")] == ("2", "")
    # No names, e-mail addresses or points of tips anywhere in it.
    text = answer.get_data(as_text=True)
    assert "@example.se" not in text
    assert "15.8557" not in text


def test_the_csv_has_the_same_rows(client, world):
    answer = client.get(f"{API}?period=2026&format=csv", headers=world["police"].headers)
    assert answer.mimetype == "text/csv"
    assert 'filename="lokala-bra-2026.csv"' in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    json_rows = client.get(f"{API}?period=2026", headers=world["police"].headers).json["rows"]
    assert rows == json_rows


@pytest.mark.parametrize(
    ("who", "query", "status"),
    [
        ("statistics", "?period=2026-Q2", 200),
        ("municipality", "?period=2022-2025", 200),
        ("police", "", 200),
        ("statistics", "?municipality_code=0860", 403),
        ("statistics_0860", "?municipality_code=0860", 200),
        ("resident", "", 403),
        ("statistics", "?period=2026-Q7", 422),
        ("statistics", "?format=pdf", 422),
    ],
)
def test_who_reads_the_follow_up(client, world, who, query, status):
    response = client.get(API + query, headers=world[who].headers)
    assert response.status_code == status
    if status >= 400:
        problem = problem_of(response, status)
        if status == 422:
            assert set(problem["errors"]) <= {"period", "format"}


def test_signed_out_is_401(client):
    problem_of(client.get(API), 401)
