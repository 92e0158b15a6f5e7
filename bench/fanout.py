"""Benchmark 3: fan-out of one tip and one municipality broadcast through RQ push workers.

    .venv/bin/python -m bench.fanout            # ~5-8 minutes; table + bench/results/*.json
    .venv/bin/python -m bench.fanout --tip-recipients 6300 --broadcast-recipients 150000 \\
        --workers 1,2,4 --delay-ms 70 [--tip-runs 3] [--broadcast-runs 1] [--json PATH]

A fresh PostgreSQL database (gsv_bench_<random>, dropped afterwards) gets the app's schema
(``flask db upgrade``, or create_all if the migrations lag the models: bench/common.py).
``COPY`` seeds, in a few seconds: ``--tip-recipients`` members with homes within 900 m of one
spot and a phone each; ``--broadcast-recipients`` members of 30 areas in municipality 0580,
a phone each; one reporter and one police officer serving 0580. Tokens are 163 characters,
like FCM registration tokens.

Pushes go through the app's real path: ``flask --app 'grannsamverkan:create_app(role="push")'
push worker`` processes (``--worker-app``; RQ, on Redis, a queue of their own) running the
outbox Dispatcher and FcmSender (firebase-admin 7.7.0, one HTTP request per token) against
an FCM look-alike that answers every request after ``--delay-ms`` (70 ms). That look-alike
is bench/fast_sink.py, an asyncio server in its own process: the threaded
mobile_client_stub PushSink tops out near 2,600 requests/s on these 2 cores
(``--sink-capacity`` measures both), it would be what is measured. ``--sink stub`` uses the
PushSink anyway.

For each worker count: the workers start and are left to go idle, a warm-up tip is sent
(it opens the connection pools; not counted), then ``--tip-runs`` tips (services.tips,
report_tip) and ``--broadcast-runs`` broadcasts (services.broadcasts.create_broadcast to
municipality 0580), each created and committed in this process with GSV_DISPATCHER=rq, so
the commit enqueues the RQ job as the API's would. Each is timed from just before that
commit until no delivery row of its alert is pending (the DB polled every 20 ms for tips,
50 ms for broadcasts), and until the sink answered the last of its messages.

Reported: seconds and messages/s, FCM's quota floor N / 10,000 s (600,000 messages/minute:
the fastest FCM lets one project go) and the time as a multiple of it, the bar, and where
the CPU went (worker, sink and PostgreSQL CPU seconds; the machine's busy share of all
cores; worker CPU milliseconds per message).
"""

from __future__ import annotations

import argparse
import io
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import requests
from redis import Redis

from bench.common import (
    REPO,
    SPOT,
    app_env,
    create_schema,
    free_port,
    fresh_database,
    offset_m,
    percentile,
    print_table,
    rss_mb,
    write_results,
)
from grannsamverkan.notify.worker import PUSH_WORKER_APP

PROJECT = "gsv-bench"
REDIS_URL = os.environ.get("GSV_BENCH_REDIS", "redis://127.0.0.1:6379/0")
MUNICIPALITY = "0580"  # Linköping: the broadcast's target; the tip area is in 0884
BROADCAST_AREAS = 30
FLOOR_RATE = 10_000.0  # FCM: 600,000 messages per minute per project
BARS = {"tip": 1.5, "broadcast": 30.0}  # seconds, at the default sizes (6,300 and 150,000)
TOKEN_PAD = "x" * 140  # FCM registration tokens are ~163 characters


# --- seeding --------------------------------------------------------------------------------


def libpq_url(sqlalchemy_url: str) -> str:
    return sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://")


