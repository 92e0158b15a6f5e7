"""The privacy scan of issue 11's "Done when": a scripted day in Vimmerby, and every output a
member gets that day scanned for what must never reach them.

Members file tips with the masking corpus (plates, phones, e-mails), police broadcast a
warning and a training event, phones receive pushes (captured at the push sink), members read
their inboxes, tips, broadcasts and areas, fetch the Atom feed, the CAP and iCalendar
documents, and download their own data (``/me/export``). Each output is scanned for

- a coordinate finer than the coarse grid (``geo/coarsen.py``);
- a reporter's identity (name or e-mail), except the member's own in their own data;
- a plate, phone number or e-mail address from another member's tip, unmasked.

A failure lists every leak as "viewer · output: what leaked".
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grannsamverkan.geo.coarsen import LAT_STEP, LON_STEP
from tests.conftest import send_all
from tests.services.test_privacy import MASKED
from tests.tips.conftest import SPOT, offset

API = "/api/v1"
# Decimal numbers of three or more places: a latitude in Sweden (55–69°) or a longitude
# (10–24°) written out as text (XML, iCalendar, JSON alike); not the seconds of a time.
NUMBER = re.compile(r"(?<![\d.:])(\d{2}\.\d{3,})(?![\d])")


@pytest.fixture
def app_config(push_config: dict[str, Any]) -> dict[str, Any]:
    return {**push_config, "GSV_TIP_LIMIT": "1000/hour"}


def _is_centre(value: float, step: float) -> bool:
    return round(math.floor(value / step) * step + step / 2, 6) == round(value, 6)


def fine_coordinates(text: str) -> list[str]:
    """Numbers that look like Swedish coordinates but are no grid cell's centre."""
    found = []
    for match in NUMBER.finditer(text):
        value = float(match.group(1))
        if 55 <= value < 70 and not _is_centre(value, LAT_STEP):
            found.append(match.group(1))
        elif 10 <= value < 25 and not _is_centre(value, LON_STEP):
            found.append(match.group(1))
    return found


def as_text(body: Any) -> str:
    """An output as the text a person (or a program) could read from it."""
    if isinstance(body, bytes):
        body = body.decode()
    if not isinstance(body, str):
        return json.dumps(body, ensure_ascii=False)
    # iCalendar folds long lines; XML escapes characters.
    return html.unescape(body.replace("\r\n ", "").replace("\r\n\t", ""))


@dataclass
class Person:
    key: str
    actor: Any
    name: str
    email: str
    tokens: list[str] = field(default_factory=list)


@dataclass
class Day:
    people: dict[str, Person]
    # (viewer, what, text, secrets the viewer may see, identities the viewer may see)
    outputs: list[tuple[str, str, str]] = field(default_factory=list)
    secrets_of: dict[str, list[str]] = field(default_factory=dict)


def _get(client: Any, person: Person | None, path: str) -> Any:
    headers = person.actor.headers if person else {}
    response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200, (path, response.get_data(as_text=True))
    if response.mimetype.endswith("json"):
        return response.get_json()
    return response.get_data(as_text=True)


def _people(make_user: Any) -> dict[str, Person]:
    spec = {
        "ruth": ("Ruth Rapportör", offset(SPOT, 130, 10)),
        "sixten": ("Sixten Tipsare", offset(SPOT, 170, 200)),
        "anna": ("Anna Granne", offset(SPOT, 90, 300)),
        "bertil": ("Bertil Granne", offset(SPOT, 260, 120)),
    }
    people = {}
    for key, (name, home) in spec.items():
        actor = make_user(name=name, home=home)
        people[key] = Person(key, actor, name, actor.email)
    return people


@pytest.fixture
def day(app, client, sink, dispatcher, make_user, make_area, add_member, add_device) -> Day:
    area = make_area(name="Storgatan", center=SPOT)
    people = _people(make_user)
    for person in people.values():
        add_member(person.actor, area)
        token = f"{person.key}-phone"
        add_device(person.actor, token)
        person.tokens.append(token)
    police = make_user(role="police", municipality_codes=["0884"], name="Polis Polsson")
    result = Day(people)

    # Morning: Ruth and Sixten file the corpus, each tip at a raw (non-grid) point.
    reporters = ("ruth", "sixten")
    tip_ids: dict[int, str] = {}
    for n, (text, secrets) in enumerate(MASKED):
        reporter = people[reporters[n % 2]]
        at = offset(SPOT, 60 + 37 * (n % 11), (n * 53) % 360)
        body = {
            "category": "suspicious_activity",
            "description": text,
            "location": {"lat": at[0], "lon": at[1]},
        }
        if n % 5 == 0:
            body["vehicle"] = {"registration": "ABC 123", "description": "vit skåpbil"}
            secrets = [*secrets, "ABC 123"]
        answer = client.post(f"{API}/tips", json=body, headers=reporter.actor.headers)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        tip_ids[answer.get_json()["id"]] = reporter.key
        result.secrets_of.setdefault(reporter.key, []).extend(secrets)

    # Noon: police warn of fraud and invite to a training at a raw point.
    starts = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    broadcasts = []
    for body in (
        {
            "kind": "fraud_warning",
            "title": "Falska poliser ringer äldre",
            "body": "Polisen ber aldrig om koder. Lägg på och ring 114 14.",
            "severity": "moderate",
            "target": {"municipality_codes": ["0884"]},
        },
        {
            "kind": "training_event",
            "title": "Kurs i hjärt-lungräddning",
            "body": "Lär dig HLR.",
            "target": {"circle": {"lat": 57.66631, "lon": 15.85577, "radius_m": 2000}},
            "event": {
                "topic": "heart_starter",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(hours=2)).isoformat(),
                "place": "Stadshuset, Vimmerby",
                "location": {"lat": 57.66562, "lon": 15.85531},
                "capacity": 10,
            },
        },
    ):
        answer = client.post(f"{API}/broadcasts", json=body, headers=police.headers)
        assert answer.status_code == 201, answer.get_data(as_text=True)
        broadcasts.append(answer.get_json()["id"])
    client.post(f"{API}/broadcasts/{broadcasts[1]}/rsvp", headers=people["anna"].actor.headers)
    send_all(app, dispatcher, until_s=60)

    # Evening: everything each member can read.
    for person in people.values():
        for what, body in _reads(client, sink, person, broadcasts, tip_ids).items():
            result.outputs.append((person.key, what, _own_data_removed(person, what, body)))
    for what, path in (
        ("Atom feed", "/feeds/warnings.atom"),
        ("CAP warning", f"/broadcasts/{broadcasts[0]}/cap.xml"),
        ("iCalendar event", f"/broadcasts/{broadcasts[1]}/event.ics"),
    ):
        result.outputs.append(("the public", what, as_text(_get(client, None, path))))
    return result


