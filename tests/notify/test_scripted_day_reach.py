"""Issue 13's "Done when", as a scripted day: one urgent tip (a burglary) in a moderated
Vimmerby area reaches everyone who must know, each on the channel they chose, through the
HTTP API as the clients call it, the real dispatcher, the push sink, a real SMTP server
(aiosmtpd) and the fake 46elks gateway on loopback. Police then write it off as a false alarm
and every one of them is told once more on the same channel; the delivery counts per channel
at ``GET /tips/{id}/deliveries`` match what the three servers received, and nothing that must
not leave (the reporter, the exact point, the masked phone number) did."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import send_all
from tests.fakes.elks import FakeElks
from tests.notify.conftest import elks_config
from tests.notify.smtp_server import SmtpSink
from tests.privacy.test_scripted_day import fine_coordinates
from tests.tips.conftest import SPOT, offset

API = "/api/v1"
AREA = "Näs"
REPORTER = "Rut Rapportör"
PHONE_IN_TIP = "070-123 45 67"
DESCRIPTION = f"Två personer bryter upp altandörren hos grannen, ring mig på {PHONE_IN_TIP}."
SMS_ONLY = "+46701112201"
HOUSEHOLD = "+46701112202"
NONE = {"pending": 0, "sent": 0, "failed": 0, "unregistered": 0}


@pytest.fixture
def app_config(
    push_config: dict[str, Any], smtp_config: dict[str, Any], elks_server: FakeElks
) -> dict[str, Any]:
    return {**push_config, **smtp_config, **elks_config(elks_server.url)}


def call(client, method: str, path: str, actor, status: int, **kwargs: Any) -> Any:
    response = client.open(f"{API}{path}", method=method, headers=actor.headers, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_json()


@pytest.fixture
def day(client, make_user, make_area, add_member) -> dict[str, Any]:
    """Näs (Vimmerby, moderated): a reporter, the contact person, a neighbour with a phone,
    one who chose only e-mail, one who chose only SMS, and police of Vimmerby. Each sets up
    their own channels and phones through the API; the contact person registers a household
    without a smartphone, with the resident's consent."""
    area = make_area(name=AREA, center=SPOT, tip_moderation=True)
    people = {
        "reporter": make_user(home=SPOT, name=REPORTER),
        "contact": make_user(home=offset(SPOT, 300, 180)),
        "neighbour": make_user(home=offset(SPOT, 150)),
        "email_only": make_user(home=offset(SPOT, 250, 0), name="Åsa Öberg"),
        "sms_only": make_user(home=offset(SPOT, 350, 270)),
        "police": make_user(role="police", municipality_codes=["0884"]),
    }
    for name, actor in people.items():
        if name != "police":
            role = "contact_person" if name == "contact" else "member"
            add_member(actor, area, role=role)
    for name in ("reporter", "contact", "neighbour", "police"):
        call(
            client,
            "POST",
            "/me/devices",
            people[name],
            201,
            json={"token": f"{name}-phone", "platform": "android"},
        )
    call(client, "PATCH", "/me", people["email_only"], 200, json={"channels": ["email"]})
    call(
        client,
        "PATCH",
        "/me",
        people["sms_only"],
        200,
        json={"channels": ["sms"], "phone": SMS_ONLY},
    )
    household = {
        "name": "Gunnel Åberg",
        "phone": "070-111 22 02",
        "channels": ["sms"],
        "home": {"lat": offset(SPOT, 200, 45)[0], "lon": offset(SPOT, 200, 45)[1]},
        "consent": {"given_on": "2026-11-30", "method": "by_phone"},
    }
    registered = call(
        client, "POST", f"/areas/{area.id}/households", people["contact"], 201, json=household
    )
    assert registered["phone"] == HOUSEHOLD
    return {**people, "area": area}


def pushes(sink, token: str, kind: str) -> list[dict[str, Any]]:
    return [m for m in sink.tray(token) if m["data"]["kind"] == kind]


def mail_text(received) -> tuple[str, str]:
    message = received.message
    text = message.get_body(preferencelist=("plain",)).get_content()
    return message["Subject"], text


def assert_nothing_leaks(outputs: list[str], day: dict[str, Any]) -> None:
    for output in outputs:
        for secret in (REPORTER, "Rut", day["reporter"].email, PHONE_IN_TIP, "070-123"):
            assert secret not in output, (secret, output)
        assert fine_coordinates(output) == [], output