def seed(url: str, *, tip_recipients: int, broadcast_recipients: int) -> dict[str, int]:
    """Areas, users, memberships and devices with COPY; returns the ids the runs need."""
    now = datetime.now(UTC).isoformat()
    with psycopg.connect(libpq_url(url)) as conn:
        area_ids = []
        with conn.cursor() as cur:
            cur.execute(
                "INSERT INTO areas (name, municipality_code, center_lat, center_lon, "
                "tip_moderation, created_at) VALUES (%s, '0884', %s, %s, false, %s) RETURNING id",
                ("Bench tip area", SPOT[0], SPOT[1], now),
            )
            tip_area = cur.fetchone()[0]  # type: ignore[index]
            for i in range(BROADCAST_AREAS):
                cur.execute(
                    "INSERT INTO areas (name, municipality_code, center_lat, center_lon, "
                    "tip_moderation, created_at) VALUES (%s, %s, %s, %s, false, %s) RETURNING id",
                    (f"Bench area {i}", MUNICIPALITY, 58.41 + i * 0.002, 15.62, now),
                )
                area_ids.append(cur.fetchone()[0])  # type: ignore[index]
        reporter_id = 1
        police_id = 2
        first_member = 3
        total = tip_recipients + broadcast_recipients
        users = io.StringIO()
        memberships = io.StringIO()
        devices = io.StringIO()
        users.write(
            f"{reporter_id}\treporter@bench.example.se\t-\tReporter\tresident\tsv\t[]\t\\N\t\\N"
            f"\tf\t1000\t{now}\n"
            f"{police_id}\tpolice@bench.example.se\t-\tPolice\tpolice\tsv\t"
            f'["{MUNICIPALITY}"]\t\\N\t\\N\tf\t1000\t{now}\n'
        )
        memberships.write(f"{tip_area}\t{reporter_id}\tmember\tactive\t{now}\t{now}\n")
        for i in range(total):
            uid = first_member + i
            if i < tip_recipients:
                # Spread over a 900 m disc (deterministic), all within the 1 km alert radius.
                r = 900 * ((i * 0.618034) % 1) ** 0.5
                a = math.radians((i * 137.508) % 360)
                lat, lon = offset_m(SPOT, r * math.cos(a), r * math.sin(a))
                home = f"{lat:.7f}\t{lon:.7f}"
                area = tip_area
            else:
                home = "\\N\t\\N"
                area = area_ids[i % BROADCAST_AREAS]
            users.write(
                f"{uid}\tm{uid}@bench.example.se\t-\tBench {uid}\tresident\tsv\t[]\t{home}"
                f"\tf\t1000\t{now}\n"
            )
            memberships.write(f"{area}\t{uid}\tmember\tactive\t{now}\t{now}\n")
            devices.write(f"{uid}\tbench-{uid:08d}-{TOKEN_PAD}\tandroid\t{now}\t{now}\n")
        with conn.cursor() as cur:
            for table, columns, data in (
                (
                    "users",
                    "id, email, password_hash, name, role, locale, municipality_codes, "
                    "home_lat, home_lon, home_protected, alert_radius_m, created_at",
                    users,
                ),
                (
                    "memberships",
                    "area_id, user_id, role, status, created_at, updated_at",
                    memberships,
                ),
                ("devices", "user_id, token, platform, created_at, last_seen_at", devices),
            ):
                with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    copy.write(data.getvalue())
            cur.execute("SELECT setval('users_id_seq', (SELECT max(id) FROM users))")
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return {"tip_area": tip_area, "reporter_id": reporter_id, "police_id": police_id}


# --- processes ------------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (and its reaped children), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(f) for f in fields[11:15]) / ticks


