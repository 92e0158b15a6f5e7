"""SMS through the outbox to a fake 46elks gateway on loopback: who is texted (urgent tips
and police warnings only, people who chose SMS), what the text says, retries, failures,
delivery records and each municipality's monthly budget."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert, Delivery, SmsMonth
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.sender import Outcome, retry_after_seconds
from grannsamverkan.notify.sms import (
    ElksSmsSender,
    LogSmsSender,
    Sms,
    make_sms_sender,
)
from grannsamverkan.notify.sms_text import SmsSubject, fits_one_part, septets, sms_text
from grannsamverkan.services.local_time import local_month
from tests.fakes.elks import USERNAME, Answer, FakeElks
from tests.notify.conftest import SMS_SENDER as SENDER
from tests.notify.conftest import elks_config
from tests.tips.conftest import SPOT, offset

API = "/api/v1"
ANNA = "+46701234561"
BERTIL = "+46701234562"
CARL = "+46701234563"


@pytest.fixture
def app_config(elks_server: FakeElks) -> dict[str, Any]:
    return elks_config(elks_server.url)


@pytest.fixture
def street(make_user, make_area, add_member, add_device):
    """Storgatan (0884): a reporter; Anna and Bertil chose SMS; Carl has push only; Doris
    chose SMS and push; police of Vimmerby."""
    area = make_area(name="Storgatan", center=SPOT)
    people = {
        "reporter": make_user(home=offset(SPOT, 20)),
        "anna": make_user(home=offset(SPOT, 100), channels=["sms"], phone=ANNA),
        "bertil": make_user(home=offset(SPOT, 200), channels=["sms"], phone=BERTIL, locale="en"),
        "carl": make_user(home=offset(SPOT, 300), phone=CARL),
        "doris": make_user(home=offset(SPOT, 400), channels=["push", "sms"], phone="+46701234564"),
        "police": make_user(role="police", municipality_codes=["0884"]),
    }
    for name in ("reporter", "anna", "bertil", "carl", "doris"):
        add_member(people[name], area)
    add_device(people["carl"], "carl-phone")
    add_device(people["doris"], "doris-phone")
    people["area"] = area
    return people


def sms_rows(app) -> list[Delivery]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Delivery).where(Delivery.channel == "sms").order_by(Delivery.id)
            )
        )
        db.session.expunge_all()
        return rows


def run_once(app, dispatcher) -> None:
    with app.app_context():
        dispatcher.run_until_idle()


# --- the sender alone --------------------------------------------------------------------------


def elks_sender(url: str) -> ElksSmsSender:
    sender = make_sms_sender(elks_config(url))
    assert isinstance(sender, ElksSmsSender)
    return sender


def test_a_sent_text_carries_the_form_fields_and_basic_auth(elks):
    (result,) = elks_sender(elks.url).send([Sms(ANNA, "Inbrott pågår på Storgatan.")])
    assert result.outcome is Outcome.SENT
    (attempt,) = elks.attempts
    assert attempt == {"from": SENDER, "to": ANNA, "message": "Inbrott pågår på Storgatan."}
    assert elks.texts_to(ANNA) == ["Inbrott pågår på Storgatan."]


def test_wrong_credentials_fail_without_retry(elks):
    sender = ElksSmsSender(endpoint=elks.url, username=USERNAME, password="fel", sender=SENDER)
    (result,) = sender.send([Sms(ANNA, "Hej")])
    assert result.outcome is Outcome.FAILED
    assert "401" in (result.error or "")
    assert elks.accepted == []


def test_gateway_answers_map_to_outcomes(elks):
    elks.answer(ANNA, Answer(503, "Try later", {"Retry-After": "7"}))
    elks.answer(BERTIL, Answer(429, "Too many requests", {"Retry-After": "3"}))
    elks.answer(CARL, Answer(403, 'Invalid "to" number'))
    results = elks_sender(elks.url).send([Sms(n, "Hej") for n in (ANNA, BERTIL, CARL)])
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.RETRY, Outcome.FAILED]
    assert [r.retry_after_s for r in results[:2]] == [7.0, 3.0]
    assert 'Invalid "to" number' in (results[2].error or "")


def test_a_time_out_is_tried_again(elks):
    elks.answer(ANNA, Answer(200, delay_s=1.5))
    (result,) = elks_sender(elks.url).send([Sms(ANNA, "Hej")])
    assert result.outcome is Outcome.RETRY
    assert "timeout" in (result.error or "")
    # The gateway takes it in the end: wait for that here, or the late text would land in
    # the next test's gateway (the fake is shared by the test process).
    deadline = time.monotonic() + 3
    while not elks.texts_to(ANNA) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert elks.texts_to(ANNA) == ["Hej"]


def test_an_unreachable_gateway_leaves_the_rest_for_later():
    sender = ElksSmsSender(
        endpoint="http://127.0.0.1:9/a1/sms", username="u", password="p", sender=SENDER
    )
    results = sender.send([Sms(ANNA, "a"), Sms(BERTIL, "b")])
    assert [r.outcome for r in results] == [Outcome.RETRY, Outcome.RETRY]
    assert results[1].error == "not tried: gateway unreachable"


def test_retry_after_as_an_http_date():
    later = datetime.now().astimezone() + timedelta(seconds=120)
    from email.utils import format_datetime

    wait = retry_after_seconds(format_datetime(later, usegmt=True))
    assert wait is not None
    assert 100 < wait <= 120
    assert retry_after_seconds("soon") is None


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"GSV_SMS_BACKEND": "carrier-pigeon"}, "GSV_SMS_BACKEND"),
        ({"GSV_SMS_BACKEND": "elks", "GSV_SMS_FROM": SENDER}, "GSV_SMS_USERNAME"),
        (
            {"GSV_SMS_BACKEND": "elks", "GSV_SMS_USERNAME": "u", "GSV_SMS_PASSWORD": "p"},
            "GSV_SMS_FROM",
        ),
        (
            {
                "GSV_SMS_BACKEND": "elks",
                "GSV_SMS_USERNAME": "u",
                "GSV_SMS_PASSWORD": "p",
                "GSV_SMS_FROM": "Grannsamverkan",  # 14 characters: too long a sender name
            },
            "GSV_SMS_FROM",
        ),
    ],
)
def test_wrong_settings_stop_the_start(settings, field):
    with pytest.raises(ValueError, match=field):
        make_sms_sender(settings)


def test_the_log_sender_is_the_default_and_logs_no_number(caplog):
    sender = make_sms_sender({})
    assert isinstance(sender, LogSmsSender)
    with caplog.at_level("INFO", logger="grannsamverkan.sms"):
        (result,) = sender.send([Sms(ANNA, "Hemligt innehåll")])
    assert result.outcome is Outcome.SENT
    assert ANNA not in caplog.text
    assert "Hemligt" not in caplog.text


# --- the text -----------------------------------------------------------------------------------


def tip_alert(body: str, *, status: str = "active") -> Alert:
    return Alert(id=1, kind="tip", category="burglary", title="burglary", body=body, status=status)


def test_the_text_fits_one_message_in_gsm7_with_swedish_letters():
    body = "Två personer försöker ta sig in genom ett fönster på baksidan – “nu”. " * 5
    text = sms_text(SmsSubject(tip_alert(body), "Storgatan"), "alert", "sv")
    assert text.startswith("Grannsamverkan: Inbrott i Storgatan. Två personer")
    assert text.endswith("... Ring 112 vid fara.")
    assert septets(text) is not None  # the dash and quotes became GSM-7 characters
    assert fits_one_part(text)


def test_follow_ups_say_what_they_are_in_the_readers_language():
    subject = SmsSubject(tip_alert("Ett fönster krossat.", status="withdrawn"), "Storgatan")
    assert sms_text(subject, "cancel", "en").startswith("Neighbourhood watch: All clear: Burglary")
    assert sms_text(subject, "withdrawn", "sv").startswith("Grannsamverkan: Avskrivet: Inbrott")
    assert "112" not in sms_text(subject, "withdrawn", "sv")


# --- through the outbox ------------------------------------------------------------------------


def test_an_urgent_tip_texts_those_who_chose_sms(app, client, elks, dispatcher, street, post_tip):
    tip = post_tip(street["reporter"], "burglary", description="Någon bryter upp en dörr.")
    rows = sms_rows(app)
    assert sorted(r.sms_to for r in rows) == sorted([ANNA, BERTIL, "+46701234564"])
    assert {r.purpose for r in rows} == {"alert"}
    assert all(r.alert_id == tip["alert"]["id"] or r.alert_id for r in rows)
    run_once(app, dispatcher)

    (anna_text,) = elks.texts_to(ANNA)
    assert anna_text == (
        "Grannsamverkan: Inbrott i Storgatan. Någon bryter upp en dörr. Ring 112 vid fara."
    )
    (bertil_text,) = elks.texts_to(BERTIL)
    assert bertil_text.startswith("Neighbourhood watch: Burglary in Storgatan.")
    assert elks.texts_to(CARL) == []  # push only
    assert {r.state for r in sms_rows(app)} == {"sent"}
    counts = client.get(
        f"{API}/tips/{tip['id']}/deliveries", headers=street["police"].headers
    ).get_json()["counts"]
    assert counts["sent"] >= 3


def test_the_text_shows_no_exact_place_and_no_reporter(app, elks, dispatcher, street, post_tip):
    post_tip(street["reporter"], "burglary", description="Ring mig på 070-111 22 33, Storgatan 5")
    run_once(app, dispatcher)
    (text,) = elks.texts_to(ANNA)
    assert "070-111 22 33" not in text  # masked as in the inbox
    assert "User 1" not in text
    assert "user1@" not in text
    assert "57.66" not in text


def test_other_tips_are_not_texted(app, elks, dispatcher, street, post_tip):
    post_tip(street["reporter"], "suspicious_person")
    post_tip(street["reporter"], "attempted_burglary", at=offset(SPOT, 500))
    assert sms_rows(app) == []


def test_a_5xx_is_retried_after_its_retry_after(app, elks, dispatcher, street, post_tip):
    elks.answer(ANNA, Answer(503, "busy", {"Retry-After": "1"}))
    post_tip(street["reporter"], "burglary")
    started = time.monotonic()
    run_once(app, dispatcher)
    (anna_row,) = [r for r in sms_rows(app) if r.sms_to == ANNA]
    assert (anna_row.state, anna_row.attempts) == ("pending", 1)
    assert "503" in (anna_row.last_error or "")
    assert anna_row.next_attempt_at >= utcnow() + timedelta(seconds=0.5)
    deadline = time.monotonic() + 5
    while not elks.texts_to(ANNA) and time.monotonic() < deadline:
        time.sleep(0.1)
        run_once(app, dispatcher)
    assert time.monotonic() - started >= 1.0
    (anna_row,) = [r for r in sms_rows(app) if r.sms_to == ANNA]
    assert (anna_row.state, anna_row.attempts) == ("sent", 2)
    assert len(elks.texts_to(ANNA)) == 1


def test_a_429_is_retried(app, elks, dispatcher, street, post_tip):
    elks.answer(BERTIL, Answer(429, "slow down", {"Retry-After": "0"}))
    post_tip(street["reporter"], "burglary")
    deadline = time.monotonic() + 5
    while not elks.texts_to(BERTIL) and time.monotonic() < deadline:
        run_once(app, dispatcher)
        time.sleep(0.05)
    (row,) = [r for r in sms_rows(app) if r.sms_to == BERTIL]
    assert (row.state, row.attempts) == ("sent", 2)


def test_an_invalid_number_fails_for_good(app, elks, dispatcher, street, post_tip):
    elks.answer(ANNA, Answer(403, 'Invalid "to" number'))
    post_tip(street["reporter"], "burglary")
    run_once(app, dispatcher)
    time.sleep(0.3)
    run_once(app, dispatcher)
    (row,) = [r for r in sms_rows(app) if r.sms_to == ANNA]
    assert (row.state, row.attempts) == ("failed", 1)
    assert "Invalid" in (row.last_error or "")
    assert len([a for a in elks.attempts if a["to"] == ANNA]) == 1


def test_a_police_warning_is_texted_a_notice_is_not(app, client, elks, dispatcher, street):
    def send(kind: str) -> None:
        body = {
            "kind": kind,
            "title": "Falska poliser ringer äldre",
            "body": "Polisen ber aldrig om koder eller kort. Lägg på och ring 114 14.",
            "severity": "moderate",
            "target": {"municipality_codes": ["0884"]},
        }
        response = client.post(f"{API}/broadcasts", json=body, headers=street["police"].headers)
        assert response.status_code == 201, response.get_data(as_text=True)

    send("notice")
    assert sms_rows(app) == []
    send("fraud_warning")
    run_once(app, dispatcher)
    (text,) = elks.texts_to(ANNA)
    assert text.startswith("Polisen varnar: Falska poliser ringer äldre. Polisen ber aldrig")
    assert fits_one_part(text)


def test_a_cancelled_warning_texts_only_those_texted_first(app, client, elks, dispatcher, street):
    body = {
        "kind": "fraud_warning",
        "title": "Falska poliser",
        "body": "Lägg på.",
        "target": {"municipality_codes": ["0884"]},
    }
    police = street["police"].headers
    created = client.post(f"{API}/broadcasts", json=body, headers=police).get_json()
    run_once(app, dispatcher)
    with app.app_context():  # Anna stops SMS in between: she got the first text, so she hears
        db.session.execute(  # the cancel; Bertil's first text failed: he is not texted again
            Delivery.__table__.update().where(Delivery.sms_to == BERTIL).values(state="failed")
        )
        db.session.commit()
    response = client.post(f"{API}/broadcasts/{created['id']}/cancel", headers=police)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    run_once(app, dispatcher)
    cancels = [r for r in sms_rows(app) if r.purpose == "cancel"]
    assert sorted(r.sms_to for r in cancels) == sorted([ANNA, "+46701234564"])
    assert elks.texts_to(ANNA)[-1].startswith("Polisen varnar: Avblåst: Falska poliser")


# --- the monthly budget ------------------------------------------------------------------------


def budget_stats(client, actor, **query) -> Any:
    response = client.get(f"{API}/stats/sms", query_string=query, headers=actor.headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_budget_is_never_exceeded_and_skips_are_counted(
    app, client, elks, dispatcher, street, post_tip
):
    app.config["GSV_SMS_MONTHLY_BUDGET"] = 2
    post_tip(street["reporter"], "burglary")
    rows = sms_rows(app)
    # Anna and Bertil have no other way to be reached: they come before Doris (push too).
    assert sorted(r.sms_to for r in rows) == sorted([ANNA, BERTIL])
    post_tip(street["reporter"], "burglary", at=offset(SPOT, 400))
    assert len(sms_rows(app)) == 2
    month = local_month(utcnow())
    assert budget_stats(client, street["police"], municipality_code="0884") == {
        "municipality_code": "0884",
        "month": month,
        "budget": 2,
        "used": 2,
        "skipped": 4,
        "remaining": 0,
    }
    with app.app_context():
        (row,) = db.session.scalars(select(SmsMonth)).all()
        assert (row.used, row.skipped) == (2, 4)


def test_budget_figures_are_for_the_municipalitys_police(app, client, make_user, street):
    other = make_user(role="police", municipality_codes=["0860"])
    response = client.get(
        f"{API}/stats/sms", query_string={"municipality_code": "0884"}, headers=other.headers
    )
    assert response.status_code == 403
    response = client.get(
        f"{API}/stats/sms",
        query_string={"municipality_code": "0884"},
        headers=street["anna"].headers,
    )
    assert response.status_code == 403
    stats = budget_stats(client, street["police"], municipality_code="0884", month="2026-01")
    assert (stats["used"], stats["skipped"], stats["month"]) == (0, 0, "2026-01")
