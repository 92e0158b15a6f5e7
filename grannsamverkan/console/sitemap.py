"""Every console page a police officer can open, found from the running app.

For the page benchmark (bench/console_pages.py), the page-weight test and the screenshots
(``./dev screenshots``): they must pick up the pages other page groups add, so nothing here
names a page group's pages except the detail pages, which need an object to show.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import Flask, url_for

from grannsamverkan.console.layout import NAV

# Detail pages: (endpoint, the URL argument, the sample object it takes).
DETAIL_PAGES = (
    ("console.tips.detail", "tip_id", "tip"),
    ("console.areas.detail", "area_id", "area"),
    ("console.broadcasts.detail", "broadcast_id", "broadcast"),
    ("console.events.detail", "broadcast_id", "event"),
)
# Not pages a person reads: files, fragments, and the API's own documentation (Swagger UI,
# a developer tool with its own megabyte of script).
NOT_PAGES = (".csv", ".png", ".pdf", ".ics", ".atom", ".xml", ".json", "/live", "/api/")
SKIPPED_ENDPOINTS = ("console.auth.sign_out", "console.auth.home")


@dataclass(frozen=True)
class ConsolePage:
    name: str  # the endpoint without "console.", e.g. "stats.index"
    path: str


def police_pages(app: Flask, samples: dict[str, int | None]) -> list[ConsolePage]:
    """The menu's pages first, then every other GET page without arguments, then the detail
    pages whose endpoint exists and whose sample (``samples["tip"]``, ...) is given."""
    endpoints: list[str] = [endpoint for endpoint, _label, _police in NAV]
    for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
        view = app.view_functions.get(rule.endpoint)
        if (
            rule.endpoint.startswith("console.")
            and "GET" in (rule.methods or ())
            and not rule.arguments
            and not getattr(view, "console_public", False)
            and rule.endpoint not in SKIPPED_ENDPOINTS
            and not any(marker in rule.rule for marker in NOT_PAGES)
        ):
            endpoints.append(rule.endpoint)
    pages: list[ConsolePage] = []
    with app.test_request_context():
        for endpoint in dict.fromkeys(endpoints):
            if endpoint in app.view_functions:
                pages.append(ConsolePage(endpoint.removeprefix("console."), url_for(endpoint)))
        for endpoint, argument, sample in DETAIL_PAGES:
            object_id = samples.get(sample)
            if endpoint in app.view_functions and object_id is not None:
                values: dict[str, Any] = {argument: object_id}
                path = url_for(endpoint, **values)
                pages.append(ConsolePage(endpoint.removeprefix("console."), path))
    return pages