def postgres_cpu() -> float:
    """CPU seconds of every process named postgres (the server's backends and helpers)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    total += cpu_seconds(int(entry.name))
            except OSError:
                continue
    return total


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies over all cores since boot, from /proc/stat."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    total = sum(values[:8])
    return total - idle, total


@contextmanager
def sink_process(kind: str, delay_ms: float, log: Path) -> Any:
    """(base URL, pid) of the FCM look-alike in a process of its own."""
    port = free_port()
    if kind == "fast":
        command = [sys.executable, "-m", "bench.fast_sink", "--port", str(port)]
        command += ["--delay-ms", str(delay_ms)]
    else:
        command = [sys.executable, "-m", "mobile_client_stub.push_sink", "--port", str(port)]
    out = log.open("ab")
    process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.post(f"{base}/_sink/reset", timeout=2)
                break
            except requests.ConnectionError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"sink did not start: {log.read_text()}") from None
                time.sleep(0.1)
        if kind == "stub":
            requests.post(f"{base}/_sink/delay", params={"seconds": delay_ms / 1000}, timeout=5)
        yield base, process.pid
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        out.close()


def sink_counts(base: str, kind: str, alert_id: int) -> dict[str, Any]:
    """{count, first, last} (wall-clock seconds) of an alert's messages at the sink."""
    if kind == "fast":
        stats = requests.get(f"{base}/_sink/stats", timeout=30).json()
        entry = stats["by_alert"].get(str(alert_id), {"count": 0, "first": None, "last": None})
        return {**entry, "sink_cpu_s": stats["cpu_s"]}
    # The stub keeps every message; its received_at is monotonic, not comparable here.
    messages = requests.get(f"{base}/_sink/messages", timeout=60).json()
    count = sum(1 for m in messages if m["data"].get("alert_id") == str(alert_id))
    return {"count": count, "first": None, "last": None, "sink_cpu_s": None}


