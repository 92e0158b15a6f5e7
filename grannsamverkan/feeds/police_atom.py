"""Atom 1.0 (RFC 4287) feed of the police's public events of one municipality, each entry
linking the event's page on polisen.se. No point, no georss: the police's ``gps`` is the
municipality's centre, not the place of the event."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from lxml import etree

from grannsamverkan.feeds.atom import ATOM_NS, XML_LANG, add_text, atom_name, atom_time
from grannsamverkan.feeds.xmltext import xml_text

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
    feed = etree.Element(atom_name("feed"), nsmap={None: ATOM_NS})
    feed.set(XML_LANG, "sv")
    add_text(feed, "id", feed_url)
    add_text(feed, "title", title)
    add_text(feed, "updated", atom_time(updated))
    etree.SubElement(
        feed, atom_name("link"), rel="self", type="application/atom+xml", href=feed_url
    )
    author = etree.SubElement(feed, atom_name("author"))
    add_text(author, "name", POLICE_AUTHOR)
    add_text(author, "uri", POLICE_URL)
    for event in events:
        entry = etree.SubElement(feed, atom_name("entry"))
        # The police's id is theirs for good: the same entry id however often it is served.
        add_text(entry, "id", f"tag:polisen.se,2000:event/{event.id}")
        add_text(entry, "title", event.name)
        add_text(entry, "updated", atom_time(event.occurred_at))
        add_text(entry, "published", atom_time(event.occurred_at))
        if event.url:
            etree.SubElement(
                entry, atom_name("link"), rel="alternate", type="text/html", href=event.url
            )
        if event.type:
            etree.SubElement(entry, atom_name("category"), term=xml_text(event.type))
        add_text(entry, "summary", event.summary).set("type", "text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
