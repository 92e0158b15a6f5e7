"""A tip's outcome reaches the phones its alert reached: closed → "resolved", rejected or a
false alarm → "withdrawn", one follow-up to exactly the devices that got the first push,
nothing new in it; and the delivery counts per channel."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Delivery, Tip
from grannsamverkan.models.types import utcnow
from grannsamverkan.models.user import ALERT_CHANNELS
from grannsamverkan.services import tip_outcomes
from tests.conftest import send_all
from tests.tips.conftest import SPOT, offset

API = "/api/v1"
NONE = {"pending": 0, "sent": 0, "failed": 0, "unregistered": 0}


@pytest.fixture
def street(make_user, make_area, add_member, add_device):
    """A reporter, two neighbours with phones (one English, one with two), one far away, the
    area's contact person and police."""
    area = make_area(center=SPOT)
    people = {
        "reporter": make_user(home=SPOT),
        "near_a": make_user(home=offset(SPOT, 200)),
        "near_b": make_user(home=offset(SPOT, 400, 0), locale="en"),
        "far": make_user(home=offset(SPOT, 3000)),
        "contact": make_user(),
    }
    for name, actor in people.items():
        add_member(actor, area, role="contact_person" if name == "contact" else "member")
        add_device(actor, f"{name}-phone")
    add_device(people["near_a"], "near_a-tablet", platform="ios")
    people["police"] = make_user(role="police", municipality_codes=["0884"])
    return people


def member_pushes(sink, token):
    return [m for m in sink.tray(token) if m["data"]["kind"] == "tip"]


def set_status(client, street, tip_id, status):
    response = client.patch(
        f"{API}/tips/{tip_id}", json={"status": status}, headers=street["police"].headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)


def follow_ups(app):
    with app.app_context():
        return db.session.scalars(
            select(Delivery.device_id).where(Delivery.purpose == "outcome")
        ).all()


def test_closing_resolves_the_alert_and_tells_exactly_the_same_phones_once(
    app, client, sink, dispatcher, street, post_tip, add_device
):
    tip = post_tip(street["reporter"], "burglary", description="Fönster krossat, bil ABC 123")
    sink.unregister("near_a-tablet")  # uninstalled: the first push finds it gone
    send_all(app, dispatcher)
    add_device(street["near_b"], "near_b-new-phone")  # registered after the alert
    reached = ["contact-phone", "near_a-phone", "near_b-phone"]
    firsts = {token: member_pushes(sink, token) for token in reached}
    assert all(len(pushes) == 1 for pushes in firsts.values())

    set_status(client, street, tip["id"], "closed")
    send_all(app, dispatcher)
    for token in reached:
        first, follow_up = member_pushes(sink, token)
        assert follow_up["data"]["purpose"] == "outcome"
        assert follow_up["data"]["status"] == "resolved"
        assert follow_up["data"]["alert_id"] == first["data"]["alert_id"]
        # Nothing new revealed: the first push's text and cell, under the new status.
        assert follow_up["notification"]["body"] == first["notification"]["body"]
        assert "ABC 123" not in follow_up["notification"]["body"]
        assert (follow_up["data"]["lat"], follow_up["data"]["lon"]) == (
            first["data"]["lat"],
            first["data"]["lon"],
        )
        assert set(follow_up["data"]) == set(first["data"])
        assert follow_up["android"]["priority"] == "normal"  # an end does not ring
    assert member_pushes(sink, "near_a-phone")[1]["data"]["title"] == "Avslutat: Inbrott"
    assert member_pushes(sink, "near_b-phone")[1]["data"]["title"] == "Resolved: Burglary"
    for token in ("near_a-tablet", "near_b-new-phone", "far-phone", "reporter-phone"):
        assert member_pushes(sink, token) == [], token

    # A second close, or reopening and closing again, tells nobody again.
    set_status(client, street, tip["id"], "closed")
    set_status(client, street, tip["id"], "open")
    set_status(client, street, tip["id"], "closed")
    send_all(app, dispatcher)
    assert [len(member_pushes(sink, token)) for token in reached] == [2, 2, 2]
    assert len(follow_ups(app)) == 3

    # Members' inboxes show the status.
    [item] = client.get(f"{API}/alerts", headers=street["near_a"].headers).get_json()["items"]
    assert (item["kind"], item["status"]) == ("tip", "resolved")


