"""Push tests: the app sends through the real firebase-admin SDK to the push sink."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PUSH_PROJECT as PROJECT  # noqa: F401 - used by the worker tests


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return push_config
