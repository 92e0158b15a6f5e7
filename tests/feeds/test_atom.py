"""The Atom feed of warnings: well-formed for feed readers, one entry per given broadcast."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser

from grannsamverkan.feeds.atom import entry_id, warnings_atom
from tests.feeds.conftest import CREATED, MakeDoc

BASE_URL = "https://grannsamverkan.example"
FEED_URL = f"{BASE_URL}/api/v1/feeds/warnings.atom?municipality_code=0884"
UPDATED = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def test_feed_lists_exactly_the_given_docs_with_their_cap_links(make_doc: MakeDoc) -> None:
    docs = [
        make_doc(),
        make_doc(
            broadcast_id=7,
            kind="notice",
            title="Inbrott i förråd & garage",
            body="Lås förråden <särskilt> nattetid.\x0c",
            sequence=1,
            status="updated",
            updated_at=CREATED + timedelta(hours=3),
        ),
    ]
    xml = warnings_atom(
        docs, base_url=BASE_URL, feed_url=FEED_URL, title="Varningar – Vimmerby", updated=UPDATED
    )
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == FEED_URL
    assert parsed.feed.title == "Varningar – Vimmerby"
    assert parsed.feed.updated == "2026-11-27T09:30:00Z"
    assert [link.href for link in parsed.feed.links if link.rel == "self"] == [FEED_URL]
    assert parsed.feed.author == "Grannsamverkan"

    assert [entry.title for entry in parsed.entries] == [
        "Falska poliser ringer äldre",
        "Inbrott i förråd & garage",
    ]
    assert [entry.id for entry in parsed.entries] == [
        "tag:grannsamverkan.example,2026-11-26:broadcast/42",
        "tag:grannsamverkan.example,2026-11-26:broadcast/7",
    ]
    assert [
        [(link.rel, link.type, link.href) for link in entry.links] for entry in parsed.entries
    ] == [
        [("alternate", "application/cap+xml", f"{BASE_URL}/api/v1/broadcasts/42/cap.xml")],
        [("alternate", "application/cap+xml", f"{BASE_URL}/api/v1/broadcasts/7/cap.xml")],
    ]
    assert [entry.tags[0].term for entry in parsed.entries] == ["fraud_warning", "notice"]
    assert parsed.entries[1].summary == "Lås förråden <särskilt> nattetid."
    assert parsed.entries[1].updated == "2026-11-26T21:00:00Z"


def test_empty_feed_is_valid() -> None:
    xml = warnings_atom(
        [], base_url=BASE_URL, feed_url=FEED_URL, title="Varningar", updated=UPDATED
    )
    parsed = feedparser.parse(xml)
    assert parsed.bozo == 0
    assert parsed.entries == []


def test_entry_id_is_stable_across_versions(make_doc: MakeDoc) -> None:
    first = make_doc()
    later = make_doc(sequence=3, status="updated", updated_at=CREATED + timedelta(days=2))
    assert entry_id(first, base_url=BASE_URL) == entry_id(later, base_url=BASE_URL + "/")
