"""Every console page a police officer can open loads at most 300 KB before map tiles
(issue 12): the response bodies of everything the page fetches in Chromium, added up. And
every one fits a phone's width.

The pages are found from the app (console/sitemap.py), so a page group added later is
weighed too; bench/console_pages.py measures the same with 10,000 tips."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from bench.console_pages import BAR_WEIGHT_BYTES, page_weight, send_sample_broadcast
from grannsamverkan.console.sitemap import ConsolePage, police_pages
from tests.console.conftest import assert_no_sideways_scroll

PHONE = {"width": 375, "height": 740}


@pytest.fixture
def every_page(
    live_server, police, client, make_area, make_user, add_member, post_tip
) -> list[ConsolePage]:
    """Every page a police officer can open, with a row in each list (a tip, an area, a
    broadcast, a training event, the audit entries of sending them)."""
    area = make_area(name="Storgatan")
    member = make_user(name="Anna Andersson")
    add_member(member, area)
    tip = post_tip(member, "burglary", description="Inbrott i förrådet")
    samples = {
        "tip": tip["id"],
        "area": area.id,
        "broadcast": send_sample_broadcast(client, police.headers, area.id, event=False),
        "event": send_sample_broadcast(client, police.headers, area.id, event=True),
    }
    pages = police_pages(live_server.app, samples)
    assert {"today.index", "stats.index", "settings.edit"} <= {page.name for page in pages}
    return pages


def test_every_console_page_weighs_at_most_300_kb(signed_in_page, police, every_page):
    weights = {}
    for console_page in every_page:
        page = signed_in_page(police)  # a fresh browser context: nothing comes from a cache
        weights[console_page.path] = page_weight(page, console_page.path)
        page.context.close()
    for path, weight in weights.items():
        assert weight.by_type.get("document", 0) > 0, f"{path} loaded no HTML"
    heavy = {path: w.total for path, w in weights.items() if w.total > BAR_WEIGHT_BYTES}
    assert heavy == {}, f"pages over 300 KB before tiles: {heavy}"


def test_every_console_page_fits_a_phone(signed_in_page, police, every_page):
    """Nothing scrolls sideways on a 375 px screen: a wide list's rows are cards."""
    page = signed_in_page(police, viewport=PHONE)
    for console_page in every_page:
        page.goto(console_page.path)
        assert_no_sideways_scroll(page)
        # A card shows no label with nothing after it (a tip without a named place).
        expect(page.locator(".table--cards td[data-label]:empty:visible")).to_have_count(0)
