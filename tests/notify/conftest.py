"""A push sink (FCM look-alike) and an app whose real firebase-admin sender points at it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mobile_client_stub.push_sink import PushSink

PROJECT = "gsv-test"


@pytest.fixture
def sink() -> Iterator[PushSink]:
    with PushSink() as running:
        yield running


@pytest.fixture
def app_config(sink: PushSink) -> dict[str, Any]:
    return {
        "GSV_PUSH_BACKEND": "fcm",
        "GSV_FCM_ENDPOINT": sink.base_url,
        "GSV_FIREBASE_PROJECT_ID": PROJECT,
        "GSV_FCM_TIMEOUT_S": 2.0,
        "GSV_PUSH_BACKOFF_BASE_S": 0.05,
        "GSV_PUSH_BACKOFF_CAP_S": 0.2,
    }


@pytest.fixture
def dispatcher(app: Any) -> Iterator[Any]:
    """A dispatcher with the app's configured sender; use it inside ``app.app_context()``."""
    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    runner = app.extensions[EXTENSION]
    yield dispatcher_for(app, runner.sender)
    close = getattr(runner.sender, "close", None)
    if close:
        close()
