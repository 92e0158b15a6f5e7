"""A loopback HTTP server that answers like Nominatim (/search, format=json).

Tests point geopy's real Nominatim geocoder at it, so the whole client path (URL building,
User-Agent, timeouts, HTTP errors, JSON parsing) runs without internet.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.fakes.http_server import serving_handler

LICENCE = "Data © OpenStreetMap contributors, ODbL 1.0. http://osm.org/copyright"
MODES = ("ok", "error500", "error503", "slow", "garbage")


@dataclass
class KnownPlace:
    lat: float
    lon: float
    display_name: str
    road: str | None = None


@dataclass
class SeenRequest:
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    at: float  # time.monotonic() when it arrived


@dataclass
class FakeNominatim:
    """The server's state: known places (by casefolded query), failure mode, request log."""

    places: dict[str, KnownPlace] = field(default_factory=dict)
    mode: str = "ok"
    slow_seconds: float = 3.0
    requests: list[SeenRequest] = field(default_factory=list)
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: threading.Event = field(default_factory=threading.Event)

    def add(self, query: str, place: KnownPlace) -> None:
        self.places[" ".join(query.split()).casefold()] = place

    def set_mode(self, mode: str) -> None:
        assert mode in MODES, mode
        self.mode = mode

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def _record(self, seen: SeenRequest) -> None:
        with self._lock:
            self.requests.append(seen)

    def search(self, params: dict[str, str]) -> Any:
        place = self.places.get(" ".join(params.get("q", "").split()).casefold())
        return [] if place is None else [_place_json(place, 1)]


def _place_json(place: KnownPlace, place_id: int) -> Any:
    body: dict[str, Any] = {
        "place_id": place_id,
        "licence": LICENCE,
        "osm_type": "way",
        "osm_id": 1000 + place_id,
        "lat": f"{place.lat:.7f}",
        "lon": f"{place.lon:.7f}",
        "class": "highway",
        "type": "residential",
        "place_rank": 26,
        "importance": 0.1,
        "addresstype": "road",
        "name": place.road or "",
        "display_name": place.display_name,
        "boundingbox": [
            f"{place.lat - 0.001:.7f}",
            f"{place.lat + 0.001:.7f}",
            f"{place.lon - 0.001:.7f}",
            f"{place.lon + 0.001:.7f}",
        ],
    }
    return body


def _handler(fake: FakeNominatim) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(url.query).items()}
            fake._record(SeenRequest(url.path, params, dict(self.headers), time.monotonic()))
            mode = fake.mode
            if mode == "slow":
                # Interruptible, so stopping the server never waits for a sleeping handler.
                fake._stopping.wait(fake.slow_seconds)
            if mode in ("error500", "error503"):
                self._send(int(mode[-3:]), b"<html>Internal error</html>", "text/html")
            elif mode == "garbage":
                self._send(200, b'[{"lat": "not a number"}', "application/json")
            elif url.path in ("/search", "/search.php"):
                self._json(fake.search(params))
            else:
                self._send(404, b"not found", "text/plain")

        def _json(self, body: Any) -> None:
            self._send(200, json.dumps(body).encode(), "application/json; charset=utf-8")

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout test); nothing to tell it

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@pytest.fixture
def nominatim() -> Iterator[FakeNominatim]:
    """A running fake Nominatim on 127.0.0.1; ``.url`` is its base URL."""
    fake = FakeNominatim()
    with serving_handler(_handler(fake), "fake-nominatim") as url:
        fake.url = url
        try:
            yield fake
        finally:
            fake._stopping.set()  # first: a slow answer stops waiting, so the stop is quick


def nominatim_app_config(fake: FakeNominatim, **extra: Any) -> dict[str, Any]:
    """App config that sends geocoding to ``fake``."""
    return {"GSV_GEOCODER": "nominatim", "GSV_NOMINATIM_URL": fake.url, **extra}
