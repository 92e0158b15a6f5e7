"""The FCM sender on the real firebase-admin SDK against the loopback push sink."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import firebase_admin
import pytest
import requests
from firebase_admin import exceptions

from grannsamverkan.notify import fcm_sender
from grannsamverkan.notify.backends import make_sender
from grannsamverkan.notify.fcm_sender import FcmSender
from grannsamverkan.notify.log_sender import LogSender
from grannsamverkan.notify.sender import (
    MAX_BATCH,
    Outcome,
    PushMessage,
    TokenResult,
    fcm_message,
    payload_size,
)
from mobile_client_stub.push_sink import PushSink

PROJECT = "gsv-test"
# Shaped like real FCM registration tokens, which contain ':' and '-'.
TOKENS = ["dA1:APA91b-one", "eB2:APA91b-two", "fC3:APA91b-three"]


# --- guards and fixtures --------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_outside_hosts() -> None:
    """The project conftest's audit hook must be live: it fails any non-loopback connect."""
    # A numeric TEST-NET address: even without the hook, nothing would leave the machine.
    with pytest.raises(RuntimeError, match="outside host"):
        socket.getaddrinfo("192.0.2.1", 443, flags=socket.AI_NUMERICHOST)


@pytest.fixture
def sink() -> Iterator[PushSink]:
    with PushSink() as push_sink:
        yield push_sink


@pytest.fixture
def sender(sink: PushSink) -> Iterator[FcmSender]:
    fcm = FcmSender(PROJECT, endpoint=sink.base_url, timeout_s=5)
    yield fcm
    fcm.close()


def message(tokens: list[str] | None = None, *, urgent: bool = True, **kw: Any) -> PushMessage:
    fields: dict[str, Any] = {
        "tokens": TOKENS if tokens is None else tokens,
        "data": {
            "alert_id": "42",
            "kind": "tip",
            "status": "active",
            "title": "Inbrott pågår",
            "body": "Storgatan, nära torget",
        },
        "title": "Inbrott pågår",
        "body": "Storgatan, nära torget",
        "urgent": urgent,
        "ttl_seconds": 3600,
        "collapse_key": "alert-42",
    }
    return PushMessage(**{**fields, **kw})


def send(sender: FcmSender, push: PushMessage) -> list[TokenResult]:
    """Send and check the results are about the sink, not about a blocked outside host."""
    # An outside connect blocked by the audit hook inside the SDK's worker threads would come
    # back as a per-token error, not as a test failure; make it one.
    results = sender.send(push)
    assert [r.token for r in results] == push.tokens
    for result in results:
        assert "outside host" not in (result.error or ""), result.error
    return results


def outcomes(results: list[TokenResult]) -> list[Outcome]:
    return [r.outcome for r in results]


# --- delivery and the message FCM gets ------------------------------------------------------


def test_multicast_lands_in_every_tray_and_rings_when_urgent(
    sink: PushSink, sender: FcmSender
) -> None:
    push = message(urgent=True)
    before = time.time()

    results = send(sender, push)

    assert outcomes(results) == [Outcome.SENT] * 3
    assert sink.message_count() == 3
    for token in TOKENS:
        (got,) = sink.tray(token)
        assert got["project"] == PROJECT
        assert got["data"] == push.data
        assert got["notification"] == {"title": "Inbrott pågår", "body": "Storgatan, nära torget"}
        assert got["android"]["priority"] == "high"
        assert got["android"]["ttl"] == "3600s"
        assert got["android"]["collapse_key"] == "alert-42"
        assert got["android"]["notification"] == {"sound": "default"}
        headers = got["apns"]["headers"]
        assert headers["apns-priority"] == "10"
        assert before + 3600 - 1 <= int(headers["apns-expiration"]) <= time.time() + 3600 + 1
        assert got["apns"]["payload"]["aps"]["sound"] == "default"


def test_silent_push_has_no_sound_and_normal_priority(sink: PushSink, sender: FcmSender) -> None:
    results = send(sender, message(urgent=False, collapse_key=None))

    assert outcomes(results) == [Outcome.SENT] * 3
    for token in TOKENS:
        (got,) = sink.tray(token)
        assert got["android"]["priority"] == "normal"
        assert "notification" not in got["android"]
        assert "collapse_key" not in got["android"]
        assert got["apns"]["headers"]["apns-priority"] == "5"
        assert "sound" not in json.dumps(got["message"])
        assert got["notification"]["title"] == "Inbrott pågår"  # silent, still visible


