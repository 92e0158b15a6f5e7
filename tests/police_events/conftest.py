"""The police's public events, imported from a fake feed on loopback."""

from __future__ import annotations

from typing import Any

import pytest

from grannsamverkan.notify.chores import wait_for_background_chores
from tests.fakes.police_events import FakePoliceFeed, police_feed, police_feed_server

__all__ = ["police_feed", "police_feed_server"]


@pytest.fixture(autouse=True)
def _background_chores_done(app):
    yield
    wait_for_background_chores()


@pytest.fixture
def app_config(police_feed_server: FakePoliceFeed) -> dict[str, Any]:
    return {
        "GSV_POLICE_EVENTS_URL": police_feed_server.url,
        "GSV_POLICE_EVENTS_MUNICIPALITIES": "0884",
        "GSV_PUBLIC_URL": "https://grannsamverkan.example.se",
    }
