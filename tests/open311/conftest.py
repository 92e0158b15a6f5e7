"""Open311 forwarding against a fake GeoReport v2 server on loopback."""

from __future__ import annotations

import json
from typing import Any

import pytest

from grannsamverkan.notify.chores import wait_for_background_chores
from tests.conftest import send_all
from tests.fakes.open311 import API_KEY, JURISDICTION, FakeOpen311, open311, open311_server

__all__ = ["open311", "open311_server"]

# Vimmerby forwards by hand and takes unsafe places only (vandalism has no service_code);
# Hultsfred forwards every unsafe-place tip as soon as it is open.
SERVICE_CODE = "belysning-och-trygghet"


def open311_json(url: str) -> str:
    return json.dumps(
        {
            "0884": {
                "endpoint": f"{url}/v2/",
                "api_key": API_KEY,
                "jurisdiction_id": JURISDICTION,
                "service_codes": {"unsafe_place": SERVICE_CODE},
            },
            "0860": {
                "endpoint": f"{url}/v2",
                "api_key": API_KEY,
                "service_codes": {"unsafe_place": "otrygg", "vandalism": "klotter"},
                "auto_forward": True,
                "email": "grannsamverkan@hultsfred.example.se",
            },
        }
    )


@pytest.fixture(autouse=True)
def _background_chores_done(app):
    """Dispatcher passes start the status read-back in a thread: it ends with the test."""
    yield
    wait_for_background_chores()


def send_everything(app, dispatcher) -> None:
    """Send what is due, and let the read-back the passes started finish."""
    send_all(app, dispatcher)
    wait_for_background_chores()


@pytest.fixture
def app_config(open311_server: FakeOpen311) -> dict[str, Any]:
    return {
        "GSV_OPEN311": open311_json(open311_server.url),
        "GSV_OPEN311_TIMEOUT_S": 2.0,
        "GSV_PUSH_BACKOFF_BASE_S": 0.05,
        "GSV_PUSH_BACKOFF_CAP_S": 0.2,
        "GSV_PUSH_MAX_ATTEMPTS": 4,
    }


@pytest.fixture
def cast(make_user, make_area, add_member):
    area = make_area()
    people = {
        "reporter": make_user(),
        "contact": make_user(),
        "police": make_user(role="police", municipality_codes=["0884"]),
        "police_other": make_user(role="police", municipality_codes=["0860"]),
        "admin": make_user(role="admin"),
    }
    add_member(people["reporter"], area)
    add_member(people["contact"], area, role="contact_person")
    return people
