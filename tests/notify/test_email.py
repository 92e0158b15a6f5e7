"""E-mail through the outbox to a real SMTP server on loopback, and password reset by it."""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import itsdangerous.timed
import pytest
from sqlalchemy import func, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery
from grannsamverkan.notify.mail import LogMailer, Mail, make_mailer, parse_smtp_url
from grannsamverkan.notify.sender import Outcome
from tests.conftest import problem_of, send_all
from tests.notify.conftest import FROM
from tests.notify.smtp_server import SmtpSink

NEW_PASSWORD = "sju gröna ekorrar hoppar över staketet"  # noqa: S105 - a test's password


@pytest.fixture
def app_config(smtp_config: dict[str, Any]) -> dict[str, Any]:
    return smtp_config


def _reset_link(smtp: SmtpSink) -> str:
    (received,) = smtp.received
    body = received.message.get_content()
    match = re.search(r"https://\S+", body)
    assert match, body
    return match.group(0)


def _token(link: str) -> str:
    return parse_qs(urlsplit(link).query)["token"][0]


def _email_rows(app: Any) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).where(Delivery.channel == "email")) or 0


def test_reset_mail_arrives_in_swedish_and_its_link_sets_a_new_password(
    app, client, smtp, dispatcher, make_user
):
    user = make_user(name="Åsa Öberg")
    response = client.post("/api/v1/auth/password-reset", json={"email": user.email.upper()})
    assert response.status_code == 202
    assert response.get_json() == {"expires_in": 3600}
    assert smtp.received == []  # not sent inside the request: the outbox sends it
    send_all(app, dispatcher)

    (received,) = smtp.received
    assert received.rcpt_tos == [user.email]
    message = received.message
    assert message["From"] == FROM
    assert message["To"] == user.email
    assert message["Subject"] == "Återställ ditt lösenord"
    assert message["Message-ID"].endswith("@grannsamverkan.example.se>")
    assert message["Date"]
    assert message["Content-Transfer-Encoding"] == "quoted-printable"
    assert b"=C3=A5" in received.raw  # å, as UTF-8 in quoted-printable
    assert message.get_content_charset() == "utf-8"
    raw_subject = re.search(rb"^Subject: (.*)$", received.raw, re.M)
    assert raw_subject
    assert raw_subject.group(1).startswith(b"=?utf-8?")  # RFC 2047
    body = message.get_content()
    assert "Hej Åsa Öberg!" in body
    assert "förhoppningsvis" in body
    assert "Länken fungerar en gång" in body
    link = _reset_link(smtp)
    assert link.startswith("https://grannsamverkan.example.se/password-reset?token=")

    confirmed = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": _token(link), "password": NEW_PASSWORD},
    )
    assert confirmed.status_code == 204
    # Every session of the account is signed out; the new password signs in.
    assert client.get("/api/v1/me", headers=user.headers).status_code == 401
    login = client.post("/api/v1/auth/login", json={"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 200
    # The link is not kept in the outbox once sent.
    with app.app_context():
        assert db.session.scalar(select(Delivery.email_body)) is None


def test_a_reset_link_works_once(app, client, smtp, dispatcher, make_user):
    user = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    send_all(app, dispatcher)
    token = _token(_reset_link(smtp))
    body = {"token": token, "password": NEW_PASSWORD}
    assert client.post("/api/v1/auth/password-reset/confirm", json=body).status_code == 204
    again = client.post("/api/v1/auth/password-reset/confirm", json=body)
    assert problem_of(again, 400)["type"].endswith(":invalid-link")


def test_an_expired_reset_link_is_refused(app, client, smtp, dispatcher, make_user, monkeypatch):
    user = make_user()
    real = itsdangerous.timed.TimestampSigner.get_timestamp
    monkeypatch.setattr(
        itsdangerous.timed.TimestampSigner, "get_timestamp", lambda self: real(self) - 3601
    )
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    monkeypatch.undo()
    send_all(app, dispatcher)
    response = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": _token(_reset_link(smtp)), "password": NEW_PASSWORD},
    )
    assert problem_of(response, 400)["type"].endswith(":invalid-link")
    assert client.get("/api/v1/me", headers=user.headers).status_code == 200


def test_a_forged_token_is_refused(client):
    response = client.post(
        "/api/v1/auth/password-reset/confirm",
        json={"token": "not-a-token", "password": NEW_PASSWORD},
    )
    assert problem_of(response, 400)["type"].endswith(":invalid-link")


def test_a_weak_new_password_is_refused_and_the_link_still_works(
    app, client, smtp, dispatcher, make_user
):
    user = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    send_all(app, dispatcher)
    token = _token(_reset_link(smtp))
    weak = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": "1234567890"}
    )
    assert "password" in problem_of(weak, 422)["errors"]
    strong = client.post(
        "/api/v1/auth/password-reset/confirm", json={"token": token, "password": NEW_PASSWORD}
    )
    assert strong.status_code == 204


