"""Console test harness: the app served on a loopback port, Debian's headless Chromium
(chromium-headless-shell) driven by Playwright, signed-in pages, axe-core and the
page-structure checks (docs/console.md).

Browser tests run on both backends like every database test (``without_database`` marks
the few whose app sends no SQL: they run once). No page may reach beyond the
live server: every other request is refused and fails the test (the console works offline).
"""

from __future__ import annotations

import json
import queue
import re
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer

from grannsamverkan.extensions import db
from grannsamverkan.models import User
from grannsamverkan.services import accounts

REPO = Path(__file__).resolve().parents[2]
# Chromium's headless shell (Debian's chromium-headless-shell), the build Playwright itself
# runs headless: the same Blink and V8 as /usr/bin/chromium, without the full browser that
# its --headless mode starts. A new browser context and page load cost ~4x less CPU in it
# (BENCHMARKS.md, the suite's own time, fourth pass).
CHROMIUM = "/usr/bin/chromium-headless-shell"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_VIOLATIONS = """tags => axe
    .run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]})
    .then(result => result.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target),
    })))"""
# Generous for a shared 2-core machine; a passing step takes milliseconds.
TIMEOUT_MS = 15_000


@pytest.fixture
def app_config() -> dict[str, Any]:
    # Today polls every second here, so "appears without reloading" is quick to see.
    # No map tiles: pages must not reach other hosts; maps still draw areas and points.
    return {"GSV_CONSOLE_POLL_S": 1, "GSV_MAP_TILES": ""}


# --- the live server --------------------------------------------------------------------------


@dataclass
class LiveServer:
    url: str
    app: Flask


