"""Broadcasts reach the right phones through the real dispatcher and the push sink: the
warning, its updates and its cancellation, quiet hours, promotions and reminders."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import AlertRecipient, Broadcast, Delivery
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.runner import EXTENSION, dispatcher_for
from grannsamverkan.services import alerts as alerts_service
from grannsamverkan.services.broadcasts import queue_due_reminders
from tests.broadcasts.conftest import API, training, warning
from tests.conftest import send_all
from tests.tips.conftest import quiet_hours_around_now

ALL_PHONES = (
    "anna-phone",
    "bertil-phone",
    "bertil-tablet",
    "cecilia-phone",
    "doris-phone",
    "erik-phone",
    "frida-phone",
    "resident-phone",
    "police-phone",
)


def _trays(sink):
    return {token: sink.tray(token) for token in ALL_PHONES}


def _inbox(client, actor):
    response = client.get(f"{API}/alerts", headers=actor.headers)
    assert response.status_code == 200
    return response.get_json()["items"]


def test_warning_reaches_every_member_phone_in_the_municipality_and_no_other(
    app, client, sink, dispatcher, town, send
):
    answer = send(town.police, warning())
    # anna, bertil (two phones: one person), cecilia and doris (protected, area-wide).
    assert answer["recipient_count"] == 4
    send_all(app, dispatcher)

    trays = _trays(sink)
    for token in town.vimmerby_phones:
        assert len(trays[token]) == 1, token
        data = trays[token][0]["data"]
        assert data["alert_id"] == str(answer["alert_id"])
        assert data["broadcast_id"] == str(answer["id"])
        assert data["kind"] == "broadcast"
        assert data["status"] == "active"
        assert data["purpose"] == "alert"
        assert data["title"] == "Falska poliser ringer äldre"
        assert "114 14" in data["body"]
    # Pending member, another municipality, no area, and the author: nothing.
    for token in ("erik-phone", "frida-phone", "resident-phone", "police-phone"):
        assert trays[token] == [], token

    for actor in (town.anna, town.doris):
        [item] = _inbox(client, actor)
        assert item["id"] == answer["alert_id"]
        assert item["kind"] == "broadcast"
        assert item["title"] == "Falska poliser ringer äldre"
    assert _inbox(client, town.frida) == []


def test_updates_and_cancel_reach_the_same_phones_and_the_inbox(
    app, client, sink, dispatcher, town, send
):
    answer = send(town.police, warning())
    send_all(app, dispatcher)
    url = f"{API}/broadcasts/{answer['id']}"

    r = client.patch(url, json={"title": "Falska poliser ringer igen"}, headers=town.police.headers)
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.get_json()["status"] == "updated"
    assert r.get_json()["sequence"] == 1
    send_all(app, dispatcher)
    [item] = _inbox(client, town.anna)
    assert (item["status"], item["title"]) == ("updated", "Falska poliser ringer igen")

    # A second update: a push of its own, not swallowed by the first one's outbox key.
    r = client.patch(
        url, json={"body": "Ring 114 14 om du är osäker."}, headers=town.police.headers
    )
    assert r.get_json()["sequence"] == 2
    send_all(app, dispatcher)

    r = client.post(f"{url}/cancel", headers=town.police.headers)
    assert r.status_code == 200
    assert (r.get_json()["status"], r.get_json()["sequence"]) == ("cancelled", 3)
    send_all(app, dispatcher)
    [item] = _inbox(client, town.anna)
    assert item["status"] == "cancelled"

    for token in town.vimmerby_phones:
        tray = sink.tray(token)
        assert [m["data"]["alert_id"] for m in tray] == [str(answer["alert_id"])] * 4
        assert [m["data"]["status"] for m in tray] == ["active", "updated", "updated", "cancelled"]
        assert [m["data"]["purpose"] for m in tray] == ["alert", "update", "update", "cancel"]
        assert all(m["data"]["broadcast_id"] == str(answer["id"]) for m in tray)
    cecilia = sink.tray("cecilia-phone")
    assert cecilia[1]["data"]["title"] == "Update: Falska poliser ringer igen"
    assert cecilia[3]["data"]["title"] == "All clear: Falska poliser ringer igen"
    for token in ("frida-phone", "erik-phone", "police-phone"):
        assert sink.tray(token) == []

    # Cancelled is final.
    assert client.post(f"{url}/cancel", headers=town.police.headers).status_code == 409
    assert client.patch(url, json={"title": "x"}, headers=town.police.headers).status_code == 409


def test_quiet_hours_hold_a_warning_silent_but_a_severe_one_rings(
    app, client, sink, dispatcher, town, send
):
    start, end = quiet_hours_around_now()
    client.patch(
        f"{API}/me", json={"quiet_hours": {"start": start, "end": end}}, headers=town.anna.headers
    )
    moderate = send(town.police, warning(severity="moderate"))
    severe = send(town.police, warning(severity="severe", title="Bluff-sms från banken"))
    send_all(app, dispatcher)

    with app.app_context():
        silent = dict(
            db.session.execute(
                select(AlertRecipient.alert_id, AlertRecipient.silent).where(
                    AlertRecipient.user_id == town.anna.id
                )
            ).all()
        )
    assert silent == {moderate["alert_id"]: True, severe["alert_id"]: False}

    by_alert = {m["data"]["alert_id"]: m for m in sink.tray("anna-phone")}
    assert by_alert[str(moderate["alert_id"])]["android"]["priority"] == "normal"
    assert by_alert[str(severe["alert_id"])]["android"]["priority"] == "high"
    # Outside quiet hours a severe warning rings too.
    bertil = {m["data"]["alert_id"]: m for m in sink.tray("bertil-phone")}
    assert bertil[str(severe["alert_id"])]["android"]["priority"] == "high"


def test_promotion_from_the_waiting_list_is_pushed(app, client, sink, dispatcher, town, send):
    event = send(town.police, training(capacity=1))
    rsvp = f"{API}/broadcasts/{event['id']}/rsvp"
    assert client.post(rsvp, headers=town.anna.headers).get_json() == {"status": "confirmed"}
    assert client.post(rsvp, headers=town.cecilia.headers).get_json() == {"status": "waitlisted"}
    send_all(app, dispatcher)
    assert [m["data"]["purpose"] for m in sink.tray("cecilia-phone")] == ["alert"]

    assert client.delete(rsvp, headers=town.anna.headers).status_code == 204
    send_all(app, dispatcher)
    tray = sink.tray("cecilia-phone")
    assert [m["data"]["purpose"] for m in tray] == ["alert", "promotion"]
    assert tray[1]["data"]["alert_id"] == str(event["alert_id"])
    assert tray[1]["data"]["broadcast_id"] == str(event["id"])
    assert tray[1]["data"]["title"] == "You have a place: Kurs i hjärt-lungräddning"
    assert [m["data"]["purpose"] for m in sink.tray("anna-phone")] == ["alert"]

    # Promoted a second time (after giving the place up and queueing anew): told again.
    assert client.post(rsvp, headers=town.anna.headers).get_json() == {"status": "waitlisted"}
    assert client.delete(rsvp, headers=town.cecilia.headers).status_code == 204  # anna moves up
    assert client.post(rsvp, headers=town.cecilia.headers).get_json() == {"status": "waitlisted"}
    assert client.delete(rsvp, headers=town.anna.headers).status_code == 204  # cecilia again
    send_all(app, dispatcher)
    assert [m["data"]["purpose"] for m in sink.tray("anna-phone")] == ["alert", "promotion"]
    purposes = [m["data"]["purpose"] for m in sink.tray("cecilia-phone")]
    assert purposes == ["alert", "promotion", "promotion"]


def test_reminder_is_sent_exactly_once_with_two_dispatchers(
    app, client, sink, dispatcher, town, send
):
    event = send(town.police, training(capacity=1, starts_in_h=5))
    rsvp = f"{API}/broadcasts/{event['id']}/rsvp"
    assert client.post(rsvp, headers=town.anna.headers).get_json() == {"status": "confirmed"}
    assert client.post(rsvp, headers=town.bertil.headers).get_json() == {"status": "waitlisted"}

    runner = app.extensions[EXTENSION]
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def run() -> None:
        try:
            with app.app_context():
                other = dispatcher_for(app, runner.sender)
                barrier.wait()
                for _ in range(3):
                    other.run_until_idle()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    send_all(app, dispatcher)

    reminders = [m for m in sink.all_messages() if m["data"]["purpose"] == "reminder"]
    assert len(reminders) == 1  # anna's one phone; bertil is only on the waiting list
    assert reminders[0]["token"] == "anna-phone"
    assert reminders[0]["data"]["title"] == "Påminnelse: Kurs i hjärt-lungräddning"
    with app.app_context():
        assert db.session.get(Broadcast, event["id"]).reminder_sent_at is not None
        assert queue_due_reminders(utcnow()) == 0


def test_reminder_waits_until_a_day_before_and_follows_a_new_time(
    app, client, sink, dispatcher, town, send
):
    event = send(town.police, training(starts_in_h=48))
    client.post(f"{API}/broadcasts/{event['id']}/rsvp", headers=town.anna.headers)
    send_all(app, dispatcher)
    assert [m["data"]["purpose"] for m in sink.tray("anna-phone")] == ["alert"]
    with app.app_context():
        # A day before the start (the clock moved on), the reminder is queued; not again.
        assert queue_due_reminders(utcnow() + timedelta(hours=25)) == 1
        assert queue_due_reminders(utcnow() + timedelta(hours=26)) == 0
        db.session.commit()
    # Moving the event asks for a reminder of the new time (it starts within a day).
    starts = utcnow().replace(microsecond=0) + timedelta(hours=3)
    r = client.patch(
        f"{API}/broadcasts/{event['id']}",
        json={
            "event": {
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=1)).isoformat(),
            }
        },
        headers=town.police.headers,
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    send_all(app, dispatcher)
    purposes = [m["data"]["purpose"] for m in sink.tray("anna-phone")]
    assert purposes == ["alert", "reminder", "update", "reminder"]
    with app.app_context():
        rows = db.session.scalars(
            select(Delivery.purpose).where(Delivery.purpose.like("reminder%"))
        ).all()
    assert sorted(rows) == ["reminder-0", "reminder-1"]


def test_a_second_dispatcher_skips_an_event_being_reminded(app, client, town, send):
    """While one transaction holds an event's reminder (not yet committed), another finds
    nothing to do: SKIP LOCKED on PostgreSQL, the write lock on SQLite."""
    send(town.police, training(starts_in_h=5))
    held, results = threading.Event(), {}

    def first() -> None:
        with app.app_context():
            results["first"] = queue_due_reminders(utcnow())
            held.set()
            time.sleep(0.5)
            db.session.commit()

    def second() -> None:
        held.wait(10)
        with app.app_context():
            results["second"] = queue_due_reminders(utcnow())
            db.session.commit()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results == {"first": 1, "second": 0}


def test_large_recipient_lists_are_written_in_slices(
    app, client, sink, dispatcher, town, send, monkeypatch
):
    monkeypatch.setattr(alerts_service, "CHUNK", 2)
    answer = send(town.police, warning())
    assert answer["recipient_count"] == 4
    client.patch(
        f"{API}/broadcasts/{answer['id']}", json={"title": "Ny"}, headers=town.police.headers
    )
    send_all(app, dispatcher)
    for token in town.vimmerby_phones:
        assert [m["data"]["purpose"] for m in sink.tray(token)] == ["alert", "update"], token


def test_an_event_less_than_a_day_away_reminds_those_who_answer_later(
    app, client, sink, dispatcher, town, send
):
    """The sweep right after an event created 5 hours before its start finds nobody
    confirmed; those who answer afterwards (or move up the waiting list) still get the
    reminder, once."""
    event = send(town.police, training(capacity=1, starts_in_h=5))
    send_all(app, dispatcher)  # runs the reminder sweep: nobody has answered yet
    with app.app_context():
        assert db.session.get(Broadcast, event["id"]).reminder_sent_at is not None
    rsvp = f"{API}/broadcasts/{event['id']}/rsvp"
    assert client.post(rsvp, headers=town.anna.headers).get_json() == {"status": "confirmed"}
    assert client.post(rsvp, headers=town.bertil.headers).get_json() == {"status": "waitlisted"}
    send_all(app, dispatcher)
    assert [m["data"]["purpose"] for m in sink.tray("anna-phone")] == ["alert", "reminder"]
    assert [m["data"]["purpose"] for m in sink.tray("bertil-phone")] == ["alert"]
    # Anna gives up her place: Bertil moves up, is told, and is reminded too.
    assert client.delete(rsvp, headers=town.anna.headers).status_code == 204
    send_all(app, dispatcher)
    assert [m["data"]["purpose"] for m in sink.tray("bertil-phone")] == [
        "alert",
        "promotion",
        "reminder",
    ]
    # Anna answers again (now waitlisted, then nothing more): no second reminder.
    client.post(rsvp, headers=town.anna.headers)
    send_all(app, dispatcher)
    assert [m["data"]["purpose"] for m in sink.tray("anna-phone")] == ["alert", "reminder"]