@pytest.mark.parametrize("urgent", [True, False])
def test_fcm_message_and_payload_size_match_what_the_sdk_sends(
    sink: PushSink, sender: FcmSender, urgent: bool
) -> None:
    push = message(urgent=urgent)
    send(sender, push)

    got = sink.tray(TOKENS[0])[0]["message"]
    expires = int(got["apns"]["headers"]["apns-expiration"])
    assert got == fcm_message(push, token=TOKENS[0], now=expires - push.ttl_seconds)
    sent_payload = {k: v for k, v in got.items() if k != "token"}
    compact = json.dumps(sent_payload, separators=(",", ":"), ensure_ascii=False)
    assert payload_size(push) == len(compact.encode("utf-8"))


def test_oversized_payload_is_refused_by_the_sink_as_fcm_does(
    sink: PushSink, sender: FcmSender
) -> None:
    push = message(data={"alert_id": "1", "body": "x" * 4100})
    assert payload_size(push) > 4096

    results = send(sender, push)

    assert outcomes(results) == [Outcome.FAILED] * 3
    assert "INVALID_ARGUMENT" in (results[0].error or "")
    assert sink.message_count() == 0


def test_no_tokens_sends_nothing(sink: PushSink, sender: FcmSender) -> None:
    assert sender.send(message([])) == []
    assert sink.request_log() == []


def test_more_than_a_batch_is_refused_when_the_message_is_made() -> None:
    with pytest.raises(ValueError, match="at most 500"):
        message([f"t{i}" for i in range(MAX_BATCH + 1)])


# --- what FCM answers, per token ------------------------------------------------------------


def test_unregistered_token_is_reported_and_the_others_delivered(
    sink: PushSink, sender: FcmSender
) -> None:
    sink.unregister(TOKENS[1])

    results = send(sender, message())

    assert outcomes(results) == [Outcome.SENT, Outcome.UNREGISTERED, Outcome.SENT]
    assert sink.tray(TOKENS[1]) == []
    assert len(sink.tray(TOKENS[0])) == len(sink.tray(TOKENS[2])) == 1


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (404, Outcome.UNREGISTERED),  # UNREGISTERED
        (403, Outcome.UNREGISTERED),  # SENDER_ID_MISMATCH
        (400, Outcome.FAILED),  # INVALID_ARGUMENT
        (401, Outcome.FAILED),  # THIRD_PARTY_AUTH_ERROR
        (500, Outcome.RETRY),  # INTERNAL
        (503, Outcome.RETRY),  # UNAVAILABLE
        (429, Outcome.RETRY),  # QUOTA_EXCEEDED
    ],
)
def test_each_fcm_error_maps_to_an_outcome_after_exactly_one_request(
    sink: PushSink, sender: FcmSender, status: int, outcome: Outcome
) -> None:
    sink.fail(status, token=TOKENS[0])

    results = send(sender, message())

    assert outcomes(results) == [outcome, Outcome.SENT, Outcome.SENT]
    if outcome is Outcome.FAILED:
        assert results[0].error
    # Neither urllib3 nor google-auth's 401 refresh may send it again: the outbox retries.
    assert [r["status"] for r in sink.request_log(TOKENS[0])] == [status]


def test_unavailable_is_retry_after_one_request_not_the_sdks_five(
    sink: PushSink, sender: FcmSender
) -> None:
    sink.fail_unavailable()
    started = time.monotonic()

    results = send(sender, message())

    assert outcomes(results) == [Outcome.RETRY] * 3
    assert all(r.retry_after_s is None for r in results)
    for token in TOKENS:
        assert [r["status"] for r in sink.request_log(token)] == [503]
    # The SDK's own retries with backoff take ~7 s for a 503.
    assert time.monotonic() - started < 2


def test_unavailable_for_a_count_then_delivers(sink: PushSink, sender: FcmSender) -> None:
    sink.fail_unavailable(count=3)

    assert outcomes(send(sender, message())) == [Outcome.RETRY] * 3
    assert outcomes(send(sender, message())) == [Outcome.SENT] * 3


def test_unavailable_honours_retry_after_when_given(sink: PushSink, sender: FcmSender) -> None:
    sink.fail(503, retry_after_s=30)

    results = send(sender, message())

    assert [r.retry_after_s for r in results] == [30.0] * 3


def test_quota_exceeded_retries_after_the_header(sink: PushSink, sender: FcmSender) -> None:
    sink.quota_exceeded(retry_after_s=120)
    started = time.monotonic()

    results = send(sender, message())

    assert outcomes(results) == [Outcome.RETRY] * 3
    assert [r.retry_after_s for r in results] == [120.0] * 3
    assert [r["status"] for r in sink.request_log(TOKENS[0])] == [429]
    assert time.monotonic() - started < 2  # not slept through by the SDK


def test_quota_exceeded_waits_at_least_a_minute(sink: PushSink, sender: FcmSender) -> None:
    sink.quota_exceeded(retry_after_s=5, count=1)

    results = send(sender, message([TOKENS[0]]))

    assert results[0].outcome is Outcome.RETRY
    assert results[0].retry_after_s == 60.0


