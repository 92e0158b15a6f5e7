"""``flask seed-demo``: the Vimmerby data set, with tips that went through the real routing
and two years of history that makes the Lokala BRÅ follow-up readable."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from grannsamverkan.demo import (
    AREAS,
    DEMO_PASSWORD,
    DEMO_TIPS,
    MUNICIPALITY_EMAIL,
    PHONES_PER_AREA,
    POLICE_EMAIL,
    STATISTICS_EMAIL,
)
from grannsamverkan.demo_year import HOUSEHOLDS_ADDED
from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, AlertRecipient, Area, Broadcast, Delivery, Device, Tip


def login(client, email):
    answer = client.post("/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD})
    assert answer.status_code == 200
    return {"Authorization": f"Bearer {answer.json['access_token']}"}


def test_seed_demo_command_creates_areas_logins_and_tips(app, client):
    started = time.monotonic()
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    seeding_s = time.monotonic() - started
    assert result.exit_code == 0, result.output
    assert seeding_s < 20  # about a second on an idle laptop
    for email in (POLICE_EMAIL, MUNICIPALITY_EMAIL, STATISTICS_EMAIL):
        assert email in result.output
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert "already present" in again.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Area)) == 3
        # The new tips went through the routing: burglary, suspicious vehicle and unsafe place
        # alert someone, traffic nobody; their pushes wait in the outbox for the demo phones.
        assert db.session.scalar(select(func.count()).select_from(Tip)) > 200 + len(DEMO_TIPS)
        # Police are told of each new tip by a notice (the history's tips are only history).
        notices = select(func.count()).select_from(Alert).where(Alert.kind == "notice")
        assert db.session.scalar(notices) == len(DEMO_TIPS)
        phones = db.session.scalar(select(func.count()).select_from(Device))
        assert phones == PHONES_PER_AREA * len(AREAS)
        waiting = select(func.count(Delivery.id)).where(Delivery.state == "pending")
        recent = (
            select(func.count(Alert.id))
            .join(Tip, Tip.id == Alert.tip_id)
            .where(Tip.description.in_([description for _n, _c, description, _p in DEMO_TIPS]))
        )
        assert db.session.scalar(recent) == 3
        assert db.session.scalar(select(func.count()).select_from(AlertRecipient)) > 3
        # Only the new tips' pushes wait: the history's were all sent long ago.
        pending_alerts = select(func.count(func.distinct(Delivery.alert_id))).where(
            Delivery.state == "pending"
        )
        assert db.session.scalar(waiting) > 0
        assert db.session.scalar(pending_alerts) == 3
        assert db.session.scalar(select(func.count()).select_from(Broadcast)) > 0
    police = login(client, POLICE_EMAIL)
    assert client.get("/api/v1/tips", headers=police).json["items"]
    # Lokala BRÅ's member reads a follow-up with every section filled in.
    follow_up = client.get("/api/v1/stats/follow-up", headers=login(client, STATISTICS_EMAIL))
    rows = {(r["section"], r["item"]): r for r in follow_up.json["rows"] if not r["month"]}
    assert int(rows[("priority", "traffic")]["current"]) > 20
    assert int(rows[("priority", "traffic")]["previous"]) > 20
    assert int(rows[("coverage", "active_households")]["current"]) >= HOUSEHOLDS_ADDED // 2
    assert int(rows[("training_events", "places_taken")]["current"]) > 0
    assert any(r["section"] == "traffic_hotspot" for r in follow_up.json["rows"])
    assert rows[("push", "median_minutes_tip_to_first_push")]["current"] != ""
    # The municipality sees the unsafe places it mends.
    municipality = login(client, MUNICIPALITY_EMAIL)
    listed = client.get("/api/v1/tips?category=unsafe_place", headers=municipality).json
    assert listed["items"]
    assert all("reporter" not in tip for tip in listed["items"])
