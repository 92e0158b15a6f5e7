"""iCalendar (RFC 5545) files for training events sent as broadcasts."""

from __future__ import annotations

from icalendar import Calendar, Event

from grannsamverkan.feeds.document import WarningDocument
from grannsamverkan.feeds.xmltext import utc

ICS_MEDIA_TYPE = "text/calendar"
PRODID = "-//Grannsamverkan//Broadcasts//SV"


def event_uid(broadcast_id: int, *, domain: str) -> str:
    """The UID a calendar keeps for a broadcast's event across all its versions."""
    return f"broadcast-{broadcast_id}@{domain}"


def event_ics(doc: WarningDocument, *, domain: str) -> bytes:
    """Build a VCALENDAR (METHOD PUBLISH) with the one VEVENT of a training event."""
    if doc.kind != "training_event" or doc.starts_at is None or doc.ends_at is None:
        raise ValueError("only a training event with starts_at and ends_at has a calendar file")

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")

    event = Event()
    # The same UID with a higher SEQUENCE makes calendar apps replace, not duplicate.
    event.add("uid", event_uid(doc.broadcast_id, domain=domain))
    event.add("dtstamp", utc(doc.updated_at))
    event.add("created", utc(doc.created_at))
    event.add("last-modified", utc(doc.updated_at))
    event.add("sequence", doc.sequence)
    # UTC rather than TZID=Europe/Stockholm: no VTIMEZONE to ship, every client agrees.
    event.add("dtstart", utc(doc.starts_at))
    event.add("dtend", utc(doc.ends_at))
    event.add("summary", doc.title)
    event.add("description", doc.body)
    if doc.place:
        event.add("location", doc.place)
    if doc.location is not None:
        event.add("geo", doc.location)
    event.add("status", "CANCELLED" if doc.status == "cancelled" else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
