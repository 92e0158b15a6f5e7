"""A loopback HTTP server that answers like 46elks' SMS API (POST /a1/sms, a form of from,
to and message, HTTP basic auth; JSON with the message's id on success).

Tests point the app's real ElksSmsSender at it, so the whole client path (form encoding,
basic auth, time-outs, status codes, Retry-After) runs without internet.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

USERNAME = "u2c11ef65b429a8e16ccb1f960d02c734"
PASSWORD = "C0ACCEEC0FAFE879189DD5D57F6EC348"  # noqa: S105 - the fake's own credentials
PATH = "/a1/sms"


@dataclass(frozen=True)
class Answer:
    status: int
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass(frozen=True)
class Received:
    """A text the fake accepted (2xx)."""

    sender: str
    to: str
    message: str


@dataclass
class FakeElks:
    """The server's state: scripted answers per number (used up in order, then 200), the
    requests seen and the texts accepted."""

    url: str = ""
    script: dict[str, list[Answer]] = field(default_factory=dict)
    attempts: list[dict[str, str]] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, to: str, *answers: Answer) -> None:
        with self._lock:
            self.script.setdefault(to, []).extend(answers)

    def clear(self) -> None:
        with self._lock:
            self.script.clear()
            self.attempts.clear()
            self.accepted.clear()

    def texts_to(self, number: str) -> list[str]:
        with self._lock:
            return [r.message for r in self.accepted if r.to == number]

    def _next_answer(self, form: dict[str, str]) -> Answer:
        with self._lock:
            self.attempts.append(form)
            queued = self.script.get(form.get("to", ""))
            if queued:
                return queued.pop(0)
        return Answer(200)


def _authorised(header: str | None) -> bool:
    expected = base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
    return header == f"Basic {expected}"


def _refusal(path: str, headers: Any, form: dict[str, str]) -> Answer | None:
    """What 46elks answers a request it will not take, else None."""
    if path != PATH:
        return Answer(404, "Not found")
    if not _authorised(headers.get("Authorization")):
        return Answer(401, "API access requires Basic HTTP authentication")
    if not headers.get("Content-Type", "").startswith("application/x-www-form-urlencoded"):
        return Answer(400, "Expected a form")
    missing = [name for name in ("from", "to", "message") if not form.get(name)]
    return Answer(403, f"Missing key {missing[0]}") if missing else None


def _handler(fake: FakeElks) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8")
            form = {key: values[0] for key, values in parse_qs(raw).items()}
            refusal = _refusal(self.path, self.headers, form)
            if refusal is not None:
                return self._send(refusal)
            answer = fake._next_answer(form)
            if answer.delay_s:
                time.sleep(answer.delay_s)
            if 200 <= answer.status < 300:
                answer = _accepted(fake, form, answer.status)
            return self._send(answer)

        def _send(self, answer: Answer) -> None:
            payload = answer.body.encode("utf-8")
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


def _accepted(fake: FakeElks, form: dict[str, str], status: int) -> Answer:
    with fake._lock:
        fake.accepted.append(Received(form["from"], form["to"], form["message"]))
        number = len(fake.accepted)
    body = {
        "status": "created",
        "direction": "outgoing",
        "from": form["from"],
        "to": form["to"],
        "message": form["message"],
        "id": f"s{number:032x}",
        "parts": 1,
    }
    return Answer(status, json.dumps(body), {"Content-Type": "application/json"})


def start_fake_elks() -> tuple[ThreadingHTTPServer, FakeElks]:
    fake = FakeElks()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}{PATH}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, fake


def running_fake_elks() -> Iterator[FakeElks]:
    """For a session fixture: one server per test process."""
    server, fake = start_fake_elks()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
