"""Push tests: the app sends through the real firebase-admin SDK to the push sink."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import PUSH_PROJECT as PROJECT  # noqa: F401 - used by the worker tests
from tests.fakes.elks import PASSWORD, USERNAME, FakeElks, running_fake_elks
from tests.notify.smtp_server import SmtpSink, start_smtp_server

FROM = "Grannsamverkan <noreply@grannsamverkan.example.se>"
PUBLIC_URL = "https://grannsamverkan.example.se"
SMS_SENDER = "Grannsamv"


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return push_config


# --- e-mail: a real SMTP server on loopback (aiosmtpd) ------------------------------------


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[int, SmtpSink]]:
    """One server per test process, so that the app (keyed by its config) is shared too."""
    controller, sink = start_smtp_server()
    yield controller.port, sink
    controller.stop()


@pytest.fixture
def smtp(smtp_server: tuple[int, SmtpSink]) -> Iterator[SmtpSink]:
    smtp_server[1].clear()
    yield smtp_server[1]
    smtp_server[1].clear()


@pytest.fixture
def smtp_config(smtp_server: tuple[int, SmtpSink]) -> dict[str, Any]:
    """App settings that send e-mails to ``smtp`` (a module turns them on as app_config)."""
    return {
        "GSV_SMTP_URL": f"smtp://127.0.0.1:{smtp_server[0]}",
        "GSV_MAIL_FROM": FROM,
        "GSV_PUBLIC_URL": PUBLIC_URL,
        "GSV_PUSH_BACKOFF_BASE_S": 0.05,
        "GSV_PUSH_BACKOFF_CAP_S": 0.2,
    }


# --- SMS: the fake 46elks gateway on loopback ----------------------------------------------


@pytest.fixture(scope="session")
def elks_server() -> Iterator[FakeElks]:
    yield from running_fake_elks()


@pytest.fixture
def elks(elks_server: FakeElks) -> Iterator[FakeElks]:
    elks_server.clear()
    yield elks_server
    elks_server.clear()


def elks_config(url: str) -> dict[str, Any]:
    """App settings that text through the real ElksSmsSender to the fake at ``url``."""
    return {
        "GSV_SMS_BACKEND": "elks",
        "GSV_SMS_ENDPOINT": url,
        "GSV_SMS_USERNAME": USERNAME,
        "GSV_SMS_PASSWORD": PASSWORD,
        "GSV_SMS_FROM": SMS_SENDER,
        "GSV_SMS_TIMEOUT_S": 0.5,
        "GSV_PUSH_BACKOFF_BASE_S": 0.05,
        "GSV_PUSH_BACKOFF_CAP_S": 0.2,
    }