def test_hung_endpoint_is_retry_within_the_timeout(sink: PushSink) -> None:
    sink.delay(5)
    hasty = FcmSender(PROJECT, endpoint=sink.base_url, timeout_s=0.5)
    try:
        started = time.monotonic()
        results = send(hasty, message())
        elapsed = time.monotonic() - started
    finally:
        hasty.close()

    assert outcomes(results) == [Outcome.RETRY] * 3
    assert all("DeadlineExceeded" in (r.error or "") for r in results)
    assert elapsed < 3


def test_endpoint_down_is_retry_for_every_token(sink: PushSink, sender: FcmSender) -> None:
    sink.stop()

    results = send(sender, message())

    assert outcomes(results) == [Outcome.RETRY] * 3


def test_a_batch_the_sdk_cannot_send_at_all_is_retry(
    sender: FcmSender, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise exceptions.UnknownError("Unknown error while making remote service calls")

    monkeypatch.setattr(fcm_sender.messaging, "send_each_for_multicast", broken)

    results = send(sender, message())

    assert outcomes(results) == [Outcome.RETRY] * 3
    assert all("UnknownError" in (r.error or "") for r in results)


def test_full_batch_of_500_with_fcm_like_latency_and_no_pool_warnings(
    sink: PushSink, sender: FcmSender, caplog: pytest.LogCaptureFixture
) -> None:
    tokens = [f"device-{i:03d}:APA91b" for i in range(MAX_BATCH)]
    # Slower than an FCM round trip (~70 ms) so that all 500 requests surely overlap.
    sink.delay(0.2)
    caplog.set_level(logging.WARNING)

    results = send(sender, message(tokens))

    assert outcomes(results) == [Outcome.SENT] * MAX_BATCH
    assert sink.message_count() == MAX_BATCH
    assert {m["token"] for m in sink.all_messages()} == set(tokens)
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


# --- sender lifecycle and configuration -----------------------------------------------------


def test_senders_coexist_and_close_deletes_only_their_app(sink: PushSink) -> None:
    first = FcmSender(PROJECT, endpoint=sink.base_url)
    second = FcmSender(PROJECT, endpoint=sink.base_url)
    name = first._app.name
    assert name != second._app.name

    first.close()
    try:
        with pytest.raises(ValueError, match=name):
            firebase_admin.get_app(name)
        assert outcomes(send(second, message())) == [Outcome.SENT] * 3
    finally:
        second.close()


def _service_account(tmp_path: Path) -> Path:
    """A syntactically valid service-account file; nothing ever authenticates with it."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    path = tmp_path / "service-account.json"
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": "gsv-from-file",
                "private_key_id": "0" * 40,
                "private_key": pem,
                "client_email": "push@gsv-from-file.iam.gserviceaccount.com",
                "client_id": "1",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    return path


def test_production_sender_has_sdk_retries_off(tmp_path: Path) -> None:
    fcm = FcmSender(None, credentials_path=str(_service_account(tmp_path)), timeout_s=3)
    try:
        service = fcm._service
        assert service._project_id == "gsv-from-file"
        assert service._fcm_url.startswith("https://fcm.googleapis.com/v1/projects/gsv-from-file/")
        adapter = service._client.session.get_adapter(service._fcm_url)
        assert adapter.max_retries.total == 0
        assert adapter._pool_maxsize == fcm_sender.POOL_MAXSIZE
        assert fcm._app.options.get("httpTimeout") == 3
    finally:
        fcm.close()


def test_make_sender_defaults_to_log() -> None:
    assert isinstance(make_sender({}), LogSender)
    assert isinstance(make_sender({"GSV_PUSH_BACKEND": "log"}), LogSender)


def test_make_sender_fcm_with_endpoint_delivers(sink: PushSink) -> None:
    fcm = make_sender(
        {
            "GSV_PUSH_BACKEND": "fcm",
            "GSV_FIREBASE_PROJECT_ID": PROJECT,
            "GSV_FIREBASE_CREDENTIALS": None,
            "GSV_FCM_ENDPOINT": sink.base_url,
            "GSV_FCM_TIMEOUT_S": 2.5,
        }
    )
    assert isinstance(fcm, FcmSender)
    try:
        assert fcm._app.options.get("httpTimeout") == 2.5
        assert outcomes(send(fcm, message())) == [Outcome.SENT] * 3
    finally:
        fcm.close()
    assert sink.tray(TOKENS[0])[0]["project"] == PROJECT


def test_make_sender_takes_the_project_from_the_credentials(sink: PushSink, tmp_path: Path) -> None:
    fcm = make_sender(
        {
            "GSV_PUSH_BACKEND": "fcm",
            "GSV_FIREBASE_CREDENTIALS": str(_service_account(tmp_path)),
            "GSV_FCM_ENDPOINT": sink.base_url,
        }
    )
    assert isinstance(fcm, FcmSender)
    try:
        send(fcm, message([TOKENS[0]]))
    finally:
        fcm.close()
    assert sink.tray(TOKENS[0])[0]["project"] == "gsv-from-file"


@pytest.mark.parametrize(
    ("config", "match"),
    [
        ({"GSV_PUSH_BACKEND": "fcm"}, "GSV_FIREBASE_CREDENTIALS.*or GSV_FCM_ENDPOINT"),
        (
            {"GSV_PUSH_BACKEND": "fcm", "GSV_FCM_ENDPOINT": "http://127.0.0.1:9"},
            "GSV_FIREBASE_PROJECT_ID",
        ),
        ({"GSV_PUSH_BACKEND": "apns"}, "'log' or 'fcm'"),
    ],
)
def test_make_sender_refuses_incomplete_configuration(config: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        make_sender(config)


def test_fcm_sender_never_initialises_without_a_credential() -> None:
    apps_before = set(firebase_admin._apps)
    with pytest.raises(ValueError, match="credentials_path"):
        FcmSender(PROJECT)
    assert set(firebase_admin._apps) == apps_before


def test_log_sender_logs_one_line_without_tokens(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="grannsamverkan.push")

    results = LogSender().send(message(urgent=False))

    assert outcomes(results) == [Outcome.SENT] * 3
    (record,) = [r for r in caplog.records if r.name == "grannsamverkan.push"]
    line = record.getMessage()
    assert "3 device" in line
    assert "Inbrott pågår" in line
    assert "urgent=False" in line
    assert not any(token in line for token in TOKENS)


# --- the sink driven from another process ---------------------------------------------------


def test_sink_control_endpoints(sink: PushSink, sender: FcmSender) -> None:
    base = sink.base_url
    quoted = requests.utils.quote(TOKENS[0], safe="")
    assert requests.post(f"{base}/_sink/unregister/{quoted}", timeout=5).ok
    assert requests.post(f"{base}/_sink/fail?status=503&count=1&token={TOKENS[1]}", timeout=5).ok

    results = send(sender, message())

    assert outcomes(results) == [Outcome.UNREGISTERED, Outcome.RETRY, Outcome.SENT]
    tray = requests.get(f"{base}/_sink/tray/{requests.utils.quote(TOKENS[2])}", timeout=5).json()
    assert [m["data"]["alert_id"] for m in tray] == ["42"]
    assert requests.post(f"{base}/_sink/reset", timeout=5).ok
    assert sink.message_count() == 0
    assert outcomes(send(sender, message())) == [Outcome.SENT] * 3


def test_sink_answers_like_fcm_to_bad_requests(sink: PushSink) -> None:
    url = f"{sink.base_url}/v1/projects/{PROJECT}/messages:send"
    auth = {"Authorization": "Bearer x"}

    no_auth = requests.post(url, json={"message": {"token": "t"}}, timeout=5)
    no_token = requests.post(url, json={"message": {"data": {}}}, headers=auth, timeout=5)
    ok = requests.post(url, json={"message": {"token": "t"}}, headers=auth, timeout=5)

    assert no_auth.status_code == 401
    assert no_token.status_code == 400
    error = no_token.json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert error["details"] == [
        {
            "@type": "type.googleapis.com/google.firebase.fcm.v1.FcmError",
            "errorCode": "INVALID_ARGUMENT",
        }
    ]
    assert ok.status_code == 200
    assert ok.json()["name"].startswith(f"projects/{PROJECT}/messages/")


def test_sink_runs_as_a_program(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "mobile_client_stub.push_sink", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        base = line.split()[4]
        assert base.startswith("http://127.0.0.1:")
        fcm = FcmSender(PROJECT, endpoint=base, timeout_s=5)
        try:
            assert outcomes(send(fcm, message([TOKENS[0]]))) == [Outcome.SENT]
        finally:
            fcm.close()
        tray = requests.get(f"{base}/_sink/tray/{TOKENS[0]}", timeout=5).json()
        assert tray[0]["android"]["priority"] == "high"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


def test_close_works_where_an_asyncio_loop_is_running(sink: PushSink) -> None:
    """firebase-admin closes its client with asyncio.run, which a running loop refuses: the
    sender closes from inside asyncio code too (and Playwright's sync API, which keeps a loop
    running in the console tests' thread)."""
    fcm = FcmSender(PROJECT, endpoint=sink.base_url)
    name = fcm._app.name

    async def close_inside_a_loop() -> None:
        fcm.close()

    asyncio.run(close_inside_a_loop())

    with pytest.raises(ValueError, match=name):
        firebase_admin.get_app(name)
    assert fcm._service._async_client._async_client.is_closed  # the httpx client inside
