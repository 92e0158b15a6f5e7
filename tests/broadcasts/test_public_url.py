"""Links in the public documents (Atom, CAP, iCalendar) are built from GSV_PUBLIC_URL, never
from the Host header a request carries; CAP's <web> is a page anyone can open."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import feedparser
import pytest
from icalendar import Calendar
from lxml import etree

from grannsamverkan import create_app
from grannsamverkan.feeds.cap import CAP_NS
from grannsamverkan.geo.coarsen import is_coarse
from tests.broadcasts.conftest import API, SPOT, training, warning
from tests.conftest import _test_config

PUBLIC_URL = "https://grannsamverkan.example.se"
EVIL = {"Host": "evil.example"}
NS = {"cap": CAP_NS}


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return {**push_config, "GSV_PUBLIC_URL": PUBLIC_URL + "/"}


def _documents(client: Any, town: Any, send: Any) -> dict[str, Any]:
    """The Atom feed, a CAP alert and a calendar file, each fetched with a forged Host."""
    fraud = send(town.police, warning(target={"municipality_codes": ["0884"]}))
    event = send(town.police, training())
    responses = {
        "atom": client.get(f"{API}/feeds/warnings.atom?municipality_code=0884", headers=EVIL),
        "cap": client.get(f"{API}/broadcasts/{fraud['id']}/cap.xml", headers=EVIL),
        "ics": client.get(f"{API}/broadcasts/{event['id']}/event.ics", headers=EVIL),
    }
    for name, response in responses.items():
        assert response.status_code == 200, (name, response.get_data(as_text=True))
        assert b"evil.example" not in response.data, name
    cap = etree.fromstring(responses["cap"].data)
    [vevent] = Calendar.from_ical(responses["ics"].data).walk("VEVENT")
    return {
        "fraud_id": fraud["id"],
        "event_id": event["id"],
        "atom": feedparser.parse(responses["atom"].data),
        "cap_sender": cap.xpath("cap:sender/text()", namespaces=NS),
        "cap_web": cap.xpath("cap:info/cap:web/text()", namespaces=NS),
        "cap_area": cap.xpath("cap:info/cap:area/cap:areaDesc/text()", namespaces=NS),
        "uid": str(vevent["uid"]),
    }


def _check_links(documents: dict[str, Any], base: str) -> None:
    host = urlsplit(base).hostname
    feed = documents["atom"]
    assert feed.feed.id == f"{base}/api/v1/feeds/warnings.atom?municipality_code=0884"
    assert [link.href for link in feed.feed.links] == [feed.feed.id]
    [entry] = feed.entries
    assert entry.id.startswith(f"tag:{host},")
    assert [link.href for link in entry.links] == [
        f"{base}/api/v1/broadcasts/{documents['fraud_id']}/cap.xml"
    ]
    assert documents["cap_sender"] == [f"polisen@{host}"]
    assert documents["cap_web"] == [f"{base}/api/v1/warnings/{documents['fraud_id']}"] * 2
    assert documents["uid"] == f"broadcast-{documents['event_id']}@{host}"


def test_documents_link_the_public_url_whatever_the_host(client, town, send):
    documents = _documents(client, town, send)
    _check_links(documents, PUBLIC_URL)
    assert documents["atom"].feed.title == "Varningar – Vimmerby kommun"
    assert documents["cap_area"] == ["Vimmerby kommun", "Vimmerby Municipality"]


@pytest.mark.parametrize("app_config", [{"GSV_PUBLIC_URL": None}])
def test_without_a_public_url_documents_link_localhost(client, town, send):
    _check_links(_documents(client, town, send), "http://localhost")


def test_without_a_public_url_the_app_warns_at_start(database_urls, caplog):
    with caplog.at_level(logging.WARNING, logger="grannsamverkan"):
        app = create_app({**_test_config(database_urls["sqlite"]), "GSV_PUBLIC_URL": None})
    assert app.config["GSV_PUBLIC_URL"] == "http://localhost"
    assert any("GSV_PUBLIC_URL is not set" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "wrong", ["grannsamverkan.example.se", "ftp://example.se", "https://", "https://x.se/?a=1"]
)
def test_a_malformed_public_url_stops_the_app_from_starting(database_urls, wrong):
    with pytest.raises(ValueError, match="GSV_PUBLIC_URL"):
        create_app({**_test_config(database_urls["sqlite"]), "GSV_PUBLIC_URL": wrong})


def test_the_cap_web_link_is_a_public_page_of_what_the_warning_publishes(client, town, send):
    circle = {"lat": SPOT[0] + 0.00031, "lon": SPOT[1] + 0.00047, "radius_m": 1500}
    fraud = send(
        town.police,
        warning(target={"area_ids": [town.storgatan.id], "circle": circle}),
    )
    cap = etree.fromstring(client.get(f"{API}/broadcasts/{fraud['id']}/cap.xml").data)
    [web, _] = cap.xpath("cap:info/cap:web/text()", namespaces=NS)
    page = client.get(urlsplit(web).path)  # no token
    assert page.status_code == 200, page.get_data(as_text=True)
    body = page.get_json()
    assert set(body) == {
        "id", "title", "body", "severity", "status", "sequence", "created_at", "updated_at",
        "expires_at", "municipalities", "area_names", "circle", "cap_url",
    }  # fmt: skip
    assert body["id"] == fraud["id"]
    assert body["title"] == "Falska poliser ringer äldre"
    assert body["municipalities"] == [{"code": "0884", "name": "Vimmerby kommun"}]
    assert body["area_names"] == ["Storgatan"]
    assert body["circle"]["radius_m"] == 1500
    assert is_coarse(body["circle"]["lat"], body["circle"]["lon"])
    assert body["cap_url"] == f"{PUBLIC_URL}/api/v1/broadcasts/{fraud['id']}/cap.xml"


def test_only_fraud_warnings_have_a_public_page(client, town, send):
    event = send(town.police, training())
    notice = send(town.police, warning(kind="notice", title="Möte i Stadshuset"))
    for broadcast_id in (event["id"], notice["id"], 999_999):
        assert client.get(f"{API}/warnings/{broadcast_id}").status_code == 404
