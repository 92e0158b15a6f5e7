"""The public documents from the API: CAP 1.2 (valid against the OASIS schema), iCalendar
and the Atom feed of active warnings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from icalendar import Calendar
from lxml import etree
from sqlalchemy import update

from grannsamverkan.extensions import db
from grannsamverkan.feeds.cap import CAP_NS
from grannsamverkan.geo.coarsen import is_coarse
from grannsamverkan.models import Broadcast
from tests.broadcasts.conftest import API, soon, training, warning

CAP_XSD = Path(__file__).parent.parent / "data" / "CAP-v1.2.xsd"
NS = {"cap": CAP_NS}


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(CAP_XSD)))


def _cap(client, broadcast_id, schema):
    response = client.get(f"{API}/broadcasts/{broadcast_id}/cap.xml")  # no token
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == "application/cap+xml"
    root = etree.fromstring(response.data)
    schema.assertValid(root)
    return root


def _text(root, path):
    return [str(t) for t in root.xpath(path + "/text()", namespaces=NS)]


def test_cap_alert_update_cancel_validate_and_reference_earlier_versions(
    client, town, send, cap_schema
):
    answer = send(town.police, warning(target={"municipality_codes": ["0884"]}))
    url = f"{API}/broadcasts/{answer['id']}"

    alert = _cap(client, answer["id"], cap_schema)
    assert _text(alert, "cap:msgType") == ["Alert"]
    assert _text(alert, "cap:references") == []
    assert _text(alert, "cap:info/cap:headline")[0] == "Falska poliser ringer äldre"
    assert _text(alert, "cap:info/cap:area/cap:geocode/cap:value")[0] == "0884"
    first_id = _text(alert, "cap:identifier")[0]
    first_sent = _text(alert, "cap:sent")[0]
    assert first_sent.endswith("+00:00")
    assert "." not in first_sent

    client.patch(url, json={"severity": "severe"}, headers=town.police.headers)
    updated = _cap(client, answer["id"], cap_schema)
    assert _text(updated, "cap:msgType") == ["Update"]
    assert _text(updated, "cap:info/cap:severity")[0] == "Severe"
    sender = _text(updated, "cap:sender")[0]
    assert _text(updated, "cap:references") == [f"{sender},{first_id},{first_sent}"]
    second_id = _text(updated, "cap:identifier")[0]
    assert second_id != first_id

    client.post(f"{url}/cancel", headers=town.police.headers)
    cancelled = _cap(client, answer["id"], cap_schema)
    assert _text(cancelled, "cap:msgType") == ["Cancel"]
    references = _text(cancelled, "cap:references")[0].split(" ")
    assert [r.split(",")[1] for r in references] == [first_id, second_id]


def test_cap_circle_is_coarsened_and_valid(client, town, send, cap_schema):
    answer = send(
        town.police,
        warning(target={"circle": {"lat": 57.66631, "lon": 15.85571, "radius_m": 800}}),
    )
    root = _cap(client, answer["id"], cap_schema)
    [circle] = _text(root, "cap:info[1]/cap:area/cap:circle")
    centre, radius_km = circle.split(" ")
    lat, lon = (float(x) for x in centre.split(","))
    assert is_coarse(lat, lon)
    assert radius_km == "0.8"


def test_cap_is_for_fraud_warnings_only(client, town, send):
    notice = send(town.police, warning(kind="notice"))
    event = send(town.police, training())
    for broadcast_id in (notice["id"], event["id"], 999_999):
        assert client.get(f"{API}/broadcasts/{broadcast_id}/cap.xml").status_code == 404


def test_ics_round_trips_and_sequence_grows(client, town, send):
    body = training()
    event = send(town.police, body)
    url = f"{API}/broadcasts/{event['id']}/event.ics"

    response = client.get(url)  # no token
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    [vevent] = calendar.events
    starts = datetime.fromisoformat(body["event"]["starts_at"])
    assert str(vevent["summary"]) == "Kurs i hjärt-lungräddning"
    assert str(vevent["location"]) == "Stadshuset, Vimmerby"
    assert vevent["dtstart"].dt == starts
    assert vevent["dtend"].dt == starts + timedelta(hours=2)
    assert int(vevent["sequence"]) == 0
    uid = str(vevent["uid"])
    # The public file carries the venue coarsened, like everything members see.
    geo = vevent["geo"]
    assert is_coarse(geo.latitude, geo.longitude)

    new_start = soon(days=5).replace(microsecond=0)
    r = client.patch(
        f"{API}/broadcasts/{event['id']}",
        json={
            "title": "HLR-kurs",
            "event": {
                "starts_at": new_start.isoformat(),
                "ends_at": (new_start + timedelta(hours=3)).isoformat(),
                "place": "Folkets hus, Vimmerby",
            },
        },
        headers=town.police.headers,
    )
    assert r.status_code == 200, r.get_data(as_text=True)
    [vevent] = Calendar.from_ical(client.get(url).data).events
    assert str(vevent["uid"]) == uid
    assert int(vevent["sequence"]) == 1
    assert str(vevent["summary"]) == "HLR-kurs"
    assert str(vevent["location"]) == "Folkets hus, Vimmerby"
    assert vevent["dtstart"].dt == new_start.astimezone(UTC)
    assert vevent["dtend"].dt == (new_start + timedelta(hours=3)).astimezone(UTC)

    client.post(f"{API}/broadcasts/{event['id']}/cancel", headers=town.police.headers)
    [vevent] = Calendar.from_ical(client.get(url).data).events
    assert int(vevent["sequence"]) == 2
    assert str(vevent["status"]) == "CANCELLED"


def test_ics_only_for_events(client, town, send):
    notice = send(town.police, warning(kind="notice"))
    assert client.get(f"{API}/broadcasts/{notice['id']}/event.ics").status_code == 404
    assert client.get(f"{API}/broadcasts/424242/event.ics").status_code == 404


def test_atom_lists_exactly_the_active_warnings(app, client, town, send, make_user):
    admin = make_user(role="admin")
    active = send(town.police, warning(title="Aktiv varning"))
    updated = send(town.police, warning(title="Uppdaterad varning"))
    client.patch(
        f"{API}/broadcasts/{updated['id']}", json={"body": "Ny text"}, headers=town.police.headers
    )
    cancelled = send(town.police, warning(title="Avblåst varning"))
    client.post(f"{API}/broadcasts/{cancelled['id']}/cancel", headers=town.police.headers)
    expired = send(town.police, warning(title="Gammal varning"))
    with app.app_context():
        db.session.execute(
            update(Broadcast)
            .where(Broadcast.id == expired["id"])
            .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
        )
        db.session.commit()
    send(town.police, warning(kind="notice", title="Meddelande"))
    send(town.police, training())
    elsewhere = send(
        town.other_police,
        warning(title="Varning i Hultsfred", target={"area_ids": [town.hultsfred.id]}),
    )
    both = send(
        admin, warning(title="Länsvarning", target={"municipality_codes": ["0884", "0860"]})
    )

    def feed(query: str = "") -> feedparser.FeedParserDict:
        response = client.get(f"{API}/feeds/warnings.atom{query}")  # no token
        assert response.status_code == 200
        assert response.mimetype == "application/atom+xml"
        parsed = feedparser.parse(response.data)
        assert parsed.bozo == 0, parsed.get("bozo_exception")
        return parsed

    vimmerby = feed("?municipality_code=0884")
    titles = sorted(entry.title for entry in vimmerby.entries)
    assert titles == ["Aktiv varning", "Länsvarning", "Uppdaterad varning"]
    for entry in vimmerby.entries:
        [link] = [link for link in entry.links if link.type == "application/cap+xml"]
        assert client.get(link.href.split("localhost", 1)[1]).status_code == 200

    assert sorted(e.title for e in feed("?municipality_code=0860").entries) == [
        "Länsvarning",
        "Varning i Hultsfred",
    ]
    assert len(feed().entries) == 4
    assert feed("?municipality_code=0999").entries == []
    assert client.get(f"{API}/feeds/warnings.atom?municipality_code=abc").status_code == 422
    ids = {int(e.id.rsplit("/", 1)[1]) for e in feed().entries}
    assert ids == {active["id"], updated["id"], elsewhere["id"], both["id"]}
