"""A loopback server that speaks the FCM HTTP v1 send API and keeps each device's tray.

firebase-admin has no emulator for messaging, so tests and the demo point the real SDK at
this server (GSV_FCM_ENDPOINT). It answers like FCM (see /work/shared/FCM-TESTING.md),
including FCM's error bodies, and can be told to misbehave: unregistered tokens, outages
(503), quota exhaustion (429 with Retry-After) and slow or hung answers.

Drive it from Python (``PushSink``) or, from another process, over ``/_sink/...``:
GET /_sink/tray/<token>, GET /_sink/messages, GET /_sink/requests,
POST /_sink/unregister/<token>, POST /_sink/fail?status=503&count=N[&seconds=S]
[&retry_after=R][&token=T], POST /_sink/delay?seconds=S, POST /_sink/reset.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import signal
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

logger = logging.getLogger("mobile_client_stub.push_sink")

SEND_PATH = re.compile(r"^/v1/projects/(?P<project>[^/]+)/messages:send$")
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
MAX_PAYLOAD_BYTES = 4096
# HTTP status -> (google.rpc status, FCM errorCode), as FCM answers them.
FCM_ERRORS: dict[int, tuple[str, str]] = {
    400: ("INVALID_ARGUMENT", "INVALID_ARGUMENT"),
    401: ("UNAUTHENTICATED", "THIRD_PARTY_AUTH_ERROR"),
    403: ("PERMISSION_DENIED", "SENDER_ID_MISMATCH"),
    404: ("NOT_FOUND", "UNREGISTERED"),
    429: ("RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED"),
    500: ("INTERNAL", "INTERNAL"),
    503: ("UNAVAILABLE", "UNAVAILABLE"),
}


def fcm_error_body(status: int, message: str, *, with_details: bool = True) -> dict[str, Any]:
    """FCM's JSON error body for an HTTP status."""
    rpc_status, error_code = FCM_ERRORS.get(status, ("UNKNOWN", "UNSPECIFIED_ERROR"))
    error: dict[str, Any] = {"code": status, "message": message, "status": rpc_status}
    if with_details:
        error["details"] = [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}]
    return {"error": error}


@dataclass
class _FailureRule:
    """Answer matching requests with an error, for a number of requests or a while."""

    status: int
    token: str | None = None
    remaining: int | None = None
    until: float | None = None
    retry_after_s: float | None = None

    def active(self, now: float) -> bool:
        return (self.remaining is None or self.remaining > 0) and (
            self.until is None or now < self.until
        )


class _Server(ThreadingHTTPServer):
    # A 500-token multicast opens up to 500 connections at once.
    request_queue_size = 1024
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sink: PushSink) -> None:
        self.sink = sink
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        # Remembered so stop() can cut keep-alive connections that would outlive the server.
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out and hang up are expected here (hung-endpoint tests).
        logger.debug("push sink connection from %s ended with an error", client_address)


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive, as FCM: the SDK reuses pooled connections.
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        logger.debug("push sink: " + format, *args)

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        sink = self.server.sink
        if url.path.startswith("/_sink/tray/"):
            self._json(200, sink.tray(unquote(url.path.removeprefix("/_sink/tray/"))))
        elif url.path == "/_sink/messages":
            self._json(200, sink.all_messages())
        elif url.path == "/_sink/requests":
            self._json(200, sink.request_log())
        else:
            self._json(404, fcm_error_body(404, "Not found", with_details=False))

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if url.path.startswith("/_sink/"):
            self._control(url.path, {k: v[-1] for k, v in parse_qs(url.query).items()})
            return
        match = SEND_PATH.match(url.path)
        if not match:
            self._json(404, fcm_error_body(404, "Not found", with_details=False))
            return
        status, answer, headers = self.server.sink._handle_send(
            match["project"], self.headers.get("Authorization", ""), body
        )
        self._json(status, answer, headers)

    def _control(self, path: str, query: dict[str, str]) -> None:
        """The /_sink/... endpoints for a test that runs in another process."""
        sink = self.server.sink
        try:
            if path.startswith("/_sink/unregister/"):
                sink.unregister(unquote(path.removeprefix("/_sink/unregister/")))
            elif path == "/_sink/fail":
                sink.fail(
                    int(query.get("status", "503")),
                    count=int(query["count"]) if "count" in query else None,
                    seconds=float(query["seconds"]) if "seconds" in query else None,
                    retry_after_s=float(query["retry_after"]) if "retry_after" in query else None,
                    token=query.get("token"),
                )
            elif path == "/_sink/delay":
                sink.delay(float(query.get("seconds", "0")))
            elif path == "/_sink/reset":
                sink.reset()
            else:
                self._json(404, {"error": f"no control endpoint {path}"})
                return
        except (KeyError, ValueError) as error:
            self._json(400, {"error": str(error)})
            return
        self._json(200, {"ok": True})

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)


