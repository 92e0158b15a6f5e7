"""The log of the scripted day (test_scripted_day.py) carries no personal data and no
secrets: an operator, a log collector or a hosting partner reads it, none of whom may learn
who reported what, where anyone lives, what a tip said, or a credential."""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Area, Delivery, Membership, Tip
from tests.conftest import PASSWORD
from tests.log_capture import CapturedLog, json_log
from tests.metrics_scrape import Samples, scrape, total
from tests.privacy import test_scripted_day
from tests.services.test_privacy import MASKED

app_config = test_scripted_day.app_config  # the day's configuration (push to the sink)
day = test_scripted_day.day
# Any number that could be a Swedish coordinate, coarse or fine: a log needs none.
COORDINATE = re.compile(r"(?<![\d.:])(5[5-9]|6[0-9]|1[0-9]|2[0-4])\.\d{3,}")


@pytest.fixture
def day_log() -> Iterator[CapturedLog]:
    """Captures from before the day starts (requested ahead of ``day``)."""
    with json_log() as captured:
        yield captured


def secrets_of_the_day(day: Any, app: Any) -> dict[str, str]:
    found = {"the sign-in password": PASSWORD, "the secret key": app.config["SECRET_KEY"]}
    for key, person in day.people.items():
        found[f"{key}'s name"] = person.name
        found[f"{key}'s e-mail"] = person.email
        found[f"{key}'s access token"] = person.actor.token
        for token in person.tokens:
            found[f"{key}'s device token"] = token
    for text, secrets in MASKED:
        found[f"tip text {text[:20]!r}"] = text
        for secret in secrets:
            found[f"a tip's secret {secret!r}"] = secret
    return found


def test_the_days_log_carries_no_personal_data_or_secrets(day_log, day, app):
    lines = day_log.lines()  # each line parses as JSON
    messages = {line["message"] for line in lines}
    assert {"request", "tip stored", "alert written", "deliveries recorded"} <= messages
    assert len(lines) > 100, "the day logged too little to scan"
    text = day_log.text
    leaks = [what for what, secret in secrets_of_the_day(day, app).items() if secret in text]
    leaks += [f"coordinate {m.group(0)}" for m in COORDINATE.finditer(text)]
    assert leaks == []


def test_the_scan_finds_what_it_looks_for():
    """The scan is no blind eye: a planted line with an e-mail and a point is found."""
    with json_log() as captured:
        logging.getLogger("grannsamverkan.test").warning("planted ruth@example.se at 57.66634")
    assert "ruth@example.se" in captured.text
    assert COORDINATE.search(captured.text).group(0) == "57.66634"


@pytest.fixture
def metrics_before(client: Any) -> Samples:
    """The counters before the day (requested ahead of ``day``)."""
    return scrape(client)


