"""iCalendar files for training events: parse back with the same values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from icalendar import Calendar, Event

from grannsamverkan.feeds.document import WarningDocument
from grannsamverkan.feeds.ical import event_ics
from tests.feeds.conftest import CREATED, MakeDoc

DOMAIN = "grannsamverkan.example"
STARTS = datetime(2026, 12, 10, 17, 0, tzinfo=UTC)
ENDS = datetime(2026, 12, 10, 19, 0, tzinfo=UTC)


@pytest.fixture
def make_event(make_doc: MakeDoc) -> MakeDoc:
    """Build a heart-starter course, with any field overridden."""

    def make(**overrides: object) -> WarningDocument:
        fields: dict[str, object] = {
            "kind": "training_event",
            "severity": None,
            "expires_at": None,
            "title": "Kurs i hjärt-lungräddning; ta med inneskor, tack",
            "body": "Lär dig HLR och hjärtstartare.\nFika finns.",
            "event_topic": "heart_starter",
            "starts_at": STARTS,
            "ends_at": ENDS,
            "place": "Stadshuset, Vimmerby",
            "location": (57.6656, 15.855),
            "capacity": 30,
        }
        fields.update(overrides)
        return make_doc(**fields)

    return make


def _event(ics: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(ics)
    assert len(calendar.events) == 1
    return calendar, calendar.events[0]


def test_event_round_trips(make_event: MakeDoc) -> None:
    calendar, event = _event(event_ics(make_event(), domain=DOMAIN))
    assert calendar["version"] == "2.0"
    assert calendar["method"] == "PUBLISH"
    assert calendar["prodid"]
    assert event["uid"] == f"broadcast-42@{DOMAIN}"
    assert event["summary"] == "Kurs i hjärt-lungräddning; ta med inneskor, tack"
    assert event["description"] == "Lär dig HLR och hjärtstartare.\nFika finns."
    assert event["location"] == "Stadshuset, Vimmerby"
    assert event.decoded("dtstart") == STARTS
    assert event.decoded("dtend") == ENDS
    assert event.decoded("dtstamp") == CREATED
    assert event["sequence"] == 0
    assert event["status"] == "CONFIRMED"
    geo = event["geo"]
    assert (geo.latitude, geo.longitude) == (57.6656, 15.855)


def test_times_are_written_in_utc(make_event: MakeDoc) -> None:
    cet = STARTS.astimezone(timezone(timedelta(hours=1)))
    ics = event_ics(make_event(starts_at=cet), domain=DOMAIN)
    assert b"DTSTART:20261210T170000Z" in ics
    assert b"DTEND:20261210T190000Z" in ics


def test_update_and_cancel_keep_the_uid_and_raise_the_sequence(make_event: MakeDoc) -> None:
    later = CREATED + timedelta(days=1)
    _, updated = _event(
        event_ics(make_event(status="updated", sequence=1, updated_at=later), domain=DOMAIN)
    )
    _, cancelled = _event(
        event_ics(make_event(status="cancelled", sequence=2, updated_at=later), domain=DOMAIN)
    )
    assert updated["uid"] == cancelled["uid"] == f"broadcast-42@{DOMAIN}"
    assert (updated["sequence"], updated["status"]) == (1, "CONFIRMED")
    assert (cancelled["sequence"], cancelled["status"]) == (2, "CANCELLED")
    assert cancelled.decoded("dtstamp") == later
    assert cancelled.decoded("last-modified") == later


def test_no_geo_without_a_location(make_event: MakeDoc) -> None:
    _, event = _event(event_ics(make_event(location=None), domain=DOMAIN))
    assert "geo" not in event


def test_only_training_events_have_a_calendar_file(make_doc: MakeDoc) -> None:
    with pytest.raises(ValueError, match="training event"):
        event_ics(make_doc(), domain=DOMAIN)
