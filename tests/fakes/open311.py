"""A fake Open311 GeoReport v2 server: POST requests.json, GET requests/{id}.json and
GET tokens/{token}.json under /v2/, as a municipality's case system answers them."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from tests.fakes.http_server import Answer, serving

API_KEY = "nyckel-123"  # a test's key
JURISDICTION = "vimmerby.se"


@dataclass
class FakeOpen311:
    """Its state: the service requests filed, what to answer next, and every request seen."""

    url: str = ""
    # Statuses to answer the next POSTs with instead of filing (503, 400, ...), in order.
    failures: list[int] = field(default_factory=list)
    # Answer a POST with a token only (GeoReport v2's deferred ids); tokens[token] = id later.
    answer_with_token: bool = False
    # Seconds each POST takes (a slow case system).
    post_delay_s: float = 0.0
    filed: dict[str, dict[str, Any]] = field(default_factory=dict)
    tokens: dict[str, str | None] = field(default_factory=dict)
    seen: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(101))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        with self._lock:
            self.failures.clear()
            self.answer_with_token = False
            self.post_delay_s = 0.0
            self.filed.clear()
            self.tokens.clear()
            self.seen.clear()
            self._ids = itertools.count(101)

    @property
    def posts(self) -> list[dict[str, str]]:
        return [form for method, _, form in self.seen if method == "POST"]

    def close(self, request_id: str, notes: str) -> None:
        self.filed[request_id].update(status="closed", status_notes=notes)

    def handle(self, method: str, path: str, query: dict[str, str], form: dict[str, str]) -> Answer:
        if method == "POST":
            time.sleep(self.post_delay_s)
        with self._lock:
            self.seen.append((method, path, form if method == "POST" else query))
            if method == "POST" and path == "/v2/requests.json":
                return self._file(form)
            if method == "GET" and path.startswith("/v2/requests/"):
                found = self.filed.get(path.removeprefix("/v2/requests/").removesuffix(".json"))
                return (200, [found], {}) if found else _error(404, "no such request")
            if method == "GET" and path.startswith("/v2/tokens/"):
                token = path.removeprefix("/v2/tokens/").removesuffix(".json")
                request_id = self.tokens.get(token)
                if request_id is None:
                    return _error(404, "not yet a request")
                return 200, [{"token": token, "service_request_id": request_id}], {}
            return _error(404, "not found")

    def _file(self, form: dict[str, str]) -> Answer:
        if self.failures:
            status = self.failures.pop(0)
            return _error(status, "temporarily down" if status >= 500 else "service_code unknown")
        if form.get("api_key") != API_KEY:
            return _error(403, "invalid api_key")
        request_id = f"SR-{next(self._ids)}"
        self.filed[request_id] = {
            "service_request_id": request_id,
            "status": "open",
            "status_notes": None,
            "service_code": form.get("service_code"),
        }
        if self.answer_with_token:
            token = f"T-{request_id}"
            self.tokens[token] = None
            return 201, [{"token": token}], {}
        return 201, [{"service_request_id": request_id, "service_notice": "Tack!"}], {}

    def give_id_for_token(self, token: str) -> str:
        request_id = token.removeprefix("T-")
        self.tokens[token] = request_id
        return request_id


def _error(status: int, description: str) -> Answer:
    return status, [{"code": status, "description": description}], {}


@pytest.fixture(scope="session")
def open311_server() -> Iterator[FakeOpen311]:
    """One server per test process, so the app (keyed by its config) is shared too."""
    fake = FakeOpen311()
    with serving(fake.handle, "fake-open311") as url:
        fake.url = url
        yield fake


@pytest.fixture
def open311(open311_server: FakeOpen311) -> Iterator[FakeOpen311]:
    open311_server.reset()
    yield open311_server
    open311_server.reset()