def _reads(
    client: Any, sink: Any, person: Person, broadcasts: list[int], tip_ids: dict[int, str]
) -> dict[str, Any]:
    reads = {
        "GET /alerts": _get(client, person, "/alerts?limit=200"),
        "GET /tips": _get(client, person, "/tips?limit=200"),
        "GET /broadcasts": _get(client, person, "/broadcasts"),
        "GET /areas": _get(client, person, "/areas"),
        "GET /me/export": _get(client, person, "/me/export"),
    }
    for tip_id, reporter in tip_ids.items():
        if reporter != person.key:  # others' tips: the member view, where they were alerted
            answer = client.get(f"{API}/tips/{tip_id}", headers=person.actor.headers)
            if answer.status_code == 200:
                reads[f"GET /tips/{tip_id}"] = answer.get_json()
    for broadcast in broadcasts:
        reads[f"GET /broadcasts/{broadcast}"] = _get(client, person, f"/broadcasts/{broadcast}")
    for token in person.tokens:
        for n, message in enumerate(sink.tray(token)):
            reads[f"push {n} to {token}"] = message
    return reads


def _own_data_removed(person: Person, what: str, body: Any) -> str:
    """What the person sees minus their own data (their home, their own tips as written)."""
    if what == "GET /me/export":
        body = {key: value for key, value in body.items() if key not in ("home", "account")}
        body["tips"] = []  # their own tips, as they wrote them
    if what == "GET /tips":
        body = {"items": []}  # a member's list holds only their own tips
    return as_text(body)


def leaks(day: Day) -> list[str]:
    found = []
    for viewer, what, text in day.outputs:
        where = f"{viewer} · {what}"
        for number in fine_coordinates(text):
            found.append(f"{where}: coordinate {number} finer than the grid")
        for key, person in day.people.items():
            if key == viewer:
                continue
            for identity in (person.name, person.email):
                if identity in text:
                    found.append(f"{where}: reporter identity {identity!r}")
            for secret in day.secrets_of.get(key, []):
                if secret in text:
                    found.append(f"{where}: unmasked {secret!r} from {person.name}'s tip")
    return found


def test_no_member_facing_output_leaks(day):
    assert len(day.outputs) > 40, "the day produced too little to scan"
    assert any(what.startswith("push") for _, what, _ in day.outputs), "no push was captured"
    assert any(what.startswith("GET /tips/") for _, what, _ in day.outputs), "no tip was read"
    found = leaks(day)
    assert not found, f"{len(found)} leaks:\n" + "\n".join(sorted(set(found))[:200])


def test_the_scan_sees_what_it_must_find(day):
    """The scan is no blind eye: planted leaks of each kind are reported."""
    day.outputs.append(("anna", "planted", "Ruth Rapportör ABC 123 at 57.66634, 15.85571"))
    found = leaks(day)
    assert any("identity 'Ruth Rapportör'" in leak for leak in found)
    assert any("unmasked 'ABC 123'" in leak for leak in found)
    assert any("57.66634" in leak for leak in found)


# --- the access items of issue 11 (location oracles, protected reporters) -------------------


def test_a_protected_reporter_is_shown_to_nobody_but_police(
    client, make_user, make_area, add_member, post_tip
):
    area = make_area()
    hidden = make_user(name="Skyddad Person", protected=True)
    contact = make_user(home=offset(SPOT, 100))
    add_member(hidden, area)
    add_member(contact, area, role="contact_person")
    tip = post_tip(hidden, "vandalism")
    seen = as_text(_get(client, Person("c", contact, "", ""), f"/tips/{tip['id']}"))
    assert "Skyddad Person" not in seen
    assert hidden.email not in seen


def test_the_tip_answer_names_no_other_members_tip(
    client, make_user, make_area, add_member, post_tip
):
    area = make_area()
    first, second = make_user(), make_user()
    add_member(first, area)
    add_member(second, area)
    post_tip(first, "burglary")
    answer = post_tip(second, "burglary", at=offset(SPOT, 30))
    assert answer["duplicate_of"] is None


def test_the_tip_answer_counts_recipients_coarsely(
    client, make_user, make_area, add_member, post_tip
):
    area = make_area()
    reporter = make_user(home=SPOT)
    add_member(reporter, area)
    for n in range(3):
        add_member(make_user(home=offset(SPOT, 50 + 10 * n)), area)
    answer = post_tip(reporter, "burglary")
    assert answer["alert"]["recipient_count"] != 3  # not the exact number of homes near
