"""Benchmarks 4 and 5: HTTP throughput under gunicorn, and resident memory per worker.

    .venv/bin/python bench/http_throughput.py        # ~4 minutes; needs wrk (apt-get install wrk)

A fresh PostgreSQL database gets its schema from ``flask db upgrade``; one area with
``--members`` (10) homes around a spot, each with a phone, ``--reporters`` (200) more members
who send the tips, and ``--alerts`` (100) alerts in every member's inbox are inserted in bulk.
The app runs as gunicorn with 2 x cores + 1 workers, first ``sync``, then ``gthread`` with
2 x cores threads each (gunicorn's documented starting points), in the real push
configuration: GSV_PUSH_BACKEND=fcm, the in-process dispatcher, and the push sink of
``mobile_client_stub`` (run in this process, answering at once) as FCM, so every tip's pushes
are really sent while the load runs. GSV_TIP_LIMIT is lifted so that the per-user limit does
not turn the load into 429s.

For each worker class, wrk (``--connections`` 16, 2 threads, ``--duration`` 20 s per case)
drives, one after another:

- ``GET /bench/hello``: a hello-world route added to the same app object by the factory
  ``hello_app()`` of bench/wrk_load.py (same middleware and hooks; the product has no such
  route);
- ``POST /tips``: bodies from a Lua script, reporters' tokens round-robin, coordinates and
  categories varied (each tip alerts the members whose home is within 1 km);
- ``GET /alerts``: the members' inboxes (a page of 20 alerts), tokens round-robin.

Reported: requests/s, latency p50/p99 (wrk), errors (non-2xx, socket errors), POST /tips as a
share of hello-world's requests/s (bar >= 30 %), pushes the sink received, and each worker's
resident memory (VmRSS) at rest after start and after the load (bar < 150 MB).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from common import (  # noqa: E402
    SPOT,
    app_env,
    bench_app,
    create_schema,
    fresh_database,
    gunicorn,
    print_table,
    recommended_workers,
    rss_mb,
    seed_neighbourhood,
    worker_pids,
    write_results,
)
from wrk_load import LUA_HELLO, run_wrk, seed_alerts, write_script  # noqa: E402

from mobile_client_stub.push_sink import PushSink  # noqa: E402

PROJECT = "gsv-bench"
BAR_SHARE = 0.30
BAR_RSS_MB = 150.0


LUA_TIPS = r"""
local categories = {"burglary", "suspicious_person", "suspicious_vehicle",
                    "attempted_burglary", "suspicious_activity", "vandalism"}