@contextmanager
def push_workers(
    count: int, env: dict[str, str], log: Path, queue: str, app: str = PUSH_WORKER_APP
) -> Any:
    """``count`` ``flask --app APP push worker`` processes on the RQ queue; yields their pids."""
    from rq import Queue, Worker

    out = log.open("ab")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", app, "push", "worker"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        for _ in range(count)
    ]
    redis = Redis.from_url(REDIS_URL)
    try:
        deadline = time.monotonic() + 60
        while len(Worker.all(queue=Queue(queue, connection=redis))) < count:
            if any(p.poll() is not None for p in processes) or time.monotonic() > deadline:
                raise RuntimeError(f"push workers did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        wait_idle(redis, queue)
        yield [p.pid for p in processes]
    finally:
        for p in processes:
            p.send_signal(signal.SIGTERM)
        for p in processes:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(5)
        out.close()
        for key in redis.scan_iter(f"rq:*{queue}*"):
            redis.delete(key)


def wait_idle(redis: Redis, queue: str, timeout: float = 120) -> None:
    """Until the queue is empty and no worker on it is busy."""
    from rq import Queue, Worker

    q = Queue(queue, connection=redis)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        busy = [w for w in Worker.all(queue=q) if w.get_state() == "busy"]
        if q.count == 0 and not busy:
            return
        time.sleep(0.05)
    raise RuntimeError(f"RQ queue {queue} did not go idle")


# --- one timed fan-out ----------------------------------------------------------------------


def timed_fan_out(
    app: Any,
    kind: str,
    ids: dict[str, int],
    *,
    pg: psycopg.Connection[Any],
    sink: tuple[str, int, str],
    worker_pids: list[int],
    budget_s: float,
) -> dict[str, Any]:
    """Create one tip or broadcast, commit (which enqueues the RQ job), time its fan-out."""
    from grannsamverkan.extensions import db
    from grannsamverkan.models import User
    from grannsamverkan.services.broadcasts import create_broadcast
    from grannsamverkan.services.tips import report_tip

    sink_url, sink_pid, sink_kind = sink
    with app.app_context():
        if kind == "tip":
            reporter = db.session.get(User, ids["reporter_id"])
            made = report_tip(
                reporter=reporter,
                category="burglary",
                description="Två personer provar dörrhandtag på Storgatan, mörka kläder.",
                lat=SPOT[0],
                lon=SPOT[1],
            )
        else:
            police = db.session.get(User, ids["police_id"])
            made = create_broadcast(
                author=police,
                kind="notice",
                title="Bedrägerivarning",
                body="Falska poliser ringer äldre och ber om bankdosan. Polisen ringer aldrig "
                "och ber om koder. Lägg på och ring 114 14.",
                target={"municipality_codes": [MUNICIPALITY]},
                severity="severe",
            )
        alert_id = made.alert.id  # type: ignore[union-attr]
        recipients = made.recipient_count
        cpu_before = [cpu_seconds(p) for p in worker_pids]
        sink_before, pg_before, busy_before = cpu_seconds(sink_pid), postgres_cpu(), machine_busy()
        t0 = time.time()
        db.session.commit()  # the after_commit hook enqueues the dispatch job
        committed = time.time()
    poll_s = 0.02 if kind == "tip" else 0.05
    pending_q = "SELECT EXISTS (SELECT 1 FROM deliveries WHERE alert_id = %s AND state = 'pending')"
    deadline = t0 + budget_s
    cut_at_sent = None
    while pg.execute(pending_q, (alert_id,)).fetchone()[0]:  # type: ignore[index]
        if time.time() > deadline:
            break
        time.sleep(poll_s)
    done = time.time()
    if done > deadline:
        # Over budget: note how many were sent, then take the unclaimed rest off the outbox
        # (state "failed", last_error says why) and let the workers finish the batches they
        # hold, so the next run starts from an empty outbox.
        cut_at_sent = pg.execute(
            "SELECT count(*) FROM deliveries WHERE alert_id = %s AND state = 'sent'",
            (alert_id,),
        ).fetchone()[0]  # type: ignore[index]
        pg.execute(
            "UPDATE deliveries SET state = 'failed', last_error = 'bench: over budget' "
            "WHERE alert_id = %s AND state = 'pending' AND claimed_by IS NULL",
            (alert_id,),
        )
        while pg.execute(pending_q, (alert_id,)).fetchone()[0]:  # type: ignore[index]
            time.sleep(poll_s)
    cpu_after = [cpu_seconds(p) for p in worker_pids]
    rss_after = [round(rss_mb(p), 1) for p in worker_pids]
    sink_after, pg_after, busy_after = cpu_seconds(sink_pid), postgres_cpu(), machine_busy()
    states = dict(
        pg.execute(
            "SELECT state, count(*) FROM deliveries WHERE alert_id = %s GROUP BY state",
            (alert_id,),
        ).fetchall()
    )
    last_record = pg.execute(
        "SELECT extract(epoch FROM max(updated_at)) FROM deliveries WHERE alert_id = %s",
        (alert_id,),
    ).fetchone()[0]  # type: ignore[index]
    at_sink = sink_counts(sink_url, sink_kind, alert_id)
    messages = sum(states.values())
    total_s = done - t0
    measured = messages if cut_at_sent is None else cut_at_sent
    rate = measured / total_s
    worker_cpu = [round(a - b, 3) for a, b in zip(cpu_after, cpu_before, strict=True)]
    busy = (busy_after[0] - busy_before[0]) / max(1, busy_after[1] - busy_before[1])
    return {
        "kind": kind,
        "alert_id": alert_id,
        "recipients": recipients,
        "messages": messages,
        "states": states,
        "commit_s": round(committed - t0, 4),
        # Over budget: the time to send all is an estimate, N / (rate while measured).
        "finished": cut_at_sent is None,
        "sent_in_budget": measured,
        "total_s": round(total_s if cut_at_sent is None else messages / rate, 4),
        "measured_s": round(total_s, 4),
        "last_record_s": round(float(last_record) - t0, 4) if last_record else None,
        "sink_count": at_sink["count"],
        "sink_first_s": round(at_sink["first"] - t0, 4) if at_sink["first"] else None,
        "sink_last_s": round(at_sink["last"] - t0, 4) if at_sink["last"] else None,
        "msgs_per_s": round(rate, 1),
        "floor_s": messages / FLOOR_RATE,
        "x_floor": round((messages / rate) / (messages / FLOOR_RATE), 2),
        "worker_cpu_s": worker_cpu,
        "worker_rss_mb": rss_after,
        "worker_cpu_ms_per_msg": round(1000 * sum(worker_cpu) / max(1, measured), 3),
        "postgres_cpu_ms_per_msg": round(1000 * (pg_after - pg_before) / max(1, measured), 3),
        "sink_cpu_ms_per_msg": round(1000 * (sink_after - sink_before) / max(1, measured), 3),
        "sink_cpu_s": round(sink_after - sink_before, 3),
        "postgres_cpu_s": round(pg_after - pg_before, 3),
        "machine_busy": round(busy, 3),
    }


def start_profiler(folder: Path, pid: int, tag: str) -> tuple[subprocess.Popen[bytes], Path]:
    """py-spy record (on-CPU samples only, all threads) of one worker, until stopped."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"fanout-worker-{tag}.collapsed"
    spy = subprocess.Popen(
        [str(Path(sys.executable).parent / "py-spy"), "record", "--pid", str(pid), "--rate",
         "250", "--format", "raw", "--output", str(path), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(0.5)  # attached before the commit
    return spy, path


def stop_profiler(spy: subprocess.Popen[bytes], path: Path) -> dict[str, Any]:
    """Stop py-spy; the top functions by own and by inclusive samples."""
    spy.send_signal(signal.SIGINT)
    spy.wait(30)
    return summarise_profile(path)


def summarise_profile(path: Path, top: int = 25) -> dict[str, Any]:
    """Own (leaf) and inclusive sample shares per function of a py-spy raw profile."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack:
            continue
        count = int(count_text)
        frames = [f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].rsplit("/", 1)[-1]
                  + ")" if " (" in f else f for f in stack.split(";")]  # fmt: skip
        frames = [f for f in frames if not f.startswith(("process ", "thread "))]
        total += count
        if frames:
            own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count

    def share(d: dict[str, int]) -> list[tuple[str, float]]:
        return [(k, round(100 * v / total, 1)) for k, v in sorted(d.items(), key=lambda i: -i[1])][
            :top
        ]

    return {"file": str(path), "samples": total, "own": share(own), "inclusive": share(inclusive)}