def _whole_answers(app: Flask) -> Any:
    """``app`` answering with its whole body read, and its file closed, before werkzeug
    writes it. A browser that leaves a page drops the connections of its last static files;
    werkzeug's server then fails while draining the socket and skips closing the answer's
    file (serving.py, ``execute``), whose ResourceWarning fails the next test."""

    def answer(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return list(body)
        finally:
            if hasattr(body, "close"):
                body.close()

    return answer


class PooledWSGIServer(BaseWSGIServer):
    """werkzeug's server answering on a pool of threads started one at a time, up front.

    werkzeug's threaded server starts a thread per connection; under coverage two threads
    starting at once could fail to install its tracer ("Cannot install a trace function while
    another trace function is being installed") and a request was lost now and then. One
    request per connection (HTTP/1.0) so that idle keep-alive connections hold no thread.
    """

    def __init__(self, app: Flask, *, threads: int = 8) -> None:
        super().__init__("127.0.0.1", 0, _whole_answers(app))
        self.connections: queue.Queue[tuple[socket.socket, Any] | None] = queue.Queue()
        self.workers = []
        for n in range(threads):
            running = threading.Event()
            worker = threading.Thread(
                target=self._answer, args=(running,), name=f"live-server-{n}", daemon=True
            )
            worker.start()
            running.wait()
            self.workers.append(worker)

    def _answer(self, running: threading.Event) -> None:
        running.set()
        while (connection := self.connections.get()) is not None:
            request, client_address = connection
            try:
                self.finish_request(request, client_address)
            except Exception:  # noqa: BLE001 - as socketserver's own threads do
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections.put((request, client_address))

    def server_close(self) -> None:
        for _ in self.workers:
            self.connections.put(None)
        for worker in self.workers:
            worker.join(timeout=10)
        super().server_close()


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """``app`` (on this test's backend) served by werkzeug on 127.0.0.1 in a thread."""
    server = PooledWSGIServer(app)
    # serve_forever looks for shutdown() every poll interval, by default 0.5 s: each test's
    # teardown waited 0.25 s on average for it (some 80 s over the console's 333 tests).
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="live-server", daemon=True
    )
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}"
    # The server's address is the public URL the app writes into links (invitations, feeds).
    public_url = app.config["GSV_PUBLIC_URL"]
    app.config["GSV_PUBLIC_URL"] = url
    try:
        yield LiveServer(url=url, app=app)
    finally:
        app.config["GSV_PUBLIC_URL"] = public_url
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium (Playwright's own download needs the internet); ./dev
    installs it.

    Per module, not per session: Playwright's sync API keeps an asyncio loop running in this
    thread while it is started, and later tests (firebase-admin's cleanup) call asyncio.run.
    """
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run ./dev test (it installs chromium-headless-shell)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@dataclass
class Browsing:
    """Opens pages on the live server; records any request aimed elsewhere."""

    browser: Any
    server: LiveServer
    outside_requests: list[str] = field(default_factory=list)
    contexts: list[Any] = field(default_factory=list)

    def new_page(self, *, cookies: list[dict[str, Any]] | None = None, **options: Any) -> Any:
        # A Swedish browser unless a test says otherwise (signed-out pages follow its language).
        options.setdefault("locale", "sv-SE")
        context = self.browser.new_context(base_url=self.server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"), self._refuse)
        if cookies:
            context.add_cookies(cookies)
        self.contexts.append(context)
        return context.new_page()

    def _refuse(self, route: Any) -> None:
        self.outside_requests.append(route.request.url)
        route.abort()

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def browsing(browser: Any, live_server: LiveServer) -> Iterator[Browsing]:
    session = Browsing(browser, live_server)
    yield session
    session.close()
    assert session.outside_requests == [], "the console must not reach other hosts"


@pytest.fixture
def page(browsing: Browsing) -> Any:
    """A signed-out page on the live server."""
    return browsing.new_page()


@pytest.fixture
def signed_in_page(browsing: Browsing, live_server: LiveServer) -> Callable[..., Any]:
    """``signed_in_page(user)``: a page whose cookie holds a fresh session row of ``user``
    (anything with an ``id``: the ``make_user`` actors), as signing in would leave it."""

    def open_page(user: Any, **options: Any) -> Any:
        app = live_server.app
        with app.app_context():
            session_row = accounts.open_session(db.session.get(User, user.id))
            db.session.commit()
            cookie = app.session_interface.get_signing_serializer(app).dumps(  # type: ignore[attr-defined]
                {"sid": session_row.id}
            )
        name = app.config["SESSION_COOKIE_NAME"]
        return browsing.new_page(
            cookies=[{"name": name, "value": cookie, "url": live_server.url}], **options
        )

    return open_page


# --- people the console is for -------------------------------------------------------------------


@pytest.fixture
def police(make_user: Any) -> Any:
    """A community police officer serving Vimmerby (0884)."""
    return make_user(role="police", municipality_codes=["0884"], name="Områdespolis Vimmerby")


@pytest.fixture
def contact_person(make_user: Any, make_area: Any, add_member: Any) -> Any:
    """The contact person of a Storgatan area in Vimmerby (``.area`` is the area)."""
    area = make_area(name="Storgatan")
    person = make_user(name="Kerstin Kontaktombud")
    add_member(person, area, role="contact_person")
    person.area = area
    return person


# --- checks every page passes ------------------------------------------------------------------


def assert_page_structure(page: Any) -> None:
    """A <title>, a lang attribute, one <main> and exactly one <h1>."""
    assert page.title().strip(), "the page has no <title>"
    assert page.locator("html").get_attribute("lang") in ("sv", "en")
    assert page.locator("main").count() == 1
    assert page.locator("h1").count() == 1, "a page has exactly one <h1>"


def assert_accessible(page: Any) -> None:
    """axe-core on the page as it is now: 0 violations of WCAG 2.1 A and AA."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run ./dev test (npm ci installs axe-core)")
    page.add_script_tag(path=str(AXE_JS))
    # Only the violations come back, with only what the message shows: axe's whole result
    # (every rule that passed or did not apply, each node's HTML) is ~80 KB a page, which
    # Playwright serialised, sent and checked for nothing (~40 ms of CPU per check).
    # resultTypes leaves the rules run and the violations found as they were; it only keeps
    # one node each of the other result types.
    violations = page.evaluate(AXE_VIOLATIONS, WCAG_21_AA)
    assert violations == [], json.dumps(violations, indent=2, ensure_ascii=False)


def assert_no_sideways_scroll(page: Any) -> None:
    """Nothing scrolls sideways: neither the page nor a table inside its box (on a phone, a
    wide table's rows are cards: ui.table(cards=True)). Only a table made to scroll may: a
    cross-table of counts in a labelled region one can focus and scroll with the keyboard."""
    page_width, overflowing = page.evaluate(
        """() => [document.documentElement.scrollWidth - window.innerWidth,
                  [...document.querySelectorAll('.table-wrap:not([role=region][tabindex="0"])')]
                    .filter(box => box.scrollWidth > box.clientWidth + 1)
                    .map(box => box.querySelector('caption')?.textContent.trim())]"""
    )
    assert page_width <= 0, f"{page.url} scrolls sideways by {page_width} px"
    assert overflowing == [], f"{page.url}: these tables scroll sideways: {overflowing}"


def check_page(page: Any) -> None:
    """The checks every console page must pass."""
    assert_page_structure(page)
    assert_accessible(page)
    assert_no_sideways_scroll(page)