def test_an_unknown_address_gets_the_same_answer_and_no_mail(app, client, smtp, dispatcher):
    response = client.post("/api/v1/auth/password-reset", json={"email": "nobody@example.se"})
    assert response.status_code == 202
    assert response.get_json() == {"expires_in": 3600}  # as for a known address
    send_all(app, dispatcher)
    assert smtp.received == []
    assert _email_rows(app) == 0


def test_a_refused_mail_is_retried_with_backoff_then_sent(app, client, smtp, dispatcher, make_user):
    user = make_user()
    smtp.refuse_next.append("451 4.3.0 try again later")
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    send_all(app, dispatcher)
    assert [r.rcpt_tos for r in smtp.received] == [[user.email]]
    with app.app_context():
        row = db.session.scalars(select(Delivery)).one()
        assert (row.state, row.attempts) == ("sent", 2)


def test_a_mail_the_server_rejects_for_good_is_not_retried(
    app, client, smtp, dispatcher, make_user
):
    user = make_user()
    smtp.refuse_next.append("550 5.1.1 no such mailbox")
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    send_all(app, dispatcher)
    assert smtp.received == []
    with app.app_context():
        row = db.session.scalars(select(Delivery)).one()
        assert (row.state, row.attempts) == ("failed", 1)
        assert "550" in (row.last_error or "")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.se:2525", ("mail.example.se", 2525, "none", None, None)),
        (
            "smtp+starttls://user%40x:p%C3%A5ss@mail.example.se:587",
            ("mail.example.se", 587, "starttls", "user@x", "påss"),
        ),
        ("smtps://u:p@mail.example.se", ("mail.example.se", 465, "implicit", "u", "p")),
    ],
)
def test_smtp_urls(url, expected):
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.tls, s.username, s.password) == expected


def test_a_wrong_smtp_url_is_refused():
    with pytest.raises(ValueError, match="GSV_SMTP_URL"):
        parse_smtp_url("http://mail.example.se")


def _follow(client: Any, link: str) -> Any:
    """Open the e-mail's link in the app (the path and query of it)."""
    parts = urlsplit(link)
    return client.get(f"{parts.path}?{parts.query}", headers={"Accept-Language": "sv"})


def test_the_mailed_link_opens_a_page_that_sets_the_password(
    app, client, smtp, dispatcher, make_user
):
    user = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    send_all(app, dispatcher)
    link = _reset_link(smtp)
    page = _follow(client, link)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Välj ett nytt lösenord" in html
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert csrf
    form = {"csrf_token": csrf.group(1), "token": _token(link)}
    weak = client.post("/password-reset", data={**form, "password": "1234567890"})
    assert weak.status_code == 422
    done = client.post("/password-reset", data={**form, "password": NEW_PASSWORD})
    assert done.status_code == 200
    assert "Ditt lösenord är bytt" in done.get_data(as_text=True)
    assert client.get("/api/v1/me", headers=user.headers).status_code == 401
    used = _follow(client, link)
    assert used.status_code == 400
    assert "redan använts" in used.get_data(as_text=True)


def test_a_mail_claimed_by_a_dispatcher_that_died_is_sent_by_another(
    app, client, smtp, dispatcher, make_user
):
    from grannsamverkan.models.types import utcnow
    from grannsamverkan.notify.runner import EXTENSION, dispatcher_for

    user = make_user()
    client.post("/api/v1/auth/password-reset", json={"email": user.email})
    with app.app_context():
        assert len(dispatcher.claim()) == 1  # ... and the process is killed before sending
        row = db.session.scalars(select(Delivery)).one()
        row.claimed_until = utcnow()  # its lease runs out
        db.session.commit()
    other = dispatcher_for(app, app.extensions[EXTENSION].sender)
    send_all(app, other)
    assert [r.rcpt_tos for r in smtp.received] == [[user.email]]


def test_reset_requests_share_the_sign_in_limit(client):
    answers = [
        client.post("/api/v1/auth/password-reset", json={"email": "x@example.se"}).status_code
        for _ in range(11)
    ]
    assert answers == [202] * 10 + [429]


def test_without_smtp_settings_mails_are_logged_without_their_content(caplog):
    mailer = make_mailer({})
    assert isinstance(mailer, LogMailer)
    with caplog.at_level(logging.INFO, logger="grannsamverkan.mail"):
        results = mailer.send([Mail("a@example.se", "Återställ", "secret-link")])
    assert [r.outcome for r in results] == [Outcome.SENT]
    assert "Återställ" in caplog.text
    assert "secret-link" not in caplog.text
    with pytest.raises(ValueError, match="GSV_MAIL_FROM"):
        make_mailer({"GSV_SMTP_URL": "smtp://127.0.0.1:25"})