# --- the benchmark --------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--tip-recipients", type=int, default=6300)
    parser.add_argument("--broadcast-recipients", type=int, default=150_000)
    parser.add_argument("--workers", default="1,2,4", help="worker counts, e.g. 1,2,4")
    parser.add_argument("--delay-ms", type=float, default=70.0)
    parser.add_argument("--tip-runs", type=int, default=3)
    parser.add_argument("--broadcast-runs", type=int, default=1)
    parser.add_argument("--sink", choices=("fast", "stub"), default="fast")
    parser.add_argument(
        "--transport",
        default="aiohttp",
        help="GSV_FCM_TRANSPORT of the workers: aiohttp, sdk, or both in one run: sdk,aiohttp",
    )
    parser.add_argument("--batch-size", type=int, help="GSV_PUSH_BATCH_SIZE for the workers")
    parser.add_argument(
        "--worker-env", action="append", default=[], help="KEY=VALUE for the workers"
    )
    parser.add_argument(
        "--worker-app",
        default=PUSH_WORKER_APP,
        help="the workers' flask --app (grannsamverkan: the whole web app, as before issue 14's "
        "third pass)",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        help="py-spy the first worker during the first broadcast; collapsed stacks go here",
    )
    parser.add_argument(
        "--broadcast-budget",
        type=float,
        default=90,
        help="seconds a broadcast may run before its time is extrapolated from its rate",
    )
    parser.add_argument("--tip-budget", type=float, default=60)
    parser.add_argument("--json", type=Path, help="where to write the results")
    parser.add_argument("--quiet", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(argv)
    say = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    worker_counts = [int(w) for w in args.workers.split(",") if w.strip()]
    transports = [t.strip() for t in args.transport.split(",") if t.strip()]
    started = time.monotonic()
    runs: list[dict[str, Any]] = []
    warmups: list[dict[str, Any]] = []
    log = Path(tempfile.gettempdir()) / f"gsv-fanout-{uuid.uuid4().hex[:8]}.log"
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database("postgresql"))
        env = app_env(url)
        schema = create_schema(env, url)
        t = time.monotonic()
        ids = seed(
            url,
            tip_recipients=args.tip_recipients,
            broadcast_recipients=args.broadcast_recipients,
        )
        say(f"schema: {schema}; seeded in {time.monotonic() - t:.1f} s")
        sink_url, sink_pid = stack.enter_context(sink_process(args.sink, args.delay_ms, log))
        pg = stack.enter_context(psycopg.connect(libpq_url(url), autocommit=True))
        profiled = False
        for transport, workers in [(t, w) for t in transports for w in worker_counts]:
            queue = f"gsv-bench-{uuid.uuid4().hex[:8]}"
            from grannsamverkan import create_app

            app = create_app(
                {
                    "SQLALCHEMY_DATABASE_URI": url,
                    "SECRET_KEY": "bench-secret-key",
                    "GSV_DISPATCHER": "rq",
                    "GSV_REDIS_URL": REDIS_URL,
                    "GSV_RQ_QUEUE": queue,
                }
            )
            worker_env = app_env(
                url,
                GSV_REDIS_URL=REDIS_URL,
                GSV_RQ_QUEUE=queue,
                GSV_PUSH_BACKEND="fcm",
                GSV_FCM_ENDPOINT=sink_url,
                GSV_FIREBASE_PROJECT_ID=PROJECT,
                GSV_FCM_TIMEOUT_S="10",
                GSV_FCM_TRANSPORT=transport,
            )
            if args.batch_size:
                worker_env["GSV_PUSH_BATCH_SIZE"] = str(args.batch_size)
            for pair in args.worker_env:
                key, _, value = pair.partition("=")
                worker_env[key] = value
            with push_workers(workers, worker_env, log, queue, args.worker_app) as pids:
                # Started, their sender made, their start-up sweep done: before any push.
                rss_idle = [round(rss_mb(p), 1) for p in pids]
                redis = Redis.from_url(REDIS_URL)
                plan = ["warmup"] + ["tip"] * args.tip_runs + ["broadcast"] * args.broadcast_runs
                for step in plan:
                    kind = "tip" if step == "warmup" else step
                    spy = None
                    if args.profile and kind == "broadcast" and not profiled:
                        spy = start_profiler(args.profile, pids[0], f"w{workers}")
                        profiled = True
                    result = timed_fan_out(
                        app,
                        kind,
                        ids,
                        pg=pg,
                        sink=(sink_url, sink_pid, args.sink),
                        worker_pids=pids,
                        budget_s=args.tip_budget if kind == "tip" else args.broadcast_budget,
                    )
                    result["workers"] = workers
                    result["transport"] = transport
                    result["worker_rss_idle_mb"] = rss_idle
                    if spy is not None:
                        result["profile"] = stop_profiler(*spy)
                    (warmups if step == "warmup" else runs).append(result)
                    say(
                        f"{transport:7} {workers} worker(s) {step:9} {result['messages']:>7} msgs "
                        f"{result['total_s']:7.2f} s  {result['msgs_per_s']:8.0f} msg/s  "
                        f"worker CPU {result['worker_cpu_s']} s  busy {result['machine_busy']:.0%}"
                        f"  RSS MiB {rss_idle} idle, {result['worker_rss_mb']} after"
                    )
                    wait_idle(redis, queue)
            with app.app_context():
                from grannsamverkan.extensions import db

                db.engine.dispose()
    summary = summarise(runs, args)
    result = {
        "benchmark": "fanout",
        "command": "python -m bench.fanout " + " ".join(argv if argv is not None else sys.argv[1:]),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "schema": schema,
        "sink": "bench/fast_sink.py (asyncio, own process)"
        if args.sink == "fast"
        else "mobile_client_stub PushSink (own process)",
        "summary": summary,
        "runs": runs,
        "warmups": warmups,
        "elapsed_s": round(time.monotonic() - started, 1),
    }
    result["ok"] = all(
        r["states"].get("sent", 0) + r["states"].get("failed", 0) == r["messages"]
        and r["sink_count"] >= r["states"].get("sent", 0)
        and (r["finished"] or r["states"].get("sent", 0) >= r["sent_in_budget"])
        for r in runs
    ) and all(r["states"] == {"sent": r["messages"]} for r in runs if r["finished"])
    if not args.quiet:
        print()
        print_table(
            [
                "fan-out", "transport", "workers", "N", "runs", "median s", "p95 s", "msg/s",
                "floor s", "x floor", "bar s", "bar", "worker", "pg", "sink", "busy", "RSS MiB",
            ],
            [
                [
                    s["kind"], s["transport"], s["workers"], s["messages"], s["runs"],
                    f"{s['median_s']:.2f}" + ("" if s["finished"] else " est"),
                    f"{s['p95_s']:.2f}", f"{s['msgs_per_s']:.0f}", f"{s['floor_s']:.2f}",
                    f"{s['x_floor']:.1f}", s["bar_s"] if s["bar_s"] else "-",
                    {True: "met", False: "missed", None: "-"}[s["bar_met"]],
                    f"{s['worker_cpu_ms_per_msg']:.2f}", f"{s['postgres_cpu_ms_per_msg']:.2f}",
                    f"{s['sink_cpu_ms_per_msg']:.2f}", f"{s['machine_busy']:.0%}",
                    f"{s['worker_rss_mb_max']:.0f}",
                ]
                for s in summary
            ],
        )  # fmt: skip
    if not args.quiet:
        print(
            "\nworker / pg / sink: CPU ms per message (workers summed; all PostgreSQL processes;"
            " the sink process). busy: all cores' busy share during the run, other load"
            " included. RSS: the largest worker's resident memory after a run (before the"
            " first: worker_rss_idle_mb in the JSON)."
            " 'est': over --broadcast-budget, time = N / measured rate."
        )
    path = write_results("fanout", result, args.json)
    say(f"\nresults: {path}  ({result['elapsed_s']} s)")
    return result


