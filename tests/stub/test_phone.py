"""Three stub phones: the server's real FCM sender pushes to the sink, phones read their trays."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from grannsamverkan.services.privacy import coarse_count
from mobile_client_stub.phone import StubPhone
from mobile_client_stub.push_sink import PushSink
from tests.conftest import PASSWORD, send_all

SPOT = (57.6663, 15.8557)
NEAR_SPOT = (57.6670, 15.8560)


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return push_config


@pytest.fixture
def dispatch(app: Flask, dispatcher: Any) -> Any:
    """Send every committed push now (the app's own dispatcher is off in tests)."""
    return lambda: send_all(app, dispatcher)


@pytest.fixture
def phones(live_url: str, sink: PushSink) -> Iterator[list[StubPhone]]:
    made = [StubPhone.connect(live_url, sink.base_url, timeout=15) for _ in range(3)]
    yield made
    for phone in made:
        phone.close()


def test_three_phones(
    phones: list[StubPhone], make_user: Any, make_client: Any, dispatch: Any
) -> None:
    police = make_client(make_user(role="police", municipality_codes=["0884"]).token)
    area = police.create_area("Storgatan", "0884", SPOT)
    for n, phone in enumerate(phones):
        user = phone.register(f"phone{n}@example.se", PASSWORD, f"Phone {n}")
        phone.login(f"phone{n}@example.se", PASSWORD)
        phone.set_home(lat=NEAR_SPOT[0], lon=NEAR_SPOT[1])
        assert phone.register_for_push()["token"] == phone.device_token
        police.set_member(area["id"], user["id"], "active")
    reporter, first, second = phones

    tip = reporter.send_tip("burglary", "Back door forced.", lat=SPOT[0], lon=SPOT[1])
    alert_id = tip["alert"]["id"]
    assert tip["alert"]["recipient_count"] == coarse_count(2)
    dispatch()

    for phone in (first, second):
        push = phone.wait_for_push(alert_id, timeout=5)
        assert push["data"]["alert_id"] == str(alert_id)
        assert push["data"]["kind"] == "tip"
        assert push["data"]["status"] == "active"
        assert len(phone.notifications_for(alert_id)) == 1
        # Handed out once: the next wait is for a new push.
        with pytest.raises(TimeoutError):
            phone.wait_for_push(alert_id, timeout=0.2)
    assert reporter.tray() == []

    second.uninstall()
    second_tip = first.send_tip(
        "suspicious_person", "Someone looking into cars.", lat=SPOT[0], lon=SPOT[1]
    )
    assert second_tip["alert"]["recipient_count"] == coarse_count(2)
    dispatch()
    assert reporter.wait_for_push(second_tip["alert"]["id"])["data"]["kind"] == "tip"
    assert second.notifications_for(second_tip["alert"]["id"]) == []
