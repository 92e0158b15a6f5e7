"""/metrics tells what the outbox did: a scripted tip with a dead phone, scraped before and
after the dispatcher ran, and parsed with prometheus_client's own parser."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery
from grannsamverkan.models.types import utcnow
from tests.conftest import send_all
from tests.metrics_scrape import scrape, total, value
from tests.notify import test_dispatcher

street = test_dispatcher.street  # the fixture: a reporter, neighbours and phones


def test_a_tip_and_its_pushes_are_counted(app, client, sink, dispatcher, street, post_tip):
    sink.unregister("near_a-phone")
    before = scrape(client)
    post_tip(street["reporter"], "burglary")
    queued = scrape(client)
    send_all(app, dispatcher)
    after = scrape(client)

    assert value(after, "gsv_tips_total", category="burglary") == (
        value(before, "gsv_tips_total", category="burglary") + 1
    )
    assert value(after, "gsv_alerts_total", kind="tip", category="burglary") == (
        value(before, "gsv_alerts_total", kind="tip", category="burglary") + 1
    )
    posted = dict(route="/api/v1/tips", method="POST", status="201")
    assert value(after, "gsv_http_requests_total", **posted) == (
        value(before, "gsv_http_requests_total", **posted) + 1
    )
    latency = dict(route="/api/v1/tips", method="POST")
    assert value(after, "gsv_http_request_duration_seconds_count", **latency) == (
        value(before, "gsv_http_request_duration_seconds_count", **latency) + 1
    )
    # The outbox held the two rows until the dispatcher ran, then none.
    assert value(queued, "gsv_outbox_pending", channel="push") == 2
    assert value(after, "gsv_outbox_pending", channel="push") == 0
    assert value(after, "gsv_outbox_oldest_due_age_seconds", channel="push") == 0

    def delta(name: str, **labels: str) -> float:
        return total(after, name, **labels) - total(before, name, **labels)

    assert delta("gsv_deliveries_total", channel="push", outcome="sent") == 1
    assert delta("gsv_deliveries_total", channel="push", outcome="unregistered") == 1
    assert value(
        after, "gsv_deliveries_total", channel="push", outcome="unregistered",
        reason="unregisterederror",
    ) >= 1  # fmt: skip
    # One multicast per language: near_a reads Swedish, near_b English.
    assert delta("gsv_send_duration_seconds_count", channel="push") == 2
    assert delta("gsv_send_duration_seconds_sum", channel="push") > 0


def test_retries_and_failures_are_counted_by_reason(
    app, client, sink, dispatcher, street, post_tip
):
    app.config["GSV_PUSH_MAX_ATTEMPTS"] = 2
    dispatcher.policy = type(dispatcher.policy)(base_s=0.01, cap_s=0.02, max_attempts=2)
    sink.fail_unavailable()
    before = scrape(client)
    post_tip(street["reporter"], "burglary")
    send_all(app, dispatcher)
    after = scrape(client)
    unavailable = dict(channel="push", reason="unavailableerror")
    retried = total(after, "gsv_deliveries_total", outcome="retry", **unavailable) - total(
        before, "gsv_deliveries_total", outcome="retry", **unavailable
    )
    failed = total(after, "gsv_deliveries_total", outcome="failed", **unavailable) - total(
        before, "gsv_deliveries_total", outcome="failed", **unavailable
    )
    assert (retried, failed) == (2, 2)  # two phones: a retry each, then given up


def test_the_oldest_due_row_ages_until_it_is_sent(app, client, street, post_tip):
    post_tip(street["reporter"], "burglary")
    with app.app_context():
        db.session.execute(update(Delivery).values(next_attempt_at=utcnow() - timedelta(minutes=5)))
        db.session.commit()
    samples = scrape(client)
    assert value(samples, "gsv_outbox_due", channel="push") == 2
    assert 299 < value(samples, "gsv_outbox_oldest_due_age_seconds", channel="push") < 400
    assert value(samples, "gsv_outbox_pending", channel="email") == 0


def test_an_email_is_counted_on_its_own_channel(app, client, dispatcher, make_user):
    user = make_user()
    before = scrape(client)
    response = client.post("/api/v1/auth/password-reset", json={"email": user.email})
    assert response.status_code == 202, response.get_data(as_text=True)
    assert value(scrape(client), "gsv_outbox_pending", channel="email") == 1
    send_all(app, dispatcher)
    after = scrape(client)
    sent = dict(channel="email", outcome="sent", reason="none")
    assert (
        value(after, "gsv_deliveries_total", **sent)
        == value(before, "gsv_deliveries_total", **sent) + 1
    )
    assert (
        total(after, "gsv_send_duration_seconds_count", channel="email")
        == total(before, "gsv_send_duration_seconds_count", channel="email") + 1
    )
