"""Both FCM transports (GSV_FCM_TRANSPORT: firebase-admin's threads, aiohttp) against the
loopback push sink and a loopback OAuth2 token endpoint: the same outcomes for the outbox."""

from __future__ import annotations

import datetime
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from firebase_admin import credentials

from grannsamverkan.config import Settings
from grannsamverkan.notify.backends import make_sender
from grannsamverkan.notify.fcm_aiohttp import AiohttpFcmSender
from grannsamverkan.notify.fcm_sender import FcmSender
from grannsamverkan.notify.sender import Outcome, PushSender, TokenResult
from mobile_client_stub.push_sink import PushSink
from tests.conftest import send_all
from tests.notify.test_dispatcher import states, street  # noqa: F401 - a fixture
from tests.notify.test_fcm_sender import PROJECT, TOKENS, _service_account, message

TRANSPORTS = {"sdk": FcmSender, "aiohttp": AiohttpFcmSender}


@pytest.fixture(params=list(TRANSPORTS))
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def sender(sink: PushSink, transport: str) -> Iterator[FcmSender]:
    fcm = make_sender(
        {
            "GSV_PUSH_BACKEND": "fcm",
            "GSV_FCM_TRANSPORT": transport,
            "GSV_FIREBASE_PROJECT_ID": PROJECT,
            "GSV_FCM_ENDPOINT": sink.base_url,
            "GSV_FCM_TIMEOUT_S": 5,
        }
    )
    assert type(fcm) is TRANSPORTS[transport]
    yield fcm
    fcm.close()


def send(sender: PushSender, tokens: list[str] | None = None) -> list[TokenResult]:
    push = message(tokens)
    results = sender.send(push)
    assert [r.token for r in results] == push.tokens
    return results


def outcomes(results: list[TokenResult]) -> list[Outcome]:
    return [r.outcome for r in results]


def test_an_unknown_transport_is_refused(sink: PushSink) -> None:
    config = {
        "GSV_PUSH_BACKEND": "fcm",
        "GSV_FCM_TRANSPORT": "httpx",
        "GSV_FIREBASE_PROJECT_ID": PROJECT,
        "GSV_FCM_ENDPOINT": sink.base_url,
    }
    with pytest.raises(ValueError, match="'sdk' or 'aiohttp'"):
        make_sender(config)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [(None, AiohttpFcmSender), ("", AiohttpFcmSender), ("sdk", FcmSender), (" SDK ", FcmSender)],
)
def test_aiohttp_is_the_default_transport_and_sdk_stays_selectable(
    sink: PushSink, monkeypatch: pytest.MonkeyPatch, setting: str | None, expected: type
) -> None:
    config = {
        "GSV_PUSH_BACKEND": "fcm",
        "GSV_FIREBASE_PROJECT_ID": PROJECT,
        "GSV_FCM_ENDPOINT": sink.base_url,
    }
    if setting is not None:
        config["GSV_FCM_TRANSPORT"] = setting
    fcm = make_sender(config)
    try:
        assert type(fcm) is expected
    finally:
        fcm.close()
    # The environment's default too, as the app reads it (config.py).
    if setting is None:
        monkeypatch.delenv("GSV_FCM_TRANSPORT", raising=False)
    else:
        monkeypatch.setenv("GSV_FCM_TRANSPORT", setting)
    transport = Settings().as_flask_config()["GSV_FCM_TRANSPORT"]
    fcm = make_sender({**config, "GSV_FCM_TRANSPORT": transport})
    try:
        assert type(fcm) is expected
    finally:
        fcm.close()


def test_sent_lands_in_every_tray_with_the_same_message(sink: PushSink, sender: FcmSender) -> None:
    assert outcomes(send(sender)) == [Outcome.SENT] * 3
    for token in TOKENS:
        (got,) = sink.tray(token)
        assert got["notification"] == {"title": "Inbrott pågår", "body": "Storgatan, nära torget"}
        assert got["android"]["priority"] == "high"
        assert got["android"]["ttl"] == "3600s"
        assert got["apns"]["payload"]["aps"]["sound"] == "default"
        assert got["data"]["alert_id"] == "42"
    assert sink.bearer_tokens() == ["gsv-loopback-token"] * 3


