"""Issue 14: the read burst after a warning. GET /alerts and GET /broadcasts/{id} under
gunicorn, against hello-world in the same workers.

    .venv/bin/python bench/read_burst.py        # ~2 minutes; needs wrk (apt-get install wrk)

A fresh database (``--backend`` postgresql, or sqlite) gets its schema from ``flask db
upgrade``; one area with ``--members`` (500) members, each with a phone and ``--alerts``
(200) alerts in the inbox, and one police fraud warning to the area (so 201 in each inbox)
are written in bulk and through the broadcast service. gunicorn runs ``--workers`` (2 x cores
+ 1) sync workers as bench/http_throughput.py does, the dispatcher off (this is the read
path alone). Members' tokens are used in turn, so no one row is hot.

wrk (``--connections`` 16, 2 threads, ``--duration`` 10 s per case), closed-loop:

- ``hello``: GET /bench/hello (bench/wrk_load.py's hello-world route on the same app);
- ``alerts``: GET /alerts, first page of the default size, no If-None-Match (a 200 each);
- ``alerts_304``: the same with the ETag each member got before (a 304 each);
- ``broadcast``: GET /broadcasts/{id} of the warning, as its members.

Then open-loop (bench/open_loop.py, its own process): GET /alerts started at ``--rate``
(1,000) requests a second for ``--open-duration`` (10) s, latency counted from when each was
due. Last, each worker's resident memory. Bars (issue 14): GET /alerts >= 30 % of hello's
requests/s; open-loop p99 <= 50 ms at 1,000 req/s; RSS < 150 MB per worker.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import requests

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from common import (  # noqa: E402
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

BENCH = Path(__file__).resolve().parent
BAR_SHARE = 0.30
BAR_P99_MS = 50.0
BAR_RSS_MB = 150.0

LUA_GET = r"""
request = function()
  return wrk.format("GET", "%(path)s", {["Authorization"] = "Bearer " .. next_token()})
end
"""

# Lines of "token<TAB>etag": each member revalidates the copy they hold.
LUA_REVALIDATE = r"""
request = function()
  local token, etag = next_token():match("^(%%S+)\t(.+)$")
  return wrk.format("GET", "%(path)s", {
    ["Authorization"] = "Bearer " .. token, ["If-None-Match"] = etag})
