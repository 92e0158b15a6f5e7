"""A small map of two municipalities with members and phones, police of each, and helpers
to send broadcasts and drive the real dispatcher against the push sink."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.tips.conftest import NAS, SPOT, offset  # noqa: F401

API = "/api/v1"
# Hultsfred (0860), 25 km south of Vimmerby: another municipality, other police.
HULTSFRED = (57.4880, 15.8420)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def soon(**delta: float) -> datetime:
    return datetime.now(UTC) + timedelta(**delta)


@dataclass
class Town:
    """Vimmerby (0884): two areas; Hultsfred (0860): one. Everyone has a phone."""

    storgatan: Any
    nas: Any
    hultsfred: Any
    police: Any  # serves 0884
    other_police: Any  # serves 0860
    anna: Any  # Storgatan member
    bertil: Any  # Storgatan contact person, two phones
    cecilia: Any  # Näs member, locale en
    doris: Any  # Näs member with protected personal data (no home)
    erik: Any  # Storgatan, pending: not an active member
    frida: Any  # Hultsfred member
    resident: Any  # no area at all

    @property
    def vimmerby_phones(self) -> list[str]:
        return ["anna-phone", "bertil-phone", "bertil-tablet", "cecilia-phone", "doris-phone"]


@pytest.fixture
def town(make_user, make_area, add_member, add_device) -> Town:
    storgatan = make_area(name="Storgatan", center=SPOT)
    nas = make_area(name="Näs", center=NAS)
    hultsfred = make_area(name="Hultsfred centrum", municipality_code="0860", center=HULTSFRED)
    town = Town(
        storgatan=storgatan,
        nas=nas,
        hultsfred=hultsfred,
        police=make_user(role="police", municipality_codes=["0884"]),
        other_police=make_user(role="police", municipality_codes=["0860"]),
        anna=make_user(home=offset(SPOT, 150)),
        bertil=make_user(home=offset(SPOT, 300, 180)),
        cecilia=make_user(home=offset(NAS, 100), locale="en"),
        doris=make_user(protected=True),
        erik=make_user(home=offset(SPOT, 50)),
        frida=make_user(home=offset(HULTSFRED, 100)),
        resident=make_user(home=offset(SPOT, 80, 0)),
    )
    add_member(town.anna, storgatan)
    add_member(town.bertil, storgatan, role="contact_person")
    add_member(town.cecilia, nas)
    add_member(town.doris, nas)
    add_member(town.erik, storgatan, status="pending")
    add_member(town.frida, hultsfred)
    for name in ("anna", "bertil", "cecilia", "doris", "erik", "frida", "resident", "police"):
        add_device(getattr(town, name), f"{name}-phone")
    add_device(town.bertil, "bertil-tablet", platform="ios")
    return town


def warning(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "kind": "fraud_warning",
        "title": "Falska poliser ringer äldre",
        "body": "Polisen ber aldrig om koder eller kort. Lägg på och ring 114 14.",
        "severity": "moderate",
        "target": {"municipality_codes": ["0884"]},
    }
    body.update(overrides)
    return body


def training(capacity: int = 2, starts_in_h: float = 72, **overrides: Any) -> dict[str, Any]:
    starts = soon(hours=starts_in_h).replace(microsecond=0)
    body: dict[str, Any] = {
        "kind": "training_event",
        "title": "Kurs i hjärt-lungräddning",
        "body": "Lär dig HLR och att använda hjärtstartare.",
        "target": {"municipality_codes": ["0884"]},
        "event": {
            "topic": "heart_starter",
            "starts_at": iso(starts),
            "ends_at": iso(starts + timedelta(hours=2)),
            "place": "Stadshuset, Vimmerby",
            "location": {"lat": 57.66562, "lon": 15.85531},
            "capacity": capacity,
        },
    }
    body.update(overrides)
    return body


@pytest.fixture
def send(client) -> Any:
    """POST /broadcasts as ``actor``; asserts the status and returns the JSON answer."""

    def post(actor: Any, body: dict[str, Any], *, status: int = 201) -> Any:
        response = client.post(f"{API}/broadcasts", json=body, headers=actor.headers)
        assert response.status_code == status, response.get_data(as_text=True)
        return response.get_json()

    return post


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return push_config
