"""Alerts and warnings by e-mail, one-click unsubscribe, the weekly digest and invitations
by e-mail, through the outbox to a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import itsdangerous.timed
import pytest
from sqlalchemy import select

from grannsamverkan.extensions import db
from grannsamverkan.geo.coarsen import coarsen
from grannsamverkan.models import Alert, Delivery, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services.digests import digest_week, queue_due_digests
from grannsamverkan.services.unsubscribe import unsubscribe_token
from tests.conftest import PASSWORD, TIP_SPOT, problem_of, send_all
from tests.notify.conftest import FROM, PUBLIC_URL
from tests.notify.smtp_server import SmtpSink
from tests.tips.conftest import offset

DESCRIPTION = "Någon bröt upp altandörren på baksidan, ring mig på 070-123 45 67 så berättar jag."
PHONE = "070-123 45 67"


@pytest.fixture
def app_config(smtp_config: dict[str, Any]) -> dict[str, Any]:
    return smtp_config


@pytest.fixture
def street(make_user, make_area, add_member, add_device) -> dict[str, Any]:
    """Storgatan: a reporter, Åsa who chose e-mail (and push), Per who chose push only."""
    area = make_area(name="Storgatan")
    reporter = make_user(home=offset(TIP_SPOT, 100), name="Rut Reporter")
    asa = make_user(home=offset(TIP_SPOT, 150), name="Åsa Öberg", channels=["push", "email"])
    per = make_user(home=offset(TIP_SPOT, 200), name="Per Persson")
    for person in (reporter, asa, per):
        add_member(person, area)
    add_device(per, "per-phone")
    return {"area": area, "reporter": reporter, "asa": asa, "per": per}


def _only_mail(smtp: SmtpSink) -> EmailMessage:
    (received,) = smtp.received
    return received.message


def _text_and_html(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert text.get_content_charset() == "utf-8"
    return text.get_content(), html.get_content()


def _unsubscribe_path(message: EmailMessage) -> str:
    header = message["List-Unsubscribe"]
    match = re.fullmatch(r"<(https://\S+)>", header)
    assert match, header
    link = match.group(1)
    assert link.startswith(f"{PUBLIC_URL}/unsubscribe/")
    return urlsplit(link).path


# --- alerts by e-mail ------------------------------------------------------------------------


def test_a_member_who_chose_email_gets_the_alert_by_email_and_a_push_only_one_none(
    app, client, smtp, dispatcher, post_tip, street
):
    tip = post_tip(street["reporter"], "attempted_burglary", description=DESCRIPTION)
    with app.app_context():
        row = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).one()
        # What a copy of the row needs to be sent again; the content is rendered at sending.
        assert (row.email_to, row.alert_id, row.purpose, row.locale) == (
            street["asa"].email,
            tip["alert"]["id"],
            "alert",
            "sv",
        )
        assert (row.email_subject, row.email_body) == (None, None)
    send_all(app, dispatcher)

    (received,) = smtp.received  # Åsa only: Per has push alone, the reporter is not told
    assert received.rcpt_tos == [street["asa"].email]
    message = received.message
    assert message["From"] == FROM
    assert message["To"] == street["asa"].email
    assert message["Subject"] == "Inbrottsförsök"
    raw_subject = re.search(rb"^Subject: (.*)$", received.raw, re.M)
    assert raw_subject
    assert raw_subject.group(1).startswith(b"=?utf-8?")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    _unsubscribe_path(message)
    # On the wire as it is: a mail client reads the URL, not RFC 2047 encoded words.
    assert re.search(
        rb"^List-Unsubscribe: <https://grannsamverkan\.example\.se/unsubscribe/[\w.-]+>\r?$",
        received.raw,
        re.M,
    )
    assert message.get_content_type() == "multipart/alternative"
    text, html = _text_and_html(message)
    assert "bröt upp altandörren på baksidan" in text
    assert "bröt upp altandörren på baksidan" in html
    assert "Område: Storgatan" in text
    assert "Ring 112" in text
    # As members see it: the phone number masked, the reporter unnamed, the place coarse.
    for leaked in (PHONE, "Rut Reporter", street["reporter"].email):
        assert leaked not in text
        assert leaked not in html
    cell = coarsen(*TIP_SPOT)
    assert f"{cell['lat']:.4f}, {cell['lon']:.4f}" in text
    assert f"{TIP_SPOT[0]:.4f}" != f"{cell['lat']:.4f}"
    assert f"{TIP_SPOT[0]:.4f}" not in text


def test_an_english_member_gets_the_alert_in_english(
    app, client, smtp, dispatcher, post_tip, street, make_user, add_member
):
    ella = make_user(home=offset(TIP_SPOT, 120), locale="en", channels=["email"])
    add_member(ella, street["area"])
    post_tip(street["reporter"], "burglary")
    send_all(app, dispatcher)
    by_address = {r.rcpt_tos[0]: r.message for r in smtp.received}
    assert set(by_address) == {street["asa"].email, ella.email}
    assert by_address[ella.email]["Subject"] == "Burglary"
    assert "Area: Storgatan" in _text_and_html(by_address[ella.email])[0]
    assert by_address[street["asa"].email]["Subject"] == "Inbrott"


def test_a_police_warning_and_its_cancellation_reach_the_email_member(
    app, client, smtp, dispatcher, street, make_user
):
    police = make_user(role="police", municipality_codes=["0884"])
    sent = client.post(
        "/api/v1/broadcasts",
        json={
            "kind": "fraud_warning",
            "title": "Falska bankmän ringer äldre",
            "body": "Lämna aldrig ut koder från BankID, säger polisen.",
            "target": {"municipality_codes": ["0884"]},
        },
        headers=police.headers,
    )
    assert sent.status_code == 201, sent.get_data(as_text=True)
    send_all(app, dispatcher)
    message = _only_mail(smtp)
    assert message["Subject"] == "Falska bankmän ringer äldre"
    assert "Lämna aldrig ut koder från BankID" in _text_and_html(message)[0]
    smtp.clear()
    cancel = client.post(
        f"/api/v1/broadcasts/{sent.get_json()['id']}/cancel", headers=police.headers
    )
    assert cancel.status_code == 200
    send_all(app, dispatcher)
    message = _only_mail(smtp)
    assert message["Subject"] == "Avblåst: Falska bankmän ringer äldre"
    assert "Läge: Avblåst" in _text_and_html(message)[0]


# --- one-click unsubscribe -------------------------------------------------------------------


def test_one_click_unsubscribe_stops_alert_emails(app, client, smtp, dispatcher, post_tip, street):
    post_tip(street["reporter"])
    send_all(app, dispatcher)
    path = _unsubscribe_path(_only_mail(smtp))
    # As a mail client does it (RFC 8058): a POST without cookies or sign-in.
    answer = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 204
    me = client.get("/api/v1/me", headers=street["asa"].headers).get_json()
    assert me["channels"] == ["push"]
    # Again: nothing more to do, and no error.
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 204
    smtp.clear()
    post_tip(street["reporter"], at=offset(TIP_SPOT, 60))
    send_all(app, dispatcher)
    assert smtp.received == []


def test_the_unsubscribe_page_asks_first_and_its_button_unsubscribes(
    app, client, smtp, dispatcher, post_tip, street
):
    post_tip(street["reporter"])
    send_all(app, dispatcher)
    path = _unsubscribe_path(_only_mail(smtp))
    page = client.get(path)  # a mail scanner following the link changes nothing
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sluta få larm per e-post" in html
    assert f'action="{path}"' in html
    me = client.get("/api/v1/me", headers=street["asa"].headers).get_json()
    assert "email" in me["channels"]
    done = client.post(path, data={"List-Unsubscribe": "One-Click", "from": "page"})
    assert done.status_code == 200
    assert "Du får inte längre larm per e-post" in done.get_data(as_text=True)
    me = client.get("/api/v1/me", headers=street["asa"].headers).get_json()
    assert me["channels"] == ["push"]


def test_a_forged_unsubscribe_link_is_refused(client, street):
    problem = problem_of(client.post("/unsubscribe/forged-token"), 400)
    assert problem["type"].endswith(":invalid-link")
    assert client.get("/unsubscribe/forged-token").status_code == 400
    me = client.get("/api/v1/me", headers=street["asa"].headers).get_json()
    assert "email" in me["channels"]


def test_an_expired_unsubscribe_link_is_refused(app, client, street, monkeypatch):
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    max_age = app.config["GSV_UNSUBSCRIBE_MAX_AGE"]
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - max_age - 1
    )
    with app.app_context():
        token = unsubscribe_token(street["asa"].id, "alerts")
    monkeypatch.undo()
    problem = problem_of(client.post(f"/unsubscribe/{token}"), 400)
    assert problem["type"].endswith(":invalid-link")
    me = client.get("/api/v1/me", headers=street["asa"].headers).get_json()
    assert "email" in me["channels"]


# --- the weekly digest -----------------------------------------------------------------------


def _next_sending() -> Any:
    """A moment after the next Monday 07:00: its digest tells of the week we are in now."""
    return digest_week(utcnow()).sends_at + timedelta(days=7, hours=1)


def _queue_digests(app: Any, at: Any) -> int:
    with app.app_context():
        handled = queue_due_digests(at)
        db.session.commit()
        return handled


def test_the_weekly_digest_is_sent_once_a_week_as_members_see_the_alerts(
    app, client, smtp, dispatcher, post_tip, street, make_user, add_member, make_area
):
    answer = client.patch("/api/v1/me", json={"digest": True}, headers=street["per"].headers)
    assert answer.status_code == 200
    assert answer.get_json()["digest"] is True
    # Opted in, but nothing happened in her area: no e-mail for her.
    quiet_area = make_area(name="Näs", center=(57.6745, 15.8425))
    quiet = make_user(home=(57.6745, 15.8425), digest=True)
    add_member(quiet, quiet_area)
    post_tip(street["reporter"], "suspicious_person", description=DESCRIPTION)
    post_tip(street["reporter"], "narcotics", at=offset(TIP_SPOT, 300))  # never to neighbours
    send_all(app, dispatcher)
    smtp.clear()

    at = _next_sending()
    assert _queue_digests(app, at) == 2
    assert _queue_digests(app, at + timedelta(hours=5)) == 0  # the same week: done already
    send_all(app, dispatcher)
    (received,) = smtp.received
    assert received.rcpt_tos == [street["per"].email]
    message = received.message
    week = digest_week(at)
    assert message["Subject"] == f"Veckan i Grannsamverkan, vecka {week.number}"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    body = message.get_content()
    assert "Hej Per Persson!" in body
    assert "Området Storgatan" in body
    assert "Misstänkt person" in body
    assert "bröt upp altandörren" in body
    assert "Narkotika" not in body
    for leaked in (PHONE, "Rut Reporter", f"{TIP_SPOT[0]:.4f}"):
        assert leaked not in body
    with app.app_context():
        markers = dict(db.session.execute(select(User.id, User.digest_week)).all())
    assert markers[street["per"].id] == markers[quiet.id] == week.key

    # The next week has nothing to tell: everyone is handled, nobody e-mailed.
    smtp.clear()
    assert _queue_digests(app, at + timedelta(days=7)) == 2
    send_all(app, dispatcher)
    assert smtp.received == []


def test_two_dispatchers_at_once_send_one_digest(app, client, smtp, dispatcher, post_tip, street):
    client.patch("/api/v1/me", json={"digest": True}, headers=street["asa"].headers)
    post_tip(street["reporter"])
    send_all(app, dispatcher)
    smtp.clear()
    at = _next_sending()
    start = threading.Barrier(2)
    handled: list[int] = []

    def sweep() -> None:
        start.wait()
        handled.append(_queue_digests(app, at))

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert sorted(handled) == [0, 1]
    send_all(app, dispatcher)
    assert [r.rcpt_tos for r in smtp.received] == [[street["asa"].email]]


def test_the_digest_unsubscribe_link_turns_the_digest_off(
    app, client, smtp, dispatcher, post_tip, street
):
    client.patch("/api/v1/me", json={"digest": True}, headers=street["per"].headers)
    post_tip(street["reporter"])
    send_all(app, dispatcher)
    smtp.clear()
    _queue_digests(app, _next_sending())
    send_all(app, dispatcher)
    path = _unsubscribe_path(_only_mail(smtp))
    assert path in _only_mail(smtp).get_content()
    page = client.get(path)
    assert "Sluta få veckobrevet" in page.get_data(as_text=True)
    assert client.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 204
    me = client.get("/api/v1/me", headers=street["per"].headers).get_json()
    assert me["digest"] is False
    assert me["channels"] == ["push"]  # the other list is left as it was


def test_the_dispatcher_runs_the_digest_sweep(app, dispatcher, street, make_user):
    with app.app_context():
        db.session.get(User, street["per"].id).digest = True  # type: ignore[union-attr]
        db.session.commit()
        dispatcher.run_until_idle()
        marker = db.session.scalar(select(User.digest_week).where(User.id == street["per"].id))
    assert marker == digest_week(utcnow()).key


# --- invitations by e-mail -------------------------------------------------------------------


def test_an_invitation_by_email_has_a_link_that_lets_the_invitee_join(
    app, client, smtp, dispatcher, make_user, make_area, add_member
):
    area = make_area(name="Näs")
    contact = make_user(name="Märta Kontakt")
    add_member(contact, area, role="contact_person")
    answer = client.post(
        f"/api/v1/areas/{area.id}/invitations",
        json={"email": "Ny.Granne@Example.se"},
        headers=contact.headers,
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert smtp.received == []  # the outbox sends it after the request
    send_all(app, dispatcher)
    (received,) = smtp.received
    assert received.rcpt_tos == ["ny.granne@example.se"]
    message = received.message
    assert message["Subject"] == "Inbjudan till Grannsamverkan: Näs"
    assert message["List-Unsubscribe"] is None  # not a list the invitee is on
    body = message.get_content()
    assert "Märta Kontakt" in body
    link = re.search(rf"{re.escape(PUBLIC_URL)}/invitations/\S+", body)
    assert link, body
    path = urlsplit(link.group(0)).path
    token = path.rsplit("/", 1)[1]
    assert token == answer.get_json()["token"]

    page = client.get(path, headers={"Accept-Language": "sv"})
    assert page.status_code == 200
    assert "Näs" in page.get_data(as_text=True)
    registered = client.post(
        "/api/v1/auth/register",
        json={"email": "ny.granne@example.se", "password": PASSWORD, "name": "Ny Granne"},
    )
    assert registered.status_code == 201
    login = client.post(
        "/api/v1/auth/login", json={"email": "ny.granne@example.se", "password": PASSWORD}
    ).get_json()
    headers = {"Authorization": f"Bearer {login['access_token']}"}
    accepted = client.post(f"/api/v1/invitations/{token}/accept", headers=headers)
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert accepted.get_json()["status"] == "active"
    with app.app_context():
        # The link, a credential, is not kept once sent.
        row = db.session.scalars(select(Delivery).where(Delivery.purpose == "invitation")).one()
        assert (row.state, row.email_body) == ("sent", None)


def test_an_alert_mail_for_an_expired_alert_is_not_sent(app, smtp, dispatcher, post_tip, street):
    post_tip(street["reporter"])
    with app.app_context():
        alert = db.session.scalars(select(Alert)).one()
        alert.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    send_all(app, dispatcher)
    assert smtp.received == []
    with app.app_context():
        row = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).one()
        assert (row.state, row.last_error) == ("failed", "expired")


def test_a_deleted_account_gets_no_email_still_waiting(
    app, client, smtp, dispatcher, post_tip, street
):
    post_tip(street["reporter"])
    assert client.delete("/api/v1/me", headers=street["asa"].headers).status_code == 204
    send_all(app, dispatcher)
    assert smtp.received == []


def test_the_export_has_the_email_choices(client, street):
    client.patch("/api/v1/me", json={"digest": True}, headers=street["asa"].headers)
    exported = client.get("/api/v1/me/export", headers=street["asa"].headers).get_json()
    assert exported["alert_settings"]["channels"] == ["push", "email"]
    assert exported["alert_settings"]["digest"] is True


def test_invitations_by_email_are_limited_per_inviter(
    app, client, make_user, make_area, add_member
):
    app.config["GSV_INVITATION_EMAIL_LIMIT"] = "2/hour"
    area = make_area()
    contact = make_user()
    add_member(contact, area, role="contact_person")
    url = f"/api/v1/areas/{area.id}/invitations"
    answers = [
        client.post(url, json={"email": f"granne{n}@example.se"}, headers=contact.headers)
        for n in range(3)
    ]
    assert [a.status_code for a in answers] == [201, 201, 429]
    # A link without an e-mail is not counted.
    assert client.post(url, json={}, headers=contact.headers).status_code == 201


def test_the_digest_command_handles_each_person_once_a_week(app, smtp, street, make_user):
    with app.app_context():
        for actor in (street["asa"], street["per"]):
            db.session.get(User, actor.id).digest = True  # type: ignore[union-attr]
        db.session.commit()
    first = app.test_cli_runner().invoke(args=["digest", "send"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("2 people handled")
    again = app.test_cli_runner().invoke(args=["digest", "send"])
    assert again.output.startswith("0 people handled")


def test_a_copy_of_an_alert_email_row_with_another_purpose_is_rendered_alike(
    app, smtp, dispatcher, post_tip, street
):
    """A follow-up copies the first rows with a new purpose (as the tip outcome follow-ups
    do): the copy names no content, and is rendered with the push's outcome prefix and the
    status."""
    post_tip(street["reporter"])
    send_all(app, dispatcher)
    smtp.clear()
    with app.app_context():
        first = db.session.scalars(select(Delivery).where(Delivery.channel == "email")).one()
        alert = db.session.get(Alert, first.alert_id)
        alert.status = "withdrawn"  # type: ignore[union-attr]
        copy = {
            c.name: getattr(first, c.name) for c in Delivery.__table__.columns if c.name != "id"
        }
        copy.update(purpose="outcome", state="pending", attempts=0, next_attempt_at=utcnow())
        db.session.add(Delivery(**copy))
        db.session.commit()
    send_all(app, dispatcher)
    message = _only_mail(smtp)
    assert message["Subject"] == "Avskrivet: Inbrott"
    text, _ = _text_and_html(message)
    assert "Läge: Avskrivet" in text
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    ("status", "label"), [("false_alarm", "Avskrivet"), ("closed", "Avslutat")]
)
def test_an_email_about_a_tip_written_off_does_not_ask_to_call_112(
    app, client, smtp, dispatcher, post_tip, street, make_user, status, label
):
    police = make_user(role="police", municipality_codes=["0884"])
    tip = post_tip(street["reporter"], "burglary")
    send_all(app, dispatcher)
    assert "Ring 112" in _text_and_html(_only_mail(smtp))[0]
    smtp.clear()
    response = client.patch(
        f"/api/v1/tips/{tip['id']}", json={"status": status}, headers=police.headers
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    send_all(app, dispatcher)
    message = _only_mail(smtp)
    assert message["Subject"] == f"{label}: Inbrott"
    text, html = _text_and_html(message)
    assert f"Läge: {label}" in text
    assert "112" not in text
    assert "112" not in html