end
"""


def seed_warning(area_id: int) -> int:
    """A police fraud warning to the area, sent through the broadcast service (inbox rows and
    outbox rows as in production); its id. Runs inside an app context and commits."""
    from grannsamverkan.extensions import db
    from grannsamverkan.services import accounts
    from grannsamverkan.services.broadcasts import create_broadcast

    police = accounts.create_user(
        email=f"police-{time.monotonic_ns()}@bench.example.se",
        password="bench-police-password",  # noqa: S106 - a throwaway bench account
        name="Bench Police",
        role="police",
        municipality_codes=["0884"],
    )
    created = create_broadcast(
        author=police,
        kind="fraud_warning",
        title="Falska poliser ringer",
        body="Polisen ber aldrig om koder eller kort. Lägg på och ring 114 14.",
        severity="severe",
        target={"area_ids": [area_id]},
    )
    db.session.commit()
    return created.broadcast.id


def checked(base: str, path: str, token: str, status: int, etag: str | None = None) -> Any:
    """One request answered as the case expects, before wrk repeats it."""
    headers = {"Authorization": f"Bearer {token}"}
    if etag:
        headers["If-None-Match"] = etag
    answer = requests.get(f"{base}{path}", headers=headers, timeout=30)
    if answer.status_code != status:
        raise RuntimeError(f"{path}: {answer.status_code}, not {status}: {answer.text[:300]}")
    return answer


def in_process(app: Any, cases: dict[str, tuple[str, dict[str, str]]], n: int) -> dict:
    """CPU time (this process, client included) and SQL statements per request of each case,
    through the app's test client: the cost of a request without gunicorn, wrk or other
    processes in the figure, so it holds on a loaded machine where req/s do not."""
    from sqlalchemy import event

    from grannsamverkan.extensions import db

    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(*_: Any) -> None:
        statements.append("")

    client = app.test_client()
    figures = {}
    for case, (path, headers) in cases.items():
        for _ in range(20):  # warm: compiled statements, prepared ones on PostgreSQL
            client.get(path, headers=headers)
        event.listen(engine, "before_cursor_execute", count)
        status = client.get(path, headers=headers).status_code
        event.remove(engine, "before_cursor_execute", count)
        cpu = time.process_time()
        for _ in range(n):
            client.get(path, headers=headers)
        figures[case] = {
            "status": status,
            "statements": len(statements),
            "cpu_ms": (time.process_time() - cpu) / n * 1000,
        }
        statements.clear()
    return figures


def open_loop(base: str, path: str, tokens: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = [
        sys.executable, str(BENCH / "open_loop.py"), "--base", base, "--path", path,
        "--tokens", str(tokens), "--rate", str(args.rate),
        "--duration", str(args.open_duration),
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def measure_in_process(
    url: str, hood: Any, alerts_path: str, broadcast_path: str, args: argparse.Namespace
) -> dict[str, Any]:
    from wrk_load import hello_app

    app = hello_app_for(url, hello_app)
    member = {"Authorization": f"Bearer {hood.member_tokens[0]}"}
    etag = app.test_client().get(alerts_path, headers=member).headers.get("ETag", '"none"')
    cases = {
        "hello": ("/bench/hello", {}),
        "alerts": (alerts_path, member),
        "alerts_304": (alerts_path, {**member, "If-None-Match": etag}),
        "broadcast": (broadcast_path, member),
    }
    logging.disable(logging.INFO)  # the request log line is gunicorn's to write, not timed
    try:
        return in_process(app, cases, args.in_process_requests)
    finally:
        logging.disable(logging.NOTSET)


def hello_app_for(url: str, factory: Any) -> Any:
    """wrk_load.hello_app on this database, as gunicorn's workers get it (env settings)."""
    saved = dict(os.environ)
    os.environ.update(app_env(url, GSV_DISPATCHER="off"))
    try:
        return factory()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(args: argparse.Namespace) -> dict[str, Any]:
    results: dict[str, Any] = {
        "cases": [],
        "settings": vars(args).copy(),
        "loadavg_at_start": os.getloadavg(),
    }
    alerts_path = "/api/v1/alerts" + (f"?limit={args.limit}" if args.limit else "")
    with fresh_database(args.backend) as url, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        env = app_env(
            url,
            GSV_DISPATCHER="off",
            PYTHONWARNINGS="ignore::DeprecationWarning",
            PYTHONPATH=str(BENCH),
        )
        results["schema"] = create_schema(env, url)
        app = bench_app(url)
        started = time.perf_counter()
        with app.app_context():
            hood = seed_neighbourhood(members=args.members, reporters=0)
            seed_alerts(hood.member_ids, args.alerts)
            broadcast_path = f"/api/v1/broadcasts/{seed_warning(hood.area_id)}"
            from grannsamverkan.extensions import db

            db.engine.dispose()
        results["seed_s"] = time.perf_counter() - started
        results["in_process"] = measure_in_process(url, hood, alerts_path, broadcast_path, args)
        tokens = folder / "members.txt"
        tokens.write_text("\n".join(hood.member_tokens) + "\n")
        with gunicorn(env, app="wrk_load:hello_app()", workers=args.workers) as (base, master):
            pids = worker_pids(master.pid)
            results["rss_mb_at_rest"] = [rss_mb(p) for p in pids]
            etags = [
                checked(base, alerts_path, token, 200).headers["ETag"]
                for token in hood.member_tokens
            ]
            checked(base, alerts_path, hood.member_tokens[0], 304, etags[0])
            checked(base, broadcast_path, hood.member_tokens[0], 200)
            revalidating = folder / "revalidating.txt"
            revalidating.write_text(
                "".join(f"{t}\t{e}\n" for t, e in zip(hood.member_tokens, etags, strict=True))
            )
            for case, body, lines in (
                ("hello", LUA_HELLO, tokens),
                ("alerts", LUA_GET % {"path": alerts_path}, tokens),
                ("alerts_304", LUA_REVALIDATE % {"path": alerts_path}, revalidating),
                ("broadcast", LUA_GET % {"path": broadcast_path}, tokens),
            ):
                data = run_wrk(base, write_script(folder, case, body, lines), args)
                data["case"] = case
                results["cases"].append(data)
                print(
                    f"{case:11} {data['requests_per_s']:8.1f} req/s "
                    f"p99 {data['latency_us']['p99'] / 1000:.1f} ms errors "
                    f"{data['non_2xx'] + data['socket_errors']}",
                    file=sys.stderr,
                )
            results["open_loop"] = open_loop(base, alerts_path, tokens, args)
            results["rss_mb_after"] = [rss_mb(p) for p in worker_pids(master.pid)]
            results["workers_replaced"] = sorted(set(worker_pids(master.pid)) - set(pids))
    results["bar"] = verdict(results)
    return results


