"""Atom 1.0 (RFC 4287) feed of the police's public events of one municipality, each entry
linking the event's page on polisen.se. No point, no georss: the police's ``gps`` is the
municipality's centre, not the place of the event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from lxml import etree

from grannsamverkan.feeds.atom import ATOM_NS, XML_LANG
from grannsamverkan.feeds.xmltext import utc, xml_text

POLICE_AUTHOR = "Polisen"
POLICE_URL = "https://polisen.se"


class EventEntry(Protocol):
    id: int
    occurred_at: datetime
    imported_at: datetime
    name: str
    summary: str
    url: str | None
    type: str


def police_events_atom(
    events: Iterable[EventEntry], *, feed_url: str, title: str, updated: datetime
) -> bytes:
    """One entry per event, in the order given (newest first)."""
    feed = etree.Element(_q("feed"), nsmap={None: ATOM_NS})
    feed.set(XML_LANG, "sv")
    _add(feed, "id", feed_url)
    _add(feed, "title", title)
    _add(feed, "updated", _atom_time(updated))
    etree.SubElement(feed, _q("link"), rel="self", type="application/atom+xml", href=feed_url)
    author = etree.SubElement(feed, _q("author"))
    _add(author, "name", POLICE_AUTHOR)
    _add(author, "uri", POLICE_URL)
    for event in events:
        entry = etree.SubElement(feed, _q("entry"))
        # The police's id is theirs for good: the same entry id however often it is served.
        _add(entry, "id", f"tag:polisen.se,2000:event/{event.id}")
        _add(entry, "title", event.name)
        _add(entry, "updated", _atom_time(event.occurred_at))
        _add(entry, "published", _atom_time(event.occurred_at))
        if event.url:
            etree.SubElement(entry, _q("link"), rel="alternate", type="text/html", href=event.url)
        if event.type:
            etree.SubElement(entry, _q("category"), term=xml_text(event.type))
        _add(entry, "summary", event.summary).set("type", "text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _q(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def _add(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, _q(name))
    element.text = xml_text(text)
    return element


def _atom_time(moment: datetime) -> str:
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
