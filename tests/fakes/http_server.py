"""A threaded HTTP server on 127.0.0.1 for fakes of outside HTTP APIs: each fake gives a
``handle(method, path, query, form) -> (status, body, headers)`` and the real client code
(requests) talks to it over loopback."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any, dict[str, str]]
Handle = Callable[[str, str, dict[str, str], dict[str, str]], Answer]


def _handler(handle: Handle) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            self._answer("GET", {})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode()
            self._answer("POST", {k: v[-1] for k, v in parse_qs(raw).items()})

        def _answer(self, method: str, form: dict[str, str]) -> None:
            url = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(url.query).items()}
            status, body, headers = handle(method, url.path, query, form)
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", headers.pop("Content-Type", "application/json"))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler


@contextmanager
def serving(handle: Handle, name: str) -> Iterator[str]:
    """Serve ``handle`` on a free loopback port; yields the base URL."""
    with serving_handler(_handler(handle), name) as url:
        yield url


@contextmanager
def serving_handler(handler: type[BaseHTTPRequestHandler], name: str) -> Iterator[str]:
    """Serve requests with ``handler`` on a free loopback port, in a thread named ``name``;
    yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    # shutdown() waits for serve_forever's next poll: 0.05 s, not its default 0.5 s.
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), name=name, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
