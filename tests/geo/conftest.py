"""Geo tests: the app geocodes through geopy against a fake Nominatim on 127.0.0.1."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakes.nominatim import FakeNominatim, nominatim, nominatim_app_config

__all__ = ["nominatim"]  # a fixture: importing it here makes it available to tests/geo


@pytest.fixture
def app_config(nominatim: FakeNominatim) -> dict[str, Any]:
    # A short timeout keeps the slow-server test fast; no throttle for the loopback host.
    return nominatim_app_config(nominatim, GSV_GEOCODER_TIMEOUT=0.5)
