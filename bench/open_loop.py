"""An open-loop load generator: requests start at a fixed rate whatever the server does.

    .venv/bin/python bench/open_loop.py --base http://127.0.0.1:8000 --path /api/v1/alerts \\
        --tokens tokens.txt --rate 1000 --duration 10

wrk is closed-loop: each connection waits for its answer before it sends again, so a slow
server is asked less and its latency looks better than users would see it (coordinated
omission). Here request i is due at start + i / rate; it starts then (on one of
``--connections`` keep-alive connections, queueing in the client if all are busy) and its
latency is counted from when it was *due*, so time spent queued anywhere counts. Requests due
in the first ``--warmup`` seconds are sent but not counted. One asyncio loop with aiohttp, in
its own process (bench/read_burst.py starts it); it prints one JSON line, including its own
CPU time, so a saturated client would show (it would start requests late: ``late_ms``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp


def _percentile(ordered: list[float], q: float) -> float:
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(round((len(ordered) - 1) * q / 100)))]


async def drive(args: argparse.Namespace, tokens: list[str]) -> dict[str, Any]:
    connector = aiohttp.TCPConnector(limit=args.connections)
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    statuses: Counter[str] = Counter()
    latencies: list[float] = []
    late: list[float] = []
    loop = asyncio.get_running_loop()
    total = int(args.rate * (args.warmup + args.duration))
    counted_from = int(args.rate * args.warmup)

    async def one(session: aiohttp.ClientSession, i: int, due: float) -> None:
        late_s = loop.time() - due
        headers = {"Authorization": f"Bearer {tokens[i % len(tokens)]}"}
        try:
            async with session.get(args.path, headers=headers) as answer:
                await answer.read()
                status = str(answer.status)
        except (aiohttp.ClientError, TimeoutError) as error:
            status = type(error).__name__
        if i >= counted_from:
            statuses[status] += 1
            latencies.append((loop.time() - due) * 1000)
            late.append(late_s * 1000)

    async with aiohttp.ClientSession(args.base, connector=connector, timeout=timeout) as session:
        start = loop.time() + 0.1
        tasks = []
        for i in range(total):
            due = start + i / args.rate
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            tasks.append(asyncio.create_task(one(session, i, due)))
        await asyncio.gather(*tasks)
        elapsed = loop.time() - start - args.warmup  # until the last answer came
    latencies.sort()
    late.sort()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "rate": args.rate,
        "duration_s": args.duration,
        "counted": len(latencies),
        "completed_per_s": len(latencies) / elapsed if elapsed > 0 else float("nan"),
        "statuses": dict(statuses),
        "latency_ms": {q: _percentile(latencies, int(q[1:])) for q in ("p50", "p90", "p99")}
        | {"max": latencies[-1] if latencies else float("nan")},
        "late_ms": {"p99": _percentile(late, 99), "max": late[-1] if late else float("nan")},
        "client_cpu_s": usage.ru_utime + usage.ru_stime,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--base", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--tokens", required=True, help="bearer tokens, one a line, in turn")
    parser.add_argument("--rate", type=float, default=1000, help="requests started per second")
    parser.add_argument("--duration", type=float, default=10, help="seconds counted")
    parser.add_argument("--warmup", type=float, default=1, help="seconds sent, not counted")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=10)
    args = parser.parse_args(argv)
    tokens = Path(args.tokens).read_text().split()
    print(json.dumps(asyncio.run(drive(args, tokens))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