def test_one_burglary_reaches_everyone_and_its_withdrawal_too(
    app, client, sink, smtp: SmtpSink, elks: FakeElks, dispatcher, day, post_tip
):
    tip = post_tip(day["reporter"], "burglary", description=DESCRIPTION)
    assert tip["status"] == "pending"
    send_all(app, dispatcher)

    # Police of Vimmerby: a notice at once, ringing (urgent), with nothing of the tip's text.
    [police_notice] = pushes(sink, "police-phone", "notice")
    assert police_notice["data"]["title"] == "Nytt tips: Inbrott"
    assert police_notice["data"]["tip_id"] == str(tip["id"])
    assert police_notice["android"]["priority"] == "high"
    # The contact person: a tip waits for moderation.
    [to_moderate] = pushes(sink, "contact-phone", "notice")
    assert to_moderate["data"]["title"] == "Tips att granska: Inbrott"
    assert to_moderate["notification"]["body"] == f"I {AREA}. Godkänn eller avvisa det."
    # Nobody else yet: the alert waits for the contact person.
    assert pushes(sink, "neighbour-phone", "tip") == []
    assert (smtp.received, elks.accepted) == ([], [])

    call(client, "POST", f"/tips/{tip['id']}/approve", day["contact"], 200)
    send_all(app, dispatcher)

    # Neighbours with phones (the contact person is one of them), not the reporter.
    alerted_phones = ["contact-phone", "neighbour-phone"]
    for token in alerted_phones:
        [alert] = pushes(sink, token, "tip")
        assert alert["data"]["title"] == "Inbrott"
        assert alert["android"]["priority"] == "high"
    assert pushes(sink, "reporter-phone", "tip") == []
    assert pushes(sink, "police-phone", "tip") == []
    # The e-mail-only neighbour: one e-mail in Swedish over real SMTP.
    [first_mail] = smtp.received
    assert first_mail.rcpt_tos == [day["email_only"].email]
    subject, text = mail_text(first_mail)
    assert subject == "Inbrott"
    assert "bryter upp altandörren hos grannen" in text
    assert f"Område: {AREA}" in text
    assert "Ring 112" in text
    # The SMS-only neighbour and the household: one text each, the gateway got the forms.
    first_texts = {number: elks.texts_to(number) for number in (SMS_ONLY, HOUSEHOLD)}
    for number, [text_message] in first_texts.items():
        assert text_message.startswith(f"Grannsamverkan: Inbrott i {AREA}. Två personer"), number
        assert text_message.endswith("Ring 112 vid fara.")
    assert {a["to"] for a in elks.attempts} == {SMS_ONLY, HOUSEHOLD}

    # Police write it off as a false alarm.
    call(client, "PATCH", f"/tips/{tip['id']}", day["police"], 200, json={"status": "false_alarm"})
    send_all(app, dispatcher)

    for token in alerted_phones:  # the same devices, once more
        first, follow_up = pushes(sink, token, "tip")
        assert follow_up["data"]["title"] == "Avskrivet: Inbrott"
        assert follow_up["data"]["status"] == "withdrawn"
        assert follow_up["data"]["alert_id"] == first["data"]["alert_id"]
    assert pushes(sink, "reporter-phone", "tip") == []
    _, withdrawn_mail = smtp.received
    assert withdrawn_mail.rcpt_tos == [day["email_only"].email]
    subject, text = mail_text(withdrawn_mail)
    assert subject == "Avskrivet: Inbrott"
    assert "Läge: Avskrivet" in text
    assert "112" not in text  # a false alarm does not ask anyone to call
    for number in (SMS_ONLY, HOUSEHOLD):
        _, withdrawn_text = elks.texts_to(number)
        assert withdrawn_text.startswith("Grannsamverkan: Avskrivet: Inbrott"), withdrawn_text
        assert "112" not in withdrawn_text
    alert_id = int(pushes(sink, "neighbour-phone", "tip")[0]["data"]["alert_id"])
    for name in ("contact", "neighbour", "email_only", "sms_only"):
        items = call(client, "GET", "/alerts", day[name], 200)["items"]
        [item] = [i for i in items if i["kind"] == "tip"]
        assert (item["id"], item["status"]) == (alert_id, "withdrawn"), name

    # The counts per channel are what the three servers received, nothing pending or failed.
    tip_pushes = [m for token in alerted_phones for m in pushes(sink, token, "tip")]
    report = call(client, "GET", f"/tips/{tip['id']}/deliveries", day["police"], 200)
    assert report["by_channel"] == {
        "push": {**NONE, "sent": len(tip_pushes)},
        "email": {**NONE, "sent": len(smtp.received)},
        "sms": {**NONE, "sent": len(elks.accepted)},
    }
    assert (len(tip_pushes), len(smtp.received), len(elks.accepted)) == (4, 2, 4)
    assert report["counts"] == {**NONE, "sent": 10}

    # Nothing that must not leave did: no reporter, no exact point, no unmasked number.
    outputs = [json.dumps(m, ensure_ascii=False) for m in sink.all_messages()]
    outputs += [r.message.as_string() for r in smtp.received]
    outputs += [mail_text(r)[1] for r in smtp.received]
    outputs += [r.message for r in elks.accepted]
    assert_nothing_leaks(outputs, day)
