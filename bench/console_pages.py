"""Benchmark 6: how fast the console's pages render, and how much each page weighs.

    .venv/bin/python bench/console_pages.py          # ~2-4 minutes; table + bench/results/*.json

The embedded default: a SQLite file whose schema comes from ``flask db upgrade``, seeded in
bulk with ``--households`` (5,000) homes in areas of 100 (bench/common.py's
seed_neighbourhood, each home with a phone), ``--tips`` (10,000) tips spread over the last
365 days in those areas (5 % waiting for moderation), one police officer of the
municipality, one fraud warning and one training event sent through the API.

The pages are every console page a police officer can open (console/sitemap.py: the menu,
every other page without arguments, and the detail pages of one tip, area, broadcast and
event where those endpoints exist), so pages added later are measured without changing this.

- *render*: server time per page, measured in this process with Flask's test client (no
  network, no browser): from the request to the last byte of the body, ``--runs`` times per
  page after ``--warmup`` requests; beside it the CPU time this process spent on each
  request, which a machine shared with other work inflates far less. Bar: p95 <= 100 ms.
- *weight*: the app served by werkzeug on 127.0.0.1 (a thread of this process) and opened in
  headless Chromium (Playwright, a fresh context per page: nothing cached); the sum of the
  response bodies of every request the page makes (HTML, CSS, JS, images, its htmx
  fragments) until the network is idle, without map tiles. Bar: <= 300 KB (300 x 1024 bytes).
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import re
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from common import (  # noqa: E402
    SPOT,
    app_env,
    bench_app,
    create_schema,
    fresh_database,
    machine_info,
    offset_m,
    percentile,
    print_table,
    seed_neighbourhood,
    write_results,
)

POLICE_PASSWORD = "bench-password-police"  # noqa: S105 - a throwaway bench account
BAR_P95_MS = 100.0
BAR_WEIGHT_BYTES = 300 * 1024
# Debian's chromium-headless-shell: the weights are the bytes fetched, the same in any
# Chromium build; the shell costs a fraction of chromium --headless's CPU per page.
CHROMIUM = "/usr/bin/chromium-headless-shell"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
CATEGORIES = (
    "burglary",
    "attempted_burglary",
    "suspicious_person",
    "suspicious_vehicle",
    "suspicious_activity",
    "vandalism",
    "traffic",
    "narcotics",
    "unsafe_place",
)
# Map tiles: the z/x/y path of any tile server (GSV_MAP_TILES), on this host or another.
TILE = re.compile(r"/\d+/\d+/\d+(@2x)?\.(png|jpe?g|webp)(\?|$)")


# --- the data ---------------------------------------------------------------------------------


@dataclass
class Seeded:
    police_id: int
    samples: dict[str, int | None]


def seed(app: Any, *, households: int, tips: int, per_area: int, seed_value: int) -> Seeded:
    """Areas of ``per_area`` homes, the tips, the officer, a warning and an event."""
    from sqlalchemy import insert

    from grannsamverkan.extensions import db
    from grannsamverkan.models import Tip
    from grannsamverkan.models.types import utcnow
    from grannsamverkan.services import accounts

    rng = random.Random(seed_value)
    with app.app_context():
        areas = [
            seed_neighbourhood(members=min(per_area, households - start), reporters=0, seed=i)
            for i, start in enumerate(range(0, households, per_area))
        ]
        now = utcnow()
        rows = []
        for n in range(tips):
            area = areas[n % len(areas)]
            lat, lon = offset_m(SPOT, rng.uniform(-300, 300), rng.uniform(-300, 300))
            rows.append(
                {
                    "area_id": area.area_id,
                    "reporter_id": rng.choice(area.member_ids),
                    "category": CATEGORIES[n % len(CATEGORIES)],
                    "description": f"Bench tip {n}: someone tried the doors along the street.",
                    "lat": lat,
                    "lon": lon,
                    "status": "pending" if rng.random() < 0.05 else "open",
                    "created_at": now - timedelta(seconds=rng.uniform(0, 365 * 86_400)),
                }
            )
        db.session.execute(insert(Tip), rows)
        police = accounts.create_user(
            email=f"polis-{uuid.uuid4().hex[:8]}@bench.example.se",
            password=POLICE_PASSWORD,
            name="Områdespolis Bench",
            role="police",
            municipality_codes=["0884"],
        )
        police.police_lead = True  # every console page, the audit trail's too
        db.session.commit()
        police_id = police.id
        token, _session = accounts.sign_in(email=police.email, password=POLICE_PASSWORD)  # type: ignore[misc]
        db.session.commit()
        first_tip = db.session.scalar(db.select(Tip.id).order_by(Tip.id.desc()).limit(1))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    return Seeded(
        police_id=police_id,
        samples={
            "tip": first_tip,
            "area": areas[0].area_id,
            "broadcast": send_sample_broadcast(client, headers, areas[0].area_id, event=False),
            "event": send_sample_broadcast(client, headers, areas[0].area_id, event=True),
        },
    )


def send_sample_broadcast(
    client: Any, headers: dict[str, str], area_id: int, *, event: bool
) -> int | None:
    """A fraud warning or training event through POST /broadcasts; None if the API refuses."""
    from grannsamverkan.models.types import utcnow

    body: dict[str, Any] = {
        "kind": "training_event" if event else "fraud_warning",
        "title": "Hjärt-lungräddning" if event else "Falska poliser ringer äldre",
        "body": "Bench broadcast.",
        "target": {"area_ids": [area_id]},
    }
    if event:
        starts = utcnow() + timedelta(days=7)
        body["event"] = {
            "topic": "heart_starter",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": "Stadshuset",
            "capacity": 30,
        }
    response = client.post("/api/v1/broadcasts", json=body, headers=headers)
    if response.status_code != 201:
        print(f"note: no {body['kind']} ({response.status_code})", file=sys.stderr)
        return None
    return int(response.get_json()["id"])


def console_cookie(app: Any, user_id: int) -> tuple[str, str]:
    """(cookie name, value) of a fresh console session, as signing in would leave it."""
    from grannsamverkan.extensions import db
    from grannsamverkan.models import User
    from grannsamverkan.services import accounts

    with app.app_context():
        row = accounts.open_session(db.session.get(User, user_id))
        db.session.commit()
        value = app.session_interface.get_signing_serializer(app).dumps({"sid": row.id})
    return app.config["SESSION_COOKIE_NAME"], value


# --- measuring ----------------------------------------------------------------------------------


@dataclass
class RenderTimes:
    """Milliseconds per request: wall clock, and this process's CPU time (which a busy,
    shared machine inflates far less than the wall clock)."""

    wall: list[float]
    cpu: list[float]


def render_times(
    app: Any, cookie: tuple[str, str], path: str, *, runs: int, warmup: int
) -> RenderTimes:
    """Each request of ``path`` through the test client, body read in full."""
    client = app.test_client()
    client.set_cookie(*cookie)
    times = RenderTimes([], [])
    for n in range(warmup + runs):
        cpu_start, start = time.process_time(), time.perf_counter()
        response = client.get(path)
        body = response.get_data()
        wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        if response.status_code != 200 or not body:
            raise RuntimeError(f"{path} answered {response.status_code}")
        if n >= warmup:
            times.wall.append(wall * 1000)
            times.cpu.append(cpu * 1000)
    return times


@dataclass
class PageWeight:
    """What one page load fetched: bytes per kind of resource, tiles left out."""

    total: int
    by_type: dict[str, int]
    requests: int
    tiles_skipped: int


def page_weight(page: Any, url: str) -> PageWeight:
    """Open ``url`` in a Playwright page and add up the response bodies of every request it
    makes until the network is idle; map tiles (a z/x/y image path) are left out."""
    finished: list[Any] = []

    def note(request: Any) -> None:
        finished.append(request)

    page.on("requestfinished", note)
    page.goto(url, wait_until="networkidle")
    page.remove_listener("requestfinished", note)
    by_type: dict[str, int] = {}
    tiles = 0
    for request in finished:
        if TILE.search(request.url):
            tiles += 1
            continue
        size = request.sizes()["responseBodySize"]
        by_type[request.resource_type] = by_type.get(request.resource_type, 0) + size
    return PageWeight(sum(by_type.values()), by_type, len(finished) - tiles, tiles)


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on a loopback port in a thread of this process; its base URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def weights(app: Any, cookie: tuple[str, str], paths: list[str]) -> dict[str, PageWeight]:
    from playwright.sync_api import sync_playwright

    results = {}
    with served(app) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        for path in paths:
            context = browser.new_context(base_url=base, locale="sv-SE")
            context.add_cookies([{"name": cookie[0], "value": cookie[1], "url": base}])
            results[path] = page_weight(context.new_page(), path)
            context.close()
        browser.close()
    return results


# --- the run -------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tips", type=int, default=10_000)
    parser.add_argument("--households", type=int, default=5_000)
    parser.add_argument("--per-area", type=int, default=100, help="homes per area")
    parser.add_argument("--runs", type=int, default=50, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--no-weight", action="store_true", help="skip the browser part")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, help="where to write the results")
    args = parser.parse_args()

    from grannsamverkan.console.sitemap import police_pages

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request

    with fresh_database("sqlite") as url:
        started = time.monotonic()
        schema = create_schema(app_env(url), url)
        app = bench_app(url)
        seeded = seed(
            app,
            households=args.households,
            tips=args.tips,
            per_area=args.per_area,
            seed_value=args.seed,
        )
        seeded_s = time.monotonic() - started
        cookie = console_cookie(app, seeded.police_id)
        pages = police_pages(app, seeded.samples)
        load_before = machine_info()["loadavg"]
        timed = {
            page.path: render_times(app, cookie, page.path, runs=args.runs, warmup=args.warmup)
            for page in pages
        }
        weighed = {} if args.no_weight else weights(app, cookie, [page.path for page in pages])
        load_after = machine_info()["loadavg"]

    results = []
    for page in pages:
        times = timed[page.path].wall
        cpu = timed[page.path].cpu
        weight = weighed.get(page.path)
        results.append(
            {
                "page": page.name,
                "path": page.path,
                "render_ms": {
                    "n": len(times),
                    "p50": percentile(times, 50),
                    "p95": percentile(times, 95),
                    "max": max(times),
                },
                "cpu_ms": {"p50": percentile(cpu, 50), "p95": percentile(cpu, 95)},
                "weight": asdict(weight) if weight else None,
            }
        )
    print(
        f"\n{args.households} households in {math.ceil(args.households / args.per_area)} areas,"
        f" {args.tips} tips; SQLite file, schema by {schema}; seeded in {seeded_s:.0f} s."
        f" Render: Flask test client, {args.runs} runs per page. Load {load_before[0]:.2f}"
        f" before, {load_after[0]:.2f} after.\n"
    )
    print_table(
        ["page", "path", "p50 ms", "p95 ms", "max ms", "CPU p50", "CPU p95", "weight KB", "req"],
        [
            [
                r["page"],
                r["path"],
                r["render_ms"]["p50"],
                r["render_ms"]["p95"],
                r["render_ms"]["max"],
                r["cpu_ms"]["p50"],
                r["cpu_ms"]["p95"],
                r["weight"]["total"] / 1024 if r["weight"] else "-",
                r["weight"]["requests"] if r["weight"] else "-",
            ]
            for r in results
        ],
    )
    bar = {
        "p95_ms": BAR_P95_MS,
        "weight_bytes": BAR_WEIGHT_BYTES,
        "slow_pages": [r["page"] for r in results if r["render_ms"]["p95"] > BAR_P95_MS],
        "heavy_pages": [
            r["page"] for r in results if r["weight"] and r["weight"]["total"] > BAR_WEIGHT_BYTES
        ],
    }
    print(f"\nbar: p95 <= {BAR_P95_MS:.0f} ms, weight <= 300 KB; missed by: {bar}")
    data = {
        "config": vars(args) | {"json": str(args.json) if args.json else None},
        "schema": schema,
        "seeded_s": seeded_s,
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "samples": seeded.samples,
        "pages": results,
        "bar": bar,
    }
    print(f"results: {write_results('console_pages', data, args.json)}")


if __name__ == "__main__":
    main()
