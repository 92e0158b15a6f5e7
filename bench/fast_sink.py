"""An FCM HTTP v1 look-alike for the fan-out benchmark, fast enough not to be the bottleneck.

    python -m bench.fast_sink --port 8766 --delay-ms 70

mobile_client_stub.push_sink.PushSink is a ThreadingHTTPServer: one thread per connection,
a 70 ms hold done with a blocking wait. At 500 concurrent connections per worker it costs
more CPU per request than the dispatcher does (BENCHMARKS.md, "the sink"), so on 2 cores
it would be the thing measured. This one is a single asyncio event loop in a process of its
own: it parses HTTP/1.1 keep-alive requests by hand, answers each ``messages:send`` after
``--delay-ms`` with ``loop.call_later`` (no thread held), and counts what arrived.

It checks what FCM checks that matters here (the path, a bearer token, a JSON body with
``message.token``) and answers 200 ``{"name": ...}`` like FCM; no failure injection (the
notify tests cover that with PushSink). ``GET /_sink/stats`` returns the counts: messages,
distinct tokens (duplicates = messages - distinct), per alert id the count and the wall-clock
``time.time()`` of the first arrival and the last answer, and the sink's own CPU seconds.
``POST /_sink/reset`` forgets them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
import time
from typing import Any

SEND_PATH = re.compile(rb"^/v1/projects/([^/]+)/messages:send$")


class Stats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.messages = 0
        self.errors = 0
        self.tokens: set[str] = set()
        self.by_alert: dict[str, list[float]] = {}  # alert id -> [count, first, last answer]
        self.max_open = 0
        self.open = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "messages": self.messages,
            "errors": self.errors,
            "distinct_tokens": len(self.tokens),
            "by_alert": {
                k: {"count": int(v[0]), "first": v[1], "last": v[2]}
                for k, v in self.by_alert.items()
            },
            "max_open_connections": self.max_open,
            "cpu_s": time.process_time(),
        }


class FcmProtocol(asyncio.Protocol):
    """One keep-alive connection; requests are answered in order (no pipelining needed)."""

    def __init__(self, stats: Stats, delay_s: float, loop: asyncio.AbstractEventLoop) -> None:
        self.stats = stats
        self.delay_s = delay_s
        self.loop = loop
        self.buffer = bytearray()
        self.transport: asyncio.Transport | None = None
        self.serial = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.stats.open += 1
        self.stats.max_open = max(self.stats.max_open, self.stats.open)

    def connection_lost(self, exc: Exception | None) -> None:
        self.stats.open -= 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(self.buffer[:end])
            length = 0
            auth = b""
            lines = head.split(b"\r\n")
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                lname = name.strip().lower()
                if lname == b"content-length":
                    length = int(value)
                elif lname == b"authorization":
                    auth = value.strip()
            if len(self.buffer) < end + 4 + length:
                return
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            self.handle(lines[0], auth, body)

    def handle(self, request_line: bytes, auth: bytes, body: bytes) -> None:
        method, _, rest = request_line.partition(b" ")
        path = rest.rpartition(b" ")[0]
        stats = self.stats
        if path.startswith(b"/_sink/"):
            if path == b"/_sink/reset":
                stats.reset()
                self.reply(200, {"ok": True})
            elif path == b"/_sink/stats":
                self.reply(200, stats.as_json())
            else:
                self.reply(404, {"error": "no such control endpoint"})
            return
        match = SEND_PATH.match(path)
        arrived = time.time()
        stats.requests += 1
        if method != b"POST" or not match:
            stats.errors += 1
            self.reply(404, {"error": {"code": 404, "message": "Not found", "status": "NOT_FOUND"}})
            return
        if not auth.lower().startswith(b"bearer ") or not auth[7:].strip():
            stats.errors += 1
            error = {"code": 401, "message": "Missing credential", "status": "UNAUTHENTICATED"}
            self.reply(401, {"error": error})
            return
        try:
            message = json.loads(body)["message"]
            token = message["token"]
            alert_id = message.get("data", {}).get("alert_id", "")
        except (ValueError, KeyError, TypeError):
            stats.errors += 1
            error = {"code": 400, "message": "Invalid", "status": "INVALID_ARGUMENT"}
            self.reply(400, {"error": error})
            return
        stats.messages += 1
        stats.tokens.add(token)
        entry = stats.by_alert.get(alert_id)
        if entry is None:
            entry = stats.by_alert[alert_id] = [0, arrived, arrived]
        entry[0] += 1
        self.serial += 1
        name = f"projects/{match.group(1).decode()}/messages/{id(self)}-{self.serial}"
        answer = self.encode(200, {"name": name})
        if self.delay_s:
            self.loop.call_later(self.delay_s, self.send, answer, entry)
        else:
            self.send(answer, entry)

    def send(self, answer: bytes, entry: list[float] | None = None) -> None:
        if entry is not None:
            entry[2] = time.time()
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(answer)

    def reply(self, status: int, payload: Any) -> None:
        self.send(self.encode(status, payload))

    @staticmethod
    def encode(status: int, payload: Any) -> bytes:
        data = json.dumps(payload).encode()
        reason = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found"}[status]
        return (
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json; charset=UTF-8\r\n"
            f"Content-Length: {len(data)}\r\n\r\n"
        ).encode() + data


async def serve(host: str, port: int, delay_s: float, ready: Any = None) -> None:
    loop = asyncio.get_running_loop()
    stats = Stats()
    server = await loop.create_server(
        lambda: FcmProtocol(stats, delay_s, loop), host, port, backlog=4096, reuse_address=True
    )
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    bound = server.sockets[0].getsockname()[1]
    print(f"fast sink listening on http://{host}:{bound}", flush=True)
    if ready is not None:
        ready(bound)
    async with server:
        await stop.wait()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--delay-ms", type=float, default=70.0)
    args = parser.parse_args(argv)
    try:
        import uvloop  # type: ignore[import-not-found]

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve(args.host, args.port, args.delay_ms / 1000))


if __name__ == "__main__":
    main()
