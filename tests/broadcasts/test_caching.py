"""Conditional GETs (api/caching.py): GET /alerts and GET /broadcasts/{id} answer with a weak
ETag and ``Cache-Control: private, no-cache``; the same ETag in If-None-Match gets a 304 with
no body until anything the caller would see changes: a new alert, a read mark, an update or
cancellation, an RSVP, an expiry. The ETag names the caller: nobody gets another's 304."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert
from grannsamverkan.models.types import utcnow
from tests.broadcasts.conftest import API, training, warning

ALERTS = f"{API}/alerts"


def fetch(client: Any, url: str, actor: Any, etag: str | None = None) -> Any:
    headers = dict(actor.headers)
    if etag is not None:
        headers["If-None-Match"] = etag
    return client.get(url, headers=headers)


def assert_current(client: Any, url: str, actor: Any, etag: str) -> None:
    """The copy with ``etag`` is current: 304, no body, the validators repeated."""
    again = fetch(client, url, actor, etag)
    assert again.status_code == 304, again.get_data(as_text=True)
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, no-cache"


def first_copy(client: Any, url: str, actor: Any) -> tuple[Any, str]:
    """A 200 with its validators, checked to revalidate as current at once."""
    answer = fetch(client, url, actor)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    etag = answer.headers["ETag"]
    assert etag.startswith('W/"')
    assert answer.headers["Cache-Control"] == "private, no-cache"
    assert answer.headers["Vary"] == "Authorization"
    assert_current(client, url, actor, etag)
    return answer.get_json(), etag


def assert_changed(client: Any, url: str, actor: Any, etag: str) -> tuple[Any, str]:
    """The copy with ``etag`` is stale: a full 200 with a new ETag."""
    answer = fetch(client, url, actor, etag)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.headers["ETag"] != etag
    return answer.get_json(), answer.headers["ETag"]


def test_inbox_revalidates_until_a_new_alert_arrives(client, town, send):
    send(town.police, warning(title="Första varningen"))
    page, etag = first_copy(client, ALERTS, town.anna)
    assert [item["title"] for item in page["items"]] == ["Första varningen"]

    send(town.police, warning(title="Andra varningen"))

    page, _ = assert_changed(client, ALERTS, town.anna, etag)
    assert [item["title"] for item in page["items"]] == ["Andra varningen", "Första varningen"]


def test_inbox_etag_changes_when_an_alert_is_read(client, town, send):
    sent = send(town.police, warning())
    _, etag = first_copy(client, ALERTS, town.anna)

    read = client.post(f"{ALERTS}/{sent['alert_id']}/read", headers=town.anna.headers)
    assert read.status_code == 204

    page, etag = assert_changed(client, ALERTS, town.anna, etag)
    assert page["items"][0]["read_at"] is not None
    assert_current(client, ALERTS, town.anna, etag)


def test_update_and_cancel_change_the_inbox_and_the_broadcast(client, town, send):
    sent = send(town.police, warning())
    url = f"{API}/broadcasts/{sent['id']}"
    _, inbox_etag = first_copy(client, ALERTS, town.anna)
    _, broadcast_etag = first_copy(client, url, town.anna)

    changed = client.patch(url, json={"title": "Ny rubrik"}, headers=town.police.headers)
    assert changed.status_code == 200, changed.get_data(as_text=True)

    page, inbox_etag = assert_changed(client, ALERTS, town.anna, inbox_etag)
    assert (page["items"][0]["status"], page["items"][0]["title"]) == ("updated", "Ny rubrik")
    view, broadcast_etag = assert_changed(client, url, town.anna, broadcast_etag)
    assert view["title"] == "Ny rubrik"

    cancelled = client.post(f"{url}/cancel", headers=town.police.headers)
    assert cancelled.status_code == 200

    page, _ = assert_changed(client, ALERTS, town.anna, inbox_etag)
    assert page["items"][0]["status"] == "cancelled"
    view, _ = assert_changed(client, url, town.anna, broadcast_etag)
    assert view["status"] == "cancelled"


def test_an_expired_alert_changes_the_inbox(app, client, town, send):
    send(town.police, warning(title="Kvar"))
    going = send(town.police, warning(title="Snart borta"))
    _, etag = first_copy(client, ALERTS, town.anna)

    with app.app_context():  # as if its expiry had passed: the row itself is not touched
        db.session.execute(
            update(Alert)
            .where(Alert.id == going["alert_id"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
        db.session.commit()

    page, _ = assert_changed(client, ALERTS, town.anna, etag)
    assert [item["title"] for item in page["items"]] == ["Kvar"]


def test_another_caller_never_gets_a_304_for_a_copy_not_theirs(client, town, send):
    sent = send(town.police, warning())
    url = f"{API}/broadcasts/{sent['id']}"
    for path in (ALERTS, url):
        _, anna_etag = first_copy(client, path, town.anna)
        # Bertil reached by the same warning has the same inbox and view, but not Anna's copy.
        answer = fetch(client, path, town.bertil, anna_etag)
        assert answer.status_code == 200
        assert answer.headers["ETag"] != anna_etag
    # Signed out, a valid ETag gets the 401, never a 304.
    signed_out = client.get(ALERTS, headers={"If-None-Match": anna_etag})
    assert signed_out.status_code == 401


def test_pages_of_the_inbox_have_their_own_etags(client, town, send):
    for n in range(3):
        send(town.police, warning(title=f"Varning {n}"))
    first, etag = first_copy(client, f"{ALERTS}?limit=2", town.anna)
    second = fetch(client, f"{ALERTS}?limit=2&cursor={first['next_cursor']}", town.anna, etag)
    assert second.status_code == 200
    assert [item["title"] for item in second.get_json()["items"]] == ["Varning 0"]


def test_an_rsvp_changes_the_event_for_everyone_who_sees_its_counts(client, town, send):
    event = send(town.police, training(capacity=1))
    url = f"{API}/broadcasts/{event['id']}"
    _, anna_etag = first_copy(client, url, town.anna)
    _, police_etag = first_copy(client, url, town.police)

    taken = client.post(f"{url}/rsvp", headers=town.bertil.headers)
    assert taken.status_code == 201

    view, _ = assert_changed(client, url, town.anna, anna_etag)
    assert (view["confirmed"], view["my_rsvp"]) == (1, None)
    view, _ = assert_changed(client, url, town.police, police_etag)
    assert view["confirmed"] == 1


def test_the_openapi_document_declares_the_304(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    for path in ("/api/v1/alerts", "/api/v1/broadcasts/{broadcast_id}"):
        operation = paths[path]["get"]
        assert "304" in operation["responses"], path
        assert "ETag" in operation["responses"]["200"]["headers"], path
        assert "If-None-Match" in [p["name"] for p in operation["parameters"]], path
