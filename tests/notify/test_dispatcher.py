"""The outbox dispatcher sending through the real firebase-admin SDK to the push sink."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, Device
from grannsamverkan.models.types import utcnow
from tests.conftest import send_all
from tests.query_count import counted_statements
from tests.tips.conftest import SPOT, offset


@pytest.fixture
def street(make_user, make_area, add_member, add_device):
    """A reporter, two neighbours with phones, a far member with a phone, and the reporter's."""
    area = make_area(center=SPOT)
    people = {
        "reporter": make_user(home=SPOT),
        "near_a": make_user(home=offset(SPOT, 200)),
        "near_b": make_user(home=offset(SPOT, 400, 0), locale="en"),
        "far": make_user(home=offset(SPOT, 3000)),
    }
    for actor in people.values():
        add_member(actor, area)
    for name, actor in people.items():
        add_device(actor, f"{name}-phone")
    return people


def states(app):
    with app.app_context():
        return sorted(db.session.scalars(select(Delivery.state)))


def test_tip_reaches_exactly_the_right_trays(app, sink, dispatcher, street, post_tip):
    answer = post_tip(street["reporter"], "burglary", description="Fönster krossat, bil ABC 123")
    send_all(app, dispatcher)
    for name in ("near_a", "near_b"):
        tray = sink.tray(f"{name}-phone")
        assert len(tray) == 1
        data = tray[0]["data"]
        assert data["alert_id"] == str(answer["alert"]["id"])
        assert data["kind"] == "tip"
        assert data["status"] == "active"
        assert "ABC 123" not in data["body"]  # members see registrations masked
        assert tray[0]["android"]["priority"] == "high"  # burglary rings
    assert sink.tray("near_a-phone")[0]["data"]["title"] == "Inbrott"
    assert sink.tray("near_b-phone")[0]["data"]["title"] == "Burglary"  # their locale
    assert sink.tray("far-phone") == []
    assert sink.tray("reporter-phone") == []
    assert states(app) == ["sent", "sent"]


def test_unregistered_tokens_are_removed(app, sink, dispatcher, street, post_tip):
    sink.unregister("near_a-phone")
    post_tip(street["reporter"], "burglary")
    send_all(app, dispatcher)
    assert states(app) == ["sent", "unregistered"]
    with app.app_context():
        tokens = set(db.session.scalars(select(Device.token)))
    assert "near_a-phone" not in tokens
    assert "near_b-phone" in tokens


def test_outage_then_recovery_delivers_everything_once(app, sink, dispatcher, street, post_tip):
    first = post_tip(street["reporter"], "burglary")
    second = post_tip(street["reporter"], "suspicious_person", at=offset(SPOT, 300, 90))
    # The outage starts once the tips are in and lasts for the first tries of all four
    # pushes: counted, not timed, so that a slow start of the sender cannot outlast it.
    sink.fail_unavailable(count=4)
    send_all(app, dispatcher, until_s=20)
    assert states(app) == ["sent"] * 4
    for name in ("near_a", "near_b"):
        alert_ids = [m["data"]["alert_id"] for m in sink.tray(f"{name}-phone")]
        assert sorted(alert_ids) == sorted([str(first["alert"]["id"]), str(second["alert"]["id"])])
    # The SDK's own retries are off: the 503s were retried by the outbox, with backoff.
    assert any(r["status"] == 503 for r in sink.request_log())
    with app.app_context():
        assert max(db.session.scalars(select(Delivery.attempts))) > 1


def test_quota_exceeded_waits_for_retry_after(app, sink, dispatcher, street, post_tip):
    sink.quota_exceeded(retry_after_s=120, count=10)
    post_tip(street["reporter"], "burglary")
    before = utcnow()
    with app.app_context():
        dispatcher.run_until_idle()
        rows = db.session.scalars(select(Delivery)).all()
        assert {r.state for r in rows} == {"pending"}
        for row in rows:
            assert row.next_attempt_at >= before + timedelta(seconds=119)
            assert row.attempts == 1
        # Nothing is due yet: another pass sends nothing.
        assert dispatcher.run_until_idle() == 0


