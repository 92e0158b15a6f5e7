"""A fake of the police's public events feed (polisen.se/api/events): a JSON list of events
as the police document it, served on loopback, with failure modes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest

from grannsamverkan.services.local_time import LOCAL_TIME
from tests.fakes.http_server import Answer, serving

MODES = ("ok", "error500", "garbage", "not_a_list")


def police_time(moment: datetime) -> str:
    """The feed's own format: "2024-01-05 9:12:44 +01:00", the hour without a leading 0."""
    local = moment.astimezone(LOCAL_TIME)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d} {local.hour}:{local:%M:%S} {offset[:3]}:{offset[3:]}"


def event(event_id: int, place: str, at: datetime, *, kind: str = "Stöld") -> dict[str, Any]:
    """One event as the feed lists it; ``gps`` is the centre of the named municipality."""
    return {
        "id": event_id,
        "datetime": police_time(at),
        "name": f"{at:%d %B %H.%M}, {kind}, {place}",
        "summary": f"{kind} anmäld i {place}.",
        "url": f"/aktuellt/handelser/{at:%Y}/{event_id}/",
        "type": kind,
        "location": {"name": place, "gps": "57.665879,15.855181"},
    }


def samples(now: datetime) -> list[dict[str, Any]]:
    """An hour-old Vimmerby event (listed twice), an older one, a Hultsfred one, a county's,
    and two malformed entries."""
    fresh = event(501, "Vimmerby", now - timedelta(hours=1), kind="Skadegörelse")
    return [
        fresh,
        dict(fresh),  # the same id again
        event(502, "Vimmerby", now - timedelta(days=3), kind="Trafikolycka"),
        event(503, "Hultsfred", now - timedelta(hours=2)),
        event(504, "Kalmar län", now - timedelta(hours=2), kind="Sammanfattning natt"),
        {**event(505, "Vimmerby", now), "datetime": "igår kväll"},
        {"id": "506", "name": "no location, no time"},
    ]


@dataclass
class FakePoliceFeed:
    url: str = ""
    events: list[Any] = field(default_factory=list)
    mode: str = "ok"
    seen: list[dict[str, str]] = field(default_factory=list)

    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Answer:
        self.seen.append(query)
        if self.mode == "error500":
            return 500, b"<html>fel</html>", {"Content-Type": "text/html"}
        if self.mode == "garbage":
            return 200, b'[{"id": 1,', {}
        if self.mode == "not_a_list":
            return 200, {"events": []}, {}
        return 200, self.events, {}


@pytest.fixture(scope="session")
def police_feed_server() -> Iterator[FakePoliceFeed]:
    fake = FakePoliceFeed()
    with serving(fake.handle, "fake-police-feed") as url:
        fake.url = f"{url}/api/events"
        yield fake


@pytest.fixture
def police_feed(police_feed_server: FakePoliceFeed) -> Iterator[FakePoliceFeed]:
    police_feed_server.events, police_feed_server.mode = [], "ok"
    police_feed_server.seen.clear()
    return police_feed_server