class PushSink:
    """An FCM HTTP v1 look-alike on 127.0.0.1 with a notification tray per device token."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._address = (host, port)
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._trays: dict[str, list[dict[str, Any]]] = {}
        self._messages: list[dict[str, Any]] = []
        self._requests: list[dict[str, Any]] = []
        self._bearers: list[str] = []
        self._unregistered: set[str] = set()
        self._rules: list[_FailureRule] = []
        self._delay_s = 0.0
        # Set (and replaced) by reset() and stop() to wake requests held by delay().
        self._wake = threading.Event()
        self._serial = 0

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> str:
        """Start serving in a background thread; return the base URL."""
        if self._server is not None:
            return self.base_url
        self._server = _Server(self._address, self)
        # A short poll interval keeps stop() quick (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), name="push-sink", daemon=True
        )
        self._thread.start()
        return self.base_url

    @property
    def base_url(self) -> str:
        """http://host:port of the running server."""
        if self._server is None:
            raise RuntimeError("push sink is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Stop serving and drop every open connection."""
        server, self._server = self._server, None
        if server is None:
            return
        self._wake_delayed()
        server.shutdown()
        with server.connections_lock:
            connections = list(server.connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> PushSink:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # --- what arrived -----------------------------------------------------------------------

    def tray(self, token: str) -> list[dict[str, Any]]:
        """Messages delivered to one device token, oldest first."""
        with self._lock:
            return [dict(m) for m in self._trays.get(token, [])]

    def all_messages(self) -> list[dict[str, Any]]:
        """Every delivered message, in arrival order."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def message_count(self) -> int:
        """How many messages were delivered."""
        with self._lock:
            return len(self._messages)

    def request_log(self, token: str | None = None) -> list[dict[str, Any]]:
        """Every send request (delivered or not) as {token, status, received_at}."""
        with self._lock:
            return [dict(r) for r in self._requests if token is None or r["token"] == token]

    def bearer_tokens(self) -> list[str]:
        """The OAuth2 access token of every send request, in arrival order."""
        with self._lock:
            return list(self._bearers)

    # --- misbehaviour -----------------------------------------------------------------------

    def unregister(self, token: str) -> None:
        """Answer 404 UNREGISTERED for this token from now on (app uninstalled)."""
        with self._lock:
            self._unregistered.add(token)

    def fail(
        self,
        status: int,
        *,
        count: int | None = None,
        seconds: float | None = None,
        retry_after_s: float | None = None,
        token: str | None = None,
    ) -> None:
        """Answer FCM's error for status to the next count requests, or for seconds, or until
        reset(); only for one token when given."""
        until = time.monotonic() + seconds if seconds is not None else None
        with self._lock:
            self._rules.append(_FailureRule(status, token, count, until, retry_after_s))

    def fail_unavailable(self, seconds: float | None = None, count: int | None = None) -> None:
        """503 UNAVAILABLE for a while, for count requests, or until reset()."""
        self.fail(503, seconds=seconds, count=count)

    def quota_exceeded(
        self, retry_after_s: float, count: int | None = None, seconds: float | None = None
    ) -> None:
        """429 RESOURCE_EXHAUSTED / QUOTA_EXCEEDED with a Retry-After header."""
        self.fail(429, count=count, seconds=seconds, retry_after_s=retry_after_s)

    def delay(self, seconds: float) -> None:
        """Hold every send request this long before answering (round trip or hung server)."""
        with self._lock:
            self._delay_s = max(0.0, seconds)

    def reset(self) -> None:
        """Forget trays, requests, unregistered tokens, failures and delay."""
        with self._lock:
            self._trays.clear()
            self._messages.clear()
            self._requests.clear()
            self._bearers.clear()
            self._unregistered.clear()
            self._rules.clear()
            self._delay_s = 0.0
        self._wake_delayed()

    def _wake_delayed(self) -> None:
        with self._lock:
            wake, self._wake = self._wake, threading.Event()
        wake.set()

    # --- the FCM API ------------------------------------------------------------------------

    def _handle_send(
        self, project: str, authorization: str, raw: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """Answer one messages:send request: (status, JSON body, extra headers)."""
        with self._lock:
            delay, wake = self._delay_s, self._wake
        if delay and wake.wait(delay):
            # Cut short by reset() or stop(): what was held belongs to the state just
            # forgotten, so it is neither delivered nor logged.
            return 503, fcm_error_body(503, "The push sink was reset."), {}
        received_at = time.monotonic()
        scheme, _, credential = authorization.partition(" ")
        with self._lock:
            self._bearers.append(credential.strip())
        if scheme.lower() != "bearer" or not credential.strip():
            body = fcm_error_body(
                401, "Request is missing required authentication credential.", with_details=False
            )
            return self._answer(None, 401, body, received_at)
        message, validate_only, problem = _parse_send_body(raw)
        if message is None:
            return self._answer(None, 400, fcm_error_body(400, problem), received_at)
        token = message["token"]
        with self._lock:
            rule = self._matching_rule(token, received_at)
            unregistered = token in self._unregistered
        if rule is not None:
            headers = {}
            if rule.retry_after_s is not None:
                headers["Retry-After"] = str(round(rule.retry_after_s))
            body = fcm_error_body(rule.status, f"Injected failure {rule.status}")
            return self._answer(token, rule.status, body, received_at, headers)
        if unregistered:
            body = fcm_error_body(404, "Requested entity was not found.")
            return self._answer(token, 404, body, received_at)
        with self._lock:
            self._serial += 1
            name = f"projects/{project}/messages/{self._serial}"
            if not validate_only:
                delivered = {
                    "name": name,
                    "project": project,
                    "token": token,
                    "data": message.get("data", {}),
                    "notification": message.get("notification"),
                    "android": message.get("android"),
                    "apns": message.get("apns"),
                    "webpush": message.get("webpush"),
                    "message": message,
                    "received_at": received_at,
                }
                self._trays.setdefault(token, []).append(delivered)
                self._messages.append(delivered)
        return self._answer(token, 200, {"name": name}, received_at)

    def _answer(
        self,
        token: str | None,
        status: int,
        body: dict[str, Any],
        received_at: float,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        with self._lock:
            self._requests.append({"token": token, "status": status, "received_at": received_at})
        return status, body, headers or {}

    def _matching_rule(self, token: str, now: float) -> _FailureRule | None:
        """The first live failure rule for this token, counting it as used (lock held)."""
        self._rules = [r for r in self._rules if r.active(now)]
        for rule in self._rules:
            if rule.token is None or rule.token == token:
                if rule.remaining is not None:
                    rule.remaining -= 1
                return rule
        return None


def _parse_send_body(raw: bytes) -> tuple[dict[str, Any] | None, bool, str]:
    """(message, validate_only, "") of a messages:send body, or (None, False, why FCM would
    refuse it)."""
    try:
        body = json.loads(raw)
    except ValueError:
        return None, False, "Invalid JSON payload received."
    message = body.get("message") if isinstance(body, dict) else None
    if not isinstance(message, dict):
        return None, False, "Request contains an invalid argument: 'message' is required."
    token = message.get("token")
    if not isinstance(token, str) or not token:
        return None, False, "Request contains an invalid argument: 'message.token' is required."
    data = message.get("data", {})
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        return None, False, "Invalid value at 'message.data': values must be strings."
    # Same measure as grannsamverkan.notify.sender.payload_size: the target is not payload.
    payload = {k: v for k, v in message.items() if k != "token"}
    size = len(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        return None, False, f"Message is too big ({size} bytes; the limit is {MAX_PAYLOAD_BYTES})."
    return message, body.get("validate_only") is True, ""


def main(argv: list[str] | None = None) -> None:
    """Run a push sink in the foreground: python -m mobile_client_stub.push_sink --port 8765."""
    parser = argparse.ArgumentParser(description="FCM HTTP v1 look-alike for offline tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    sink = PushSink(args.host, args.port)
    url = sink.start()
    print(f"push sink listening on {url} (GSV_FCM_ENDPOINT={url})", flush=True)
    try:
        stopping.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