def test_rows_that_failed_alike_retry_together_with_one_update(
    app, sink, dispatcher, street, post_tip
):
    # FCM is down for both pushes of the tip: they wait the same jittered backoff, and the
    # outcome is one UPDATE for the batch (an outage of 500 rows is not 500 round trips).
    sink.fail_unavailable(count=2)
    post_tip(street["reporter"], "burglary")
    with counted_statements(app) as statements, app.app_context():
        dispatcher.run_once()
    outcome_updates = [s for s in statements if "UPDATE deliveries SET attempts" in s]
    assert len(outcome_updates) == 1, outcome_updates
    with app.app_context():
        rows = db.session.scalars(select(Delivery)).all()
    assert [(r.state, r.attempts) for r in rows] == [("pending", 1), ("pending", 1)]
    assert rows[0].next_attempt_at == rows[1].next_attempt_at


def test_hung_endpoint_does_not_stall_the_dispatcher(app, sink, dispatcher, street, post_tip):
    sink.delay(30)
    post_tip(street["reporter"], "burglary")
    started = time.monotonic()
    with app.app_context():
        dispatcher.run_once()
    elapsed = time.monotonic() - started
    sink.delay(0)
    assert elapsed < 8, f"the dispatcher hung for {elapsed:.1f} s"
    assert states(app) == ["pending", "pending"]  # to be retried, not lost
    send_all(app, dispatcher)
    assert states(app) == ["sent", "sent"]


def test_expired_alert_is_not_sent(app, sink, dispatcher, street, post_tip):
    from grannsamverkan.models import Alert

    answer = post_tip(street["reporter"], "burglary")
    with app.app_context():
        alert = db.session.get(Alert, answer["alert"]["id"])
        alert.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
        dispatcher.run_until_idle()
    assert states(app) == ["failed", "failed"]
    assert sink.message_count() == 0


def test_gives_up_after_bounded_attempts(app, sink, dispatcher, street, post_tip):
    sink.fail_unavailable()
    post_tip(street["reporter"], "burglary")
    with app.app_context():
        dispatcher.policy = type(dispatcher.policy)(base_s=0.0, cap_s=0.0, max_attempts=3)
        for _ in range(5):
            dispatcher.run_until_idle()
        rows = db.session.scalars(select(Delivery)).all()
    assert {(r.state, r.attempts) for r in rows} == {("failed", 3)}


def test_two_dispatchers_never_send_a_row_twice(app, sink, make_user, make_area, add_member):
    """Two dispatchers in threads over 300 recipients: every phone gets exactly one push."""
    import threading

    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    area = make_area(center=SPOT)
    reporter = make_user(home=SPOT)
    add_member(reporter, area)
    with app.app_context():
        from grannsamverkan.models import Membership, User

        users = [
            User(
                email=f"n{i}@example.se",
                password_hash="x",
                name=f"N{i}",
                home_lat=offset(SPOT, 5 + i)[0],
                home_lon=offset(SPOT, 5 + i)[1],
            )
            for i in range(300)
        ]
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all(
            [Membership(area_id=area.id, user_id=u.id, status="active") for u in users]
        )
        db.session.add_all(
            [Device(user_id=u.id, token=f"tok-{u.id}", platform="android") for u in users]
        )
        db.session.commit()
    from tests.conftest import Actor  # noqa: F401 - reporter posts through the API

    response = app.test_client().post(
        "/api/v1/tips",
        json={
            "category": "burglary",
            "description": "x",
            "location": {"lat": SPOT[0], "lon": SPOT[1]},
        },
        headers=reporter.headers,
    )
    assert response.status_code == 201
    # A request that times out is retried and would reach its phone twice (at least once is
    # the promise); this test counts claims, so no request may time out on a busy machine.
    app.config["GSV_FCM_TIMEOUT_S"] = 30.0
    sender = app.extensions[EXTENSION].sender

    def work():
        with app.app_context():
            d = dispatcher_for(app, sender)
            d.batch_size = 25
            d.run_until_idle()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert states(app) == ["sent"] * 300
    counts = [len(sink.tray(f"tok-{u}")) for u in range(1, 400)]
    assert sum(counts) == 300
    assert max(counts) == 1
