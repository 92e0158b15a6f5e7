"""Importing the police's public events: the odd time format, duplicates, unknown places,
malformed entries, server errors; the public feeds; the opted-in members' inboxes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Delivery, PoliceEvent
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.chores import wait_for_background_chores
from grannsamverkan.services import police_events
from grannsamverkan.services.police_events import import_when_due, parse_event
from mobile_client_stub.client import GrannsamverkanClient
from tests.conftest import problem_of
from tests.fakes.police_events import event, samples
from tests.stub.conftest import serve


def _import(app):
    return app.test_cli_runner().invoke(args=["import", "police-events"])


def _stored(app) -> dict[int, PoliceEvent]:
    with app.app_context():
        rows = {e.id: e for e in db.session.scalars(select(PoliceEvent))}
        db.session.expunge_all()
        return rows


def test_the_feeds_time_format_is_read_as_written():
    raw = event(1, "Vimmerby", datetime(2024, 1, 5, 8, 12, 44, tzinfo=UTC))
    assert raw["datetime"] == "2024-01-05 9:12:44 +01:00"  # the fake writes as the police do
    parsed = parse_event(raw, base_url="https://polisen.se/api/events")
    assert parsed.occurred_at == datetime(2024, 1, 5, 8, 12, 44, tzinfo=UTC)
    assert parsed.url == "https://polisen.se/aktuellt/handelser/2024/1/"
    summer = parse_event({**raw, "datetime": "2024-07-05 23:59:01 +02:00"}, base_url="")
    assert summer.occurred_at == datetime(2024, 7, 5, 21, 59, 1, tzinfo=UTC)


def test_import_keeps_each_event_of_the_configured_municipalities_once(app, police_feed):
    police_feed.events = samples(utcnow())
    result = _import(app)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        "police events: 7 fetched, 2 new, 1 already known, 1 elsewhere, "
        "1 of unknown place, 2 malformed"
    )
    stored = _stored(app)
    assert set(stored) == {501, 502}
    assert stored[501].municipality_code == "0884"
    assert stored[501].url.endswith("/aktuellt/handelser/" + f"{utcnow():%Y}/501/")
    assert police_feed.seen == [{"locationname": "Vimmerby"}]

    again = _import(app)
    assert "0 new, 3 already known" in again.output
    assert set(_stored(app)) == {501, 502}


@pytest.mark.parametrize("mode", ["error500", "garbage", "not_a_list"])
def test_a_failing_feed_stops_the_import_and_stores_nothing(app, police_feed, mode):
    police_feed.events = samples(utcnow())
    police_feed.mode = mode
    result = _import(app)
    assert result.exit_code != 0
    assert "the police events feed failed" in result.output
    assert _stored(app) == {}


def test_the_worker_imports_once_per_interval(app, police_feed):
    police_feed.events = samples(utcnow())
    now = utcnow()
    with app.app_context():
        import_when_due(now)
        db.session.commit()
        import_when_due(now + timedelta(minutes=5))  # GSV_POLICE_EVENTS_INTERVAL_S: 10 min
        assert len(police_feed.seen) == 1
        import_when_due(now + timedelta(minutes=11))
        assert len(police_feed.seen) == 2
    assert set(_stored(app)) == {501, 502}


def test_the_public_feed_lists_a_municipalitys_events_without_a_point(client, app, police_feed):
    police_feed.events = samples(utcnow())
    _import(app)
    response = client.get("/api/v1/police-events?municipality_code=0884")
    assert response.status_code == 200
    items = response.get_json()["items"]
    assert [i["id"] for i in items] == [501, 502]  # newest first
    assert set(items[0]) == {
        "id",
        "datetime",
        "name",
        "summary",
        "url",
        "type",
        "location_name",
        "municipality_code",
    }
    assert "57.665879" not in response.get_data(as_text=True)
    empty = client.get("/api/v1/police-events?municipality_code=0860")
    assert empty.get_json()["items"] == []
    problem_of(client.get("/api/v1/police-events"), 422)
    problem_of(client.get("/api/v1/police-events?municipality_code=88"), 422)


def test_the_atom_feed_links_the_polices_pages(client, app, police_feed):
    police_feed.events = samples(utcnow())
    _import(app)
    response = client.get("/api/v1/feeds/police-events.atom?municipality_code=0884")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"
    parsed = feedparser.parse(response.data)
    assert parsed.bozo == 0
    assert parsed.feed.title == "Polisens händelser – Vimmerby kommun"
    assert [e.id for e in parsed.entries] == [
        "tag:polisen.se,2000:event/501",
        "tag:polisen.se,2000:event/502",
    ]
    assert parsed.entries[0].link.endswith("/501/")
    assert "georss" not in response.get_data(as_text=True)
    assert "57.665879" not in response.get_data(as_text=True)


def test_opted_in_members_get_fresh_events_in_their_inbox_without_a_push(
    app, client, make_user, make_area, add_member, add_device, police_feed
):
    area = make_area()
    reader, other = make_user(), make_user()
    for member in (reader, other):
        add_member(member, area)
        add_device(member, f"phone-{member.id}")
    answer = client.patch("/api/v1/me", json={"police_events": True}, headers=reader.headers)
    assert answer.status_code == 200
    assert answer.get_json()["police_events"] is True
    assert client.get("/api/v1/me", headers=other.headers).get_json()["police_events"] is False
    police_feed.events = samples(utcnow())
    _import(app)

    (item,) = client.get("/api/v1/alerts", headers=reader.headers).get_json()["items"]
    assert item["kind"] == "police_event"
    assert item["location"] is None
    assert item["title"].endswith("Skadegörelse, Vimmerby")
    assert item["url"].endswith("/501/")
    assert client.get("/api/v1/alerts", headers=other.headers).get_json()["items"] == []
    with app.app_context():
        assert db.session.scalar(select(func.count(Delivery.id))) == 0  # no push
        assert db.session.scalar(select(func.count(Alert.id))) == 1
    _import(app)  # a repeated import brings nothing twice
    assert len(client.get("/api/v1/alerts", headers=reader.headers).get_json()["items"]) == 1


def test_the_opt_in_is_a_boolean(client, make_user):
    member = make_user()
    response = client.patch("/api/v1/me", json={"police_events": "maybe"}, headers=member.headers)
    assert "police_events" in problem_of(response, 422)["errors"]


def test_without_configured_municipalities_nothing_is_fetched(app, police_feed):
    app.config["GSV_POLICE_EVENTS_MUNICIPALITIES"] = None
    with app.app_context():
        assert police_events.import_police_events(app.config, now=utcnow()).fetched == 0
        import_when_due(utcnow())
    assert police_feed.seen == []
    assert "not set" in _import(app).output


def test_the_stub_client_reads_both_feeds(app, police_feed):
    police_feed.events = samples(utcnow())
    _import(app)
    for url in serve(app):
        with GrannsamverkanClient(url) as phone:
            page = phone.police_events("0884", limit=1)
            assert [e["id"] for e in page["items"]] == [501]
            assert page["next_cursor"]
            assert "tag:polisen.se,2000:event/502" in phone.police_events_atom("0884")


def test_the_apps_dispatcher_imports_in_the_background(app, dispatcher, police_feed):
    police_feed.events = samples(utcnow())
    with app.app_context():
        dispatcher.run_until_idle()
        dispatcher.run_until_idle()  # within the interval: not again
    wait_for_background_chores()
    assert set(_stored(app)) == {501, 502}
    assert len(police_feed.seen) == 1


def test_a_failing_feed_in_the_worker_is_one_warning(app, dispatcher, police_feed, caplog):
    police_feed.mode = "error500"
    with app.app_context():
        dispatcher.run_until_idle()
    wait_for_background_chores()
    (record,) = [r for r in caplog.records if "police events" in r.getMessage()]
    assert record.levelname == "WARNING"
    assert "500" in record.getMessage()
    assert record.exc_info is None