def summarise(runs: list[dict[str, Any]], args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    default_sizes = {"tip": 6300, "broadcast": 150_000}
    keys = {(r["kind"], r["transport"], r["workers"]) for r in runs}
    for key in sorted(keys, key=lambda k: (k[0] != "tip", k)):
        group = [r for r in runs if (r["kind"], r["transport"], r["workers"]) == key]
        times = [r["total_s"] for r in group]
        messages = group[0]["messages"]
        median = statistics.median(times)
        bar = BARS[key[0]] if messages == default_sizes[key[0]] else None
        rows.append(
            {
                "kind": key[0],
                "transport": key[1],
                "workers": key[2],
                "messages": messages,
                "runs": len(group),
                "finished": all(r["finished"] for r in group),
                "median_s": median,
                "p95_s": percentile(times, 95),
                "msgs_per_s": statistics.median(r["msgs_per_s"] for r in group),
                "floor_s": messages / FLOOR_RATE,
                "x_floor": median / (messages / FLOOR_RATE),
                "bar_s": bar,
                "bar_met": None if bar is None else median <= bar,
                "worker_cpu_ms_per_msg": statistics.median(
                    r["worker_cpu_ms_per_msg"] for r in group
                ),
                "postgres_cpu_ms_per_msg": statistics.median(
                    r["postgres_cpu_ms_per_msg"] for r in group
                ),
                "sink_cpu_ms_per_msg": statistics.median(r["sink_cpu_ms_per_msg"] for r in group),
                "machine_busy": statistics.median(r["machine_busy"] for r in group),
                "worker_rss_mb_max": max(max(r["worker_rss_mb"]) for r in group),
                "sink_last_s_median": statistics.median(
                    r["sink_last_s"] for r in group if r["sink_last_s"] is not None
                )
                if any(r["sink_last_s"] is not None for r in group)
                else None,
            }
        )
    return rows


if __name__ == "__main__":
    main()