def test_the_transports_send_identical_messages(sink: PushSink) -> None:
    sent = {}
    for name, sender_class in TRANSPORTS.items():
        sink.reset()
        with sender_class(PROJECT, endpoint=sink.base_url) as fcm:
            assert outcomes(send(fcm, [TOKENS[0]])) == [Outcome.SENT]
        got = sink.tray(TOKENS[0])[0]["message"]
        got["apns"]["headers"].pop("apns-expiration")  # the clock's second
        sent[name] = got
    assert sent["sdk"] == sent["aiohttp"]


def test_unregistered_token(sink: PushSink, sender: FcmSender) -> None:
    sink.unregister(TOKENS[1])
    sink.fail(403, token=TOKENS[2])  # SENDER_ID_MISMATCH: the token is not ours any more

    results = send(sender)

    assert outcomes(results) == [Outcome.SENT, Outcome.UNREGISTERED, Outcome.UNREGISTERED]
    assert "UnregisteredError" in (results[1].error or "")
    assert "SenderIdMismatchError" in (results[2].error or "")


def test_invalid_argument_fails_for_good(sink: PushSink, sender: FcmSender) -> None:
    sink.fail(400, token=TOKENS[0])

    results = send(sender)

    assert outcomes(results) == [Outcome.FAILED, Outcome.SENT, Outcome.SENT]
    assert "InvalidArgumentError" in (results[0].error or "")


@pytest.mark.parametrize(("retry_after", "wait"), [(120, 120.0), (5, 60.0)])
def test_quota_exceeded_retries_after_the_header_at_least_a_minute(
    sink: PushSink, sender: FcmSender, retry_after: int, wait: float
) -> None:
    sink.quota_exceeded(retry_after_s=retry_after)

    results = send(sender)

    assert outcomes(results) == [Outcome.RETRY] * 3
    assert [r.retry_after_s for r in results] == [wait] * 3
    assert [r["status"] for r in sink.request_log(TOKENS[0])] == [429]


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_retry_after_one_request(
    sink: PushSink, sender: FcmSender, status: int
) -> None:
    sink.fail(status, retry_after_s=30 if status == 503 else None)

    results = send(sender)

    assert outcomes(results) == [Outcome.RETRY] * 3
    assert [r.retry_after_s for r in results] == [30.0 if status == 503 else None] * 3
    for token in TOKENS:
        assert [r["status"] for r in sink.request_log(token)] == [status]


def test_hung_endpoint_is_retry_within_the_timeout(sink: PushSink, transport: str) -> None:
    sink.delay(5)
    with TRANSPORTS[transport](PROJECT, endpoint=sink.base_url, timeout_s=0.5) as hasty:
        started = time.monotonic()
        results = send(hasty)
        elapsed = time.monotonic() - started

    assert outcomes(results) == [Outcome.RETRY] * 3
    assert all("DeadlineExceeded" in (r.error or "") for r in results)
    assert elapsed < 3


def test_endpoint_down_is_retry(sink: PushSink, sender: FcmSender) -> None:
    sink.stop()

    assert outcomes(send(sender)) == [Outcome.RETRY] * 3


def test_the_proxy_from_the_environment_carries_the_requests(
    sink: PushSink, transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The sink doubles as the proxy (it reads only the path of an absolute-form request): the
    # FCM host itself is never resolved nor reached, only the proxy on loopback.
    for name in ("HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(name, sink.base_url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    with TRANSPORTS[transport](PROJECT, endpoint="http://fcm.example.invalid") as fcm:
        assert outcomes(send(fcm)) == [Outcome.SENT] * 3
    assert sink.message_count() == 3


# --- the OAuth2 access token: google-auth refreshes it at a loopback token endpoint ---------


class _TokenEndpoint(ThreadingHTTPServer):
    """Google's OAuth2 token endpoint, as far as a service account uses it: tok-1, tok-2…"""

    daemon_threads = True

    def __init__(self) -> None:
        self.issued = 0
        self.refused = False
        self.lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _TokenHandler)


class _TokenHandler(BaseHTTPRequestHandler):
    server: _TokenEndpoint

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass

    def do_POST(self) -> None:  # noqa: N802
        form = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        assert "assertion=" in form  # a signed JWT, as google-auth sends it
        with self.server.lock:
            self.server.issued += 1
            token = f"tok-{self.server.issued}"
            if self.server.refused:
                token, self.server.refused = " ", False  # FCM answers 401, no FcmError
        body = json.dumps({"access_token": token, "expires_in": 3600, "token_type": "Bearer"})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())