request = function()
  local lat = %(lat)f + (math.random() - 0.5) * 0.009
  local lon = %(lon)f + (math.random() - 0.5) * 0.017
  local body = string.format(
    '{"category": "%%s", "description": "Bänkprov: någon prövar dörrhandtagen.", ' ..
    '"location": {"lat": %%.6f, "lon": %%.6f}}',
    categories[math.random(#categories)], lat, lon)
  return wrk.format("POST", "/api/v1/tips", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. next_token(),
  }, body)
end
"""

LUA_ALERTS = r"""
request = function()
  return wrk.format("GET", "/api/v1/alerts", {["Authorization"] = "Bearer " .. next_token()})
end
"""


def drain_outbox(url: str, timeout_s: float = 120) -> None:
    """Wait until no delivery is pending, so one case's pushes do not run in the next."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                pending = conn.execute(
                    text("SELECT count(*) FROM deliveries WHERE state = 'pending'")
                ).scalar()
            if not pending:
                return
            time.sleep(0.5)
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {"cases": [], "memory": []}
    with (
        fresh_database("postgresql") as url,
        PushSink() as sink,
        tempfile.TemporaryDirectory() as tmp,
    ):
        folder = Path(tmp)
        env = app_env(
            url,
            GSV_PUSH_BACKEND="fcm",
            GSV_FCM_ENDPOINT=sink.base_url,
            GSV_FIREBASE_PROJECT_ID=PROJECT,
            GSV_DISPATCHER=args.dispatcher,
            GSV_TIP_LIMIT="100000000/hour",
            PYTHONWARNINGS="ignore::DeprecationWarning",
            PYTHONPATH=str(Path(__file__).resolve().parent),
        )
        results["schema"] = create_schema(env, url)
        app = bench_app(url)
        with app.app_context():
            hood = seed_neighbourhood(members=args.members, reporters=args.reporters)
            seed_alerts(hood.member_ids, args.alerts)
            from grannsamverkan.extensions import db

            db.engine.dispose()
        (folder / "reporters.txt").write_text("\n".join(hood.reporter_tokens) + "\n")
        (folder / "members.txt").write_text("\n".join(hood.member_tokens) + "\n")
        scripts = {}
        for name, body, tokens in (
            ("hello", LUA_HELLO, "members.txt"),
            ("post_tips", LUA_TIPS % {"lat": SPOT[0], "lon": SPOT[1]}, "reporters.txt"),
            ("get_alerts", LUA_ALERTS, "members.txt"),
        ):
            scripts[name] = write_script(folder, name, body, folder / tokens)
        for worker_class, threads in (("sync", 1), ("gthread", args.threads)):
            with gunicorn(
                env,
                app="wrk_load:hello_app()",
                workers=args.workers,
                worker_class=worker_class,
                threads=threads,
                log_path=Path(args.log) if args.log else None,
            ) as (base, master):
                time.sleep(1)
                pids = worker_pids(master.pid)
                at_rest = {pid: rss_mb(pid) for pid in pids}
                for name, script in scripts.items():
                    if args.dispatcher == "thread":
                        drain_outbox(url)  # the last case's pushes must not load this one
                    pushes_before = sink.message_count()
                    data = run_wrk(base, script, args)
                    data.update(
                        case=name,
                        worker_class=worker_class,
                        workers=args.workers,
                        threads=threads,
                        pushes_during=sink.message_count() - pushes_before,
                    )
                    results["cases"].append(data)
                    print(
                        f"{worker_class:8} {name:11} {data['requests_per_s']:8.1f} req/s "
                        f"p50 {data['latency_us']['p50'] / 1000:.1f} ms "
                        f"p99 {data['latency_us']['p99'] / 1000:.1f} ms "
                        f"non-2xx {data['non_2xx']} socket errors {data['socket_errors']}",
                        file=sys.stderr,
                    )
                after = {pid: rss_mb(pid) for pid in worker_pids(master.pid)}
                results["memory"].append(
                    {
                        "worker_class": worker_class,
                        "workers": args.workers,
                        "threads": threads,
                        "rss_mb_at_rest": [at_rest[p] for p in pids],
                        "rss_mb_after_load": [after.get(p) for p in pids],
                        "workers_replaced": sorted(set(after) - set(pids)),
                    }
                )
        results["pushes_total"] = sink.message_count()
    results["settings"] = {
        key: getattr(args, key)
        for key in (
            "members",
            "reporters",
            "alerts",
            "workers",
            "threads",
            "duration",
            "connections",
            "wrk_threads",
        )
    }
    results["settings"]["push"] = (
        f"fcm backend, push sink in the bench process, no delay; dispatcher {args.dispatcher}"
    )
    results["bar"] = verdict(results)
    return results


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    by = {(c["worker_class"], c["case"]): c for c in results["cases"]}
    share = {}
    for worker_class in ("sync", "gthread"):
        hello, tips = by.get((worker_class, "hello")), by.get((worker_class, "post_tips"))
        if hello and tips:
            share[worker_class] = tips["requests_per_s"] / hello["requests_per_s"]
    errors = sum(c["non_2xx"] + c["socket_errors"] for c in results["cases"])
    peak_rss = max(
        (v for m in results["memory"] for v in m["rss_mb_at_rest"] + m["rss_mb_after_load"] if v),
        default=float("nan"),
    )
    return {
        "post_tips_share_of_hello": share,
        "share_ok": all(s >= BAR_SHARE for s in share.values()),
        "errors": errors,
        "errors_ok": errors == 0,
        "peak_rss_mb": peak_rss,
        "rss_ok": peak_rss < BAR_RSS_MB,
    }


def report(results: dict[str, Any]) -> None:
    s = results["settings"]
    print(
        f"\nHTTP throughput: gunicorn {s['workers']} workers, wrk {s['connections']} "
        f"connections x {s['duration']} s per case; pushes via the sink "
        f"({results['pushes_total']} sent)\n"
    )
    rows = [
        [
            f"{c['worker_class']} {c['case']}",
            c["requests_per_s"],
            c["latency_us"]["p50"] / 1000,
            c["latency_us"]["p99"] / 1000,
            c["requests"],
            c["non_2xx"],
            c["socket_errors"],
            c["pushes_during"],
        ]
        for c in results["cases"]
    ]
    print_table(
        ["case", "req/s", "p50 ms", "p99 ms", "requests", "non-2xx", "sock err", "pushes"], rows
    )
    print()
    mem_rows = [
        [
            m["worker_class"],
            " ".join(f"{v:.0f}" for v in m["rss_mb_at_rest"]),
            " ".join(f"{v:.0f}" if v else "-" for v in m["rss_mb_after_load"]),
        ]
        for m in results["memory"]
    ]
    print_table(["RSS per worker, MiB", "at rest", "after load"], mem_rows)
    bar = results["bar"]
    shares = ", ".join(f"{k} {v:.0%}" for k, v in bar["post_tips_share_of_hello"].items())
    print(
        f"\nbar: POST /tips share of hello {shares} (>= {BAR_SHARE:.0%}) "
        f"{'PASS' if bar['share_ok'] else 'FAIL'}; errors {bar['errors']} "
        f"{'PASS' if bar['errors_ok'] else 'FAIL'}; peak RSS {bar['peak_rss_mb']:.0f} MiB "
        f"(< {BAR_RSS_MB:.0f}) {'PASS' if bar['rss_ok'] else 'FAIL'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per wrk case")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--reporters", type=int, default=200)
    parser.add_argument("--alerts", type=int, default=100)
    parser.add_argument("--workers", type=int, default=recommended_workers())
    parser.add_argument("--threads", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument(
        "--dispatcher",
        choices=("thread", "off"),
        default="thread",
        help="thread: pushes are sent by the workers' own dispatcher threads during the load; "
        "off: tips are written with their outbox rows but nothing sends them (the API alone, "
        "as when RQ workers on other hosts send the pushes)",
    )
    parser.add_argument("--json", help="write the results here (default bench/results/...)")
    parser.add_argument("--log", help="write gunicorn's output to this file")
    args = parser.parse_args(argv)
    results = run(args)
    report(results)
    path = write_results("http_throughput", results, Path(args.json) if args.json else None)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