def verdict(results: dict[str, Any]) -> dict[str, Any]:
    by = {c["case"]: c for c in results["cases"]}
    hello = by["hello"]["requests_per_s"]
    shares = {case: c["requests_per_s"] / hello for case, c in by.items()}
    p99 = results["open_loop"]["latency_ms"]["p99"]
    peak = max(results["rss_mb_at_rest"] + results["rss_mb_after"])
    errors = sum(c["non_2xx"] + c["socket_errors"] for c in results["cases"])
    open_errors = sum(
        n for status, n in results["open_loop"]["statuses"].items() if status != "200"
    )
    return {
        "share_of_hello": shares,
        "share_ok": shares["alerts"] >= BAR_SHARE,
        "open_loop_p99_ms": p99,
        "p99_ok": p99 <= BAR_P99_MS and open_errors == 0,
        "errors": errors + open_errors,
        "peak_rss_mb": peak,
        "rss_ok": peak < BAR_RSS_MB,
    }


def report(results: dict[str, Any]) -> None:
    s = results["settings"]
    print(
        f"\nRead burst ({s['backend']}): gunicorn {s['workers']} sync workers, {s['members']} "
        f"members x {s['alerts']} alerts; wrk {s['connections']} connections x "
        f"{s['duration']} s per case; load average at the start {results['loadavg_at_start']}, "
        f"at the end {results['machine']['loadavg']}\n"
    )
    bar = results["bar"]
    rows = [
        [
            c["case"],
            c["requests_per_s"],
            f"{bar['share_of_hello'][c['case']]:.0%}",
            c["latency_us"]["p50"] / 1000,
            c["latency_us"]["p99"] / 1000,
            c["requests"],
            c["non_2xx"] + c["socket_errors"],
        ]
        for c in results["cases"]
    ]
    headers = ["case (gunicorn, wrk)", "req/s", "of hello", "p50 ms", "p99 ms", "requests"]
    print_table([*headers, "errors"], rows)
    print_table(
        ["in process (test client)", "status", "SQL statements", "CPU ms/request", "x hello"],
        [
            [case, f["status"], f["statements"], f"{f['cpu_ms']:.2f}",
             f"{f['cpu_ms'] / results['in_process']['hello']['cpu_ms']:.1f}"]
            for case, f in results["in_process"].items()
        ],
    )  # fmt: skip
    loop = results["open_loop"]
    print(
        f"\nopen loop GET /alerts at {loop['rate']:.0f}/s for {loop['duration_s']} s: "
        f"completed {loop['completed_per_s']:.0f}/s, p50 {loop['latency_ms']['p50']:.1f} ms, "
        f"p90 {loop['latency_ms']['p90']:.1f} ms, p99 {loop['latency_ms']['p99']:.1f} ms, "
        f"max {loop['latency_ms']['max']:.1f} ms, statuses {loop['statuses']}, "
        f"client late p99 {loop['late_ms']['p99']:.1f} ms, client CPU {loop['client_cpu_s']:.1f} s"
    )
    print(
        "RSS per worker, MiB: at rest "
        + " ".join(f"{v:.0f}" for v in results["rss_mb_at_rest"])
        + "; after "
        + " ".join(f"{v:.0f}" for v in results["rss_mb_after"])
    )
    print(
        f"\nbar: GET /alerts {bar['share_of_hello']['alerts']:.0%} of hello (>= {BAR_SHARE:.0%}) "
        f"{'PASS' if bar['share_ok'] else 'FAIL'}; open-loop p99 {bar['open_loop_p99_ms']:.1f} ms "
        f"(<= {BAR_P99_MS:.0f}) {'PASS' if bar['p99_ok'] else 'FAIL'}; peak RSS "
        f"{bar['peak_rss_mb']:.0f} MiB (< {BAR_RSS_MB:.0f}) {'PASS' if bar['rss_ok'] else 'FAIL'}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk case")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--members", type=int, default=500)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--limit", type=int, help="?limit= of GET /alerts (default: the API's)")
    parser.add_argument("--workers", type=int, default=recommended_workers())
    parser.add_argument("--rate", type=float, default=1000, help="open-loop requests/s")
    parser.add_argument("--open-duration", type=float, default=10)
    parser.add_argument("--in-process-requests", type=int, default=300)
    parser.add_argument("--json", help="write the results here (default bench/results/...)")
    args = parser.parse_args(argv)
    results = run(args)
    path = write_results("read_burst", results, Path(args.json) if args.json else None)
    results = json.loads(path.read_text())
    report(results)
    print(f"\nresults: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
