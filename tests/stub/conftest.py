"""The real app served on a loopback port, so the stub client's HTTP goes over a socket."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from mobile_client_stub.client import GrannsamverkanClient


def serve(app: Any) -> Iterator[str]:
    """Serve a WSGI app on 127.0.0.1 in a daemon thread; yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def live_url(app: Flask) -> Iterator[str]:
    yield from serve(app)


@pytest.fixture
def make_client(live_url: str) -> Iterator[Callable[..., GrannsamverkanClient]]:
    """Clients of the live server, closed after the test."""
    made: list[GrannsamverkanClient] = []

    def make(token: str | None = None) -> GrannsamverkanClient:
        client = GrannsamverkanClient(live_url, token=token, timeout=15)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
