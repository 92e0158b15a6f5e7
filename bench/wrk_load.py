"""What the HTTP benchmarks share: the hello-world baseline app, wrk's Lua prelude and its
figures, and inboxes seeded in bulk (bench/http_throughput.py, bench/read_burst.py).

gunicorn imports ``hello_app`` from here (``wrk_load:hello_app()``, with bench/ on
PYTHONPATH).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
from pathlib import Path
from typing import Any

from common import SPOT


def hello_app() -> Any:
    """The app as gunicorn serves it, plus a hello-world route: the baseline of one process."""
    from grannsamverkan import create_app

    app = create_app()

    def hello() -> str:
        return "hello"

    app.add_url_rule("/bench/hello", "bench_hello", hello)
    return app


LUA_COMMON = r"""
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local counter = 0
local offset = 0
local ids = 0
function setup(thread)
  thread:set("id", ids)
  ids = ids + 1
end
function init(args)
  offset = (id or 0) * 7919
  math.randomseed(12345 + offset)
end
function next_token()
  counter = counter + 1
  return tokens[((counter + offset) %% #tokens) + 1]
end
function done(summary, latency, requests)
  io.write("WRK_JSON " .. string.format(
    '{"requests": %%d, "duration_us": %%d, "bytes": %%d, ' ..
    '"errors": {"connect": %%d, "read": %%d, "write": %%d, "status": %%d, "timeout": %%d}, ' ..
    '"latency_us": {"p50": %%d, "p90": %%d, "p99": %%d, "max": %%d, "mean": %%.1f}}',
    summary.requests, summary.duration, summary.bytes,
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean) .. "\n")
end
"""

LUA_HELLO = r"""
request = function()
  return wrk.format("GET", "/bench/hello")
end
"""


def write_script(folder: Path, name: str, body: str, tokens: Path) -> Path:
    """A wrk script: the prelude reading ``tokens`` (one line each), then ``body``."""
    path = folder / f"{name}.lua"
    path.write_text(LUA_COMMON % {"tokens": tokens} + body)
    return path


def seed_alerts(member_ids: list[int], count: int) -> None:
    """``count`` alerts in every member's inbox (bulk insert)."""
    from datetime import timedelta

    from sqlalchemy import insert, select

    from grannsamverkan.extensions import db
    from grannsamverkan.models import Alert, AlertRecipient
    from grannsamverkan.models.types import utcnow

    now = utcnow()
    marker = f"bench-inbox-{time.monotonic_ns()}"
    db.session.execute(
        insert(Alert),
        [
            {
                "kind": "tip",
                "category": "burglary",
                "title": marker,
                "body": f"Bänkprov {i}: ett fönster stod öppet.",
                "lat": SPOT[0],
                "lon": SPOT[1],
                "urgent": True,
                "status": "active",
                "created_at": now - timedelta(minutes=i),
                "updated_at": now,
                "expires_at": now + timedelta(days=2),
            }
            for i in range(count)
        ],
    )
    alert_ids = list(db.session.scalars(select(Alert.id).where(Alert.title == marker)))
    db.session.execute(
        insert(AlertRecipient),
        [
            {"alert_id": a, "user_id": u, "silent": False, "created_at": now}
            for a in alert_ids
            for u in member_ids
        ],
    )
    db.session.commit()


def run_wrk(base: str, script: Path, args: argparse.Namespace) -> dict[str, Any]:
    """wrk with ``script`` against ``base`` (``args``: wrk_threads, connections, duration);
    its figures as the script's done() wrote them, plus requests/s and error counts."""
    command = [
        "wrk",
        f"--threads={args.wrk_threads}",
        f"--connections={args.connections}",
        f"--duration={args.duration}s",
        "--timeout=10s",
        f"--script={script}",
        base,
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(x for x in out.splitlines() if x.startswith("WRK_JSON "))
    data = json.loads(line.removeprefix("WRK_JSON "))
    data["requests_per_s"] = data["requests"] / (data["duration_us"] / 1e6)
    data["socket_errors"] = sum(v for k, v in data["errors"].items() if k != "status")
    data["non_2xx"] = data["errors"]["status"]
    return data