@pytest.mark.parametrize("status", ["false_alarm", "rejected"])
def test_a_false_alarm_or_rejection_withdraws_the_alert(
    app, client, sink, dispatcher, street, post_tip, status
):
    tip = post_tip(street["reporter"], "suspicious_person")
    send_all(app, dispatcher)
    set_status(client, street, tip["id"], status)
    send_all(app, dispatcher)
    first, follow_up = member_pushes(sink, "near_a-phone")
    assert follow_up["data"]["title"] == "Avskrivet: Misstänkt person"
    assert follow_up["data"]["status"] == "withdrawn"
    assert member_pushes(sink, "near_b-phone")[1]["data"]["title"] == "Withdrawn: Suspicious person"
    [item] = client.get(f"{API}/alerts", headers=street["near_b"].headers).get_json()["items"]
    assert item["status"] == "withdrawn"
    # Then closing it changes nothing: it was told once.
    set_status(client, street, tip["id"], "closed")
    send_all(app, dispatcher)
    assert len(member_pushes(sink, "near_a-phone")) == 2
    with app.app_context():
        assert db.session.get(Tip, tip["id"]).alert.status == "withdrawn"


def test_investigating_changes_nothing_on_the_phones(
    app, client, sink, dispatcher, street, post_tip
):
    tip = post_tip(street["reporter"], "burglary")
    send_all(app, dispatcher)
    set_status(client, street, tip["id"], "investigating")
    send_all(app, dispatcher)
    assert len(member_pushes(sink, "near_a-phone")) == 1
    assert follow_ups(app) == []


def test_deliveries_are_counted_per_channel(app, client, sink, dispatcher, street, post_tip):
    tip = post_tip(street["reporter"], "burglary")
    sink.unregister("near_a-tablet")
    send_all(app, dispatcher)
    url = f"{API}/tips/{tip['id']}/deliveries"
    report = client.get(url, headers=street["police"].headers).get_json()
    assert report["counts"] == {**NONE, "sent": 3, "unregistered": 1}
    assert report["by_channel"] == {
        **dict.fromkeys(ALERT_CHANNELS, NONE),
        "push": {**NONE, "sent": 3, "unregistered": 1},
    }
    set_status(client, street, tip["id"], "false_alarm")
    send_all(app, dispatcher)
    report = client.get(url, headers=street["contact"].headers).get_json()
    assert report["by_channel"]["push"] == {**NONE, "sent": 6, "unregistered": 1}
    assert report["counts"] == report["by_channel"]["push"]


def test_the_follow_up_copies_every_channels_rows(app, client, dispatcher, street, post_tip):
    """An e-mail row of the first alert (written by the e-mail channel) gets its follow-up
    too, to the same address and in the same language, with no stored content; rows that
    never reached their device (failed) get none."""
    tip = post_tip(street["reporter"], "burglary")
    send_all(app, dispatcher)
    now = utcnow()
    with app.app_context():
        alert_id = db.session.scalar(select(Alert.id).where(Alert.tip_id == tip["id"]))
        common = {"alert_id": alert_id, "purpose": "alert", "created_at": now}
        db.session.add_all(
            [
                Delivery(
                    **common,
                    channel="email",
                    platform="email",
                    locale="en",
                    state="sent",
                    email_to="elder@example.se",
                ),
                Delivery(**common, channel="email", platform="email", state="failed"),
            ]
        )
        db.session.commit()
        closed = db.session.get(Tip, tip["id"])
        closed.status = "closed"
        assert tip_outcomes.settle_alert(closed, at=now) == 5  # four phones, one address
        assert tip_outcomes.settle_alert(closed, at=now) == 0
        db.session.commit()
        email = db.session.execute(
            select(
                Delivery.email_to,
                Delivery.locale,
                Delivery.state,
                Delivery.email_body,
                Delivery.silent,
            ).where(Delivery.purpose == "outcome", Delivery.channel == "email")
        ).all()
    assert email == [("elder@example.se", "en", "pending", None, True)]
