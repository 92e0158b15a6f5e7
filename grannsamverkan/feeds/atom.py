"""Atom 1.0 (RFC 4287) feed of police warnings, each entry linking its CAP alert."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from lxml import etree

from grannsamverkan.feeds.cap import CAP_MEDIA_TYPE
from grannsamverkan.feeds.document import WarningDocument
from grannsamverkan.feeds.xmltext import utc, xml_text

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MEDIA_TYPE = "application/atom+xml"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def entry_id(doc: WarningDocument, *, base_url: str) -> str:
    """A tag: URI (RFC 4151) for a broadcast, the same for every version of it."""
    # created_at never changes, and the site owned its host name on that day.
    host = urlsplit(base_url).hostname or "localhost"
    return f"tag:{host},{utc(doc.created_at):%Y-%m-%d}:broadcast/{doc.broadcast_id}"


def cap_url(broadcast_id: int, *, base_url: str) -> str:
    """Where a broadcast's CAP alert is served."""
    return f"{base_url.rstrip('/')}/api/v1/broadcasts/{broadcast_id}/cap.xml"


def warnings_atom(
    docs: Iterable[WarningDocument],
    *,
    base_url: str,
    feed_url: str,
    title: str,
    updated: datetime,
) -> bytes:
    """Build an Atom feed with one entry per document, in the order given."""
    feed = etree.Element(atom_name("feed"), nsmap={None: ATOM_NS})
    feed.set(XML_LANG, "sv")
    # The feed URL includes any ?municipality_code=, so each filtered feed has its own id.
    add_text(feed, "id", feed_url)
    add_text(feed, "title", title)
    add_text(feed, "updated", atom_time(updated))
    etree.SubElement(feed, atom_name("link"), rel="self", type=ATOM_MEDIA_TYPE, href=feed_url)
    author = etree.SubElement(feed, atom_name("author"))
    add_text(author, "name", "Grannsamverkan")
    add_text(author, "uri", base_url.rstrip("/"))

    for doc in docs:
        entry = etree.SubElement(feed, atom_name("entry"))
        add_text(entry, "id", entry_id(doc, base_url=base_url))
        add_text(entry, "title", doc.title)
        add_text(entry, "updated", atom_time(doc.updated_at))
        add_text(entry, "published", atom_time(doc.created_at))
        etree.SubElement(
            entry,
            atom_name("link"),
            rel="alternate",
            type=CAP_MEDIA_TYPE,
            href=cap_url(doc.broadcast_id, base_url=base_url),
        )
        etree.SubElement(entry, atom_name("category"), term=doc.kind)
        summary = add_text(entry, "summary", doc.body)
        summary.set("type", "text")
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def atom_name(name: str) -> str:
    return f"{{{ATOM_NS}}}{name}"


def add_text(parent: etree._Element, name: str, text: str) -> etree._Element:
    element = etree.SubElement(parent, atom_name(name))
    element.text = xml_text(text)
    return element


def atom_time(moment: datetime) -> str:
    # RFC 3339 as Atom wants it; 'Z' is fine here (unlike CAP).
    return utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")