@pytest.fixture
def token_endpoint() -> Iterator[_TokenEndpoint]:
    server = _TokenEndpoint()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_access_token_is_fetched_reused_and_refreshed_when_expired(
    sink: PushSink, transport: str, token_endpoint: _TokenEndpoint, tmp_path: Path
) -> None:
    account_file = _service_account(tmp_path)
    account = json.loads(account_file.read_text())
    host, port = token_endpoint.server_address[:2]
    account["token_uri"] = f"http://{host}:{port}/token"
    account_file.write_text(json.dumps(account))
    certificate = credentials.Certificate(str(account_file))

    with TRANSPORTS[transport](
        PROJECT, endpoint=sink.base_url, credential=certificate, timeout_s=5
    ) as fcm:
        google_credential = certificate.get_credential()
        assert outcomes(send(fcm)) == [Outcome.SENT] * 3
        # The SDK's threads may each refresh the first, still empty, token; none after that.
        issued_first = token_endpoint.issued
        assert outcomes(send(fcm)) == [Outcome.SENT] * 3
        assert token_endpoint.issued == issued_first
        assert sink.bearer_tokens()[3:] == [google_credential.token] * 3
        if transport == "aiohttp":
            assert sink.bearer_tokens() == ["tok-1"] * 6  # once per batch, before sending

        google_credential.expiry = datetime.datetime(2000, 1, 1)  # noqa: DTZ001
        assert outcomes(send(fcm)) == [Outcome.SENT] * 3

    earlier, renewed = set(sink.bearer_tokens()[:6]), sink.bearer_tokens()[6:]
    assert len(renewed) == 3
    assert all(token.startswith("tok-") and token not in earlier for token in renewed)
    assert token_endpoint.issued > issued_first


def test_a_refused_access_token_is_retry_and_refreshed_for_the_next_batch(
    sink: PushSink, token_endpoint: _TokenEndpoint, tmp_path: Path
) -> None:
    # (The SDK transport refreshes and resends inside google-auth's session instead.)
    account_file = _service_account(tmp_path)
    account = json.loads(account_file.read_text())
    host, port = token_endpoint.server_address[:2]
    account["token_uri"] = f"http://{host}:{port}/token"
    account_file.write_text(json.dumps(account))
    token_endpoint.refused = True
    certificate = credentials.Certificate(str(account_file))

    with AiohttpFcmSender(PROJECT, endpoint=sink.base_url, credential=certificate) as fcm:
        refused = send(fcm)
        assert outcomes(send(fcm)) == [Outcome.SENT] * 3

    assert outcomes(refused) == [Outcome.RETRY] * 3
    assert all("UnauthenticatedError" in (r.error or "") for r in refused)
    assert token_endpoint.issued == 2
    assert sink.bearer_tokens()[3:] == ["tok-2"] * 3


# --- the outbox: a tip's pushes through the dispatcher, on both databases -------------------


@pytest.fixture
def app_config(push_config: dict[str, Any], transport: str) -> dict[str, Any]:
    return {**push_config, "GSV_FCM_TRANSPORT": transport}


def test_dispatcher_delivers_a_tip_and_drops_dead_tokens(
    app,
    sink,
    dispatcher,
    street,  # noqa: F811 - the fixture imported above
    post_tip,
    transport,
):
    assert type(dispatcher.sender) is TRANSPORTS[transport]
    sink.unregister("near_b-phone")
    sink.fail_unavailable(count=1)

    answer = post_tip(street["reporter"], "burglary")
    send_all(app, dispatcher)

    (got,) = sink.tray("near_a-phone")
    assert got["data"]["alert_id"] == str(answer["alert"]["id"])
    assert sink.tray("far-phone") == []
    assert states(app) == ["sent", "unregistered"]
    assert any(r["status"] == 503 for r in sink.request_log())