def test_metrics_logs_and_the_database_tell_the_same_day(
    day_log, metrics_before, day, app, client, sink
):
    """Tips, alerts and pushes of the day: the counters' increase, the log lines and the
    rows agree (and the push sink got what the counters say was sent)."""
    after = scrape(client)

    def increase(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(metrics_before, name, **labels)

    lines = day_log.lines()

    def logged(message: str, field: str | None = None, **match: Any) -> int:
        found = [
            line
            for line in lines
            if line["message"] == message and all(line.get(k) == v for k, v in match.items())
        ]
        return sum(line[field] for line in found) if field else len(found)

    with app.app_context():
        tips = db.session.scalar(select(func.count()).select_from(Tip))
        alerts = db.session.scalar(select(func.count()).select_from(Alert))
        sent = db.session.scalar(
            select(func.count()).select_from(Delivery).where(Delivery.state == "sent")
        )
    assert tips > 20
    assert increase("gsv_tips_total") == logged("tip stored") == tips
    assert increase("gsv_alerts_total") == logged("alert written") == alerts
    assert increase("gsv_deliveries_total", channel="push", outcome="sent") == sent
    assert logged("deliveries recorded", "count", channel="push", outcome="sent") == sent
    assert sink.message_count() == sent
    posted = increase("gsv_http_requests_total", route="/api/v1/tips", method="POST")
    assert posted == logged("request", route="/api/v1/tips", method="POST")


API = "/api/v1"
TIP = "/api/v1/tips/<int:tip_id>"
MEMBER = "/api/v1/areas/<int:area_id>/members/<int:user_id>"
# The day's audited acts, each: (action, route, method, status, how many).
AUDITED_ACTS = (
    ("broadcast.send", "/api/v1/broadcasts", "POST", "201", 2),
    ("tip.status", TIP, "PATCH", "200", 2),
    ("membership.role", MEMBER, "PUT", "200", 1),
    ("membership.delete", MEMBER, "DELETE", "204", 1),
)


def _police_afternoon(app: Any, client: Any, day: Any, police: Any) -> dict[str, set]:
    """Police close two tips and appoint Anna contact person; Anna removes Bertil. Returns
    {action: {(actor id, object type, object id)}} as the trail must name them."""
    with app.app_context():
        tip_ids = list(db.session.scalars(select(Tip.id).order_by(Tip.id).limit(2)))
        area_id = db.session.scalar(select(Area.id).where(Area.name == "Storgatan"))
        anna_membership = _membership_id(area_id, day.people["anna"].actor.id)
        bertil_membership = _membership_id(area_id, day.people["bertil"].actor.id)
    for tip_id in tip_ids:
        answer = client.patch(
            f"{API}/tips/{tip_id}", json={"status": "closed"}, headers=police.headers
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
    anna, bertil = day.people["anna"].actor, day.people["bertil"].actor
    answer = client.put(
        f"{API}/areas/{area_id}/members/{anna.id}",
        json={"status": "active", "role": "contact_person"},
        headers=police.headers,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    answer = client.delete(f"{API}/areas/{area_id}/members/{bertil.id}", headers=anna.headers)
    assert answer.status_code == 204, answer.get_data(as_text=True)
    return {
        "tip.status": {(police.id, "tip", tip_id) for tip_id in tip_ids},
        "membership.role": {(police.id, "membership", anna_membership)},
        "membership.delete": {(anna.id, "membership", bertil_membership)},
    }


def _membership_id(area_id: int, user_id: int) -> int:
    return db.session.scalar(
        select(Membership.id).where(Membership.area_id == area_id, Membership.user_id == user_id)
    )


def test_the_audit_trail_tells_the_same_day_as_metrics_and_logs(
    day_log, metrics_before, day, app, client, make_user
):
    """The police's and contact persons' acts of the day: one audit event each, naming
    the actor and the object; one request log line each with its route and status; and
    the request counters grown by exactly as many."""
    police = make_user(role="police", municipality_codes=["0884"], name="Polis Eftermiddag")
    expected_objects = _police_afternoon(app, client, day, police)
    admin = make_user(role="admin")
    after = scrape(client)  # before reading the trail: its own requests are not the day's
    lines = day_log.lines()
    answer = client.get(f"{API}/audit?limit=100", headers=admin.headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    trail = answer.get_json()["items"]

    acts = {action: count for action, *_, count in AUDITED_ACTS}
    assert Counter(event["action"] for event in trail) == acts  # nothing more, nothing less
    for action, route, method, status, count in AUDITED_ACTS:
        grew = total(after, "gsv_http_requests_total", route=route, method=method, status=status)
        grew -= total(
            metrics_before, "gsv_http_requests_total", route=route, method=method, status=status
        )
        logged = [
            line
            for line in lines
            if line["message"] == "request"
            and (line["route"], line["method"], str(line["status"])) == (route, method, status)
        ]
        assert grew == len(logged) == count, (action, grew, len(logged))
    named = {
        action: {
            (event["actor_id"], event["object_type"], event["object_id"])
            for event in trail
            if event["action"] == action
        }
        for action in expected_objects
    }
    assert named == expected_objects
    # Each event names its request: the one request line with that id is the act's route.
    route_of = {
        action: (route, method, status) for action, route, method, status, _ in AUDITED_ACTS
    }
    for event in trail:
        assert event["request_id"], event
        requests = [
            (line["route"], line["method"], str(line["status"]))
            for line in day_log.of_request(event["request_id"])
            if line["message"] == "request"
        ]
        assert requests == [route_of[event["action"]]], event
    assert len({event["request_id"] for event in trail}) == len(trail)
    sent = [event for event in trail if event["action"] == "broadcast.send"]
    assert {event["actor_role"] for event in sent} == {"police"}
    assert all(event["municipality_codes"] == ["0884"] for event in trail if event not in sent)
