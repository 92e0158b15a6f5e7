"""Issue 14: resident memory of a fresh app process, without gunicorn or load.

    .venv/bin/python bench/memory.py                      # ~30 s: this checkout, 3 rounds
    git archive main | tar -x -C /tmp/gsv-main
    .venv/bin/python bench/memory.py --ab /tmp/gsv-main   # the same, alternating with main's code

A fresh PostgreSQL database (schema from ``flask db upgrade``), ``--members`` (20) members
with ``--alerts`` (200) alerts each in one area with a drawn boundary, and a police officer
of its municipality. Each round starts one process per code version (the code at ``--ab`` is
put first on PYTHONPATH) and reads its VmRSS after each first use an API worker makes:
``create_app()``; ``--requests`` (300) GET /api/v1/alerts through the test client; one tip
in the drawn area (Sweden's border, then the distance to the area); two console pages
(/today and the area's page, signed in); one password strength check (what a registration
does first). At the end its PSS and USS (smaps_rollup) and whether numpy was loaded.
Bar (issue 14): < 150 MB (143.05 MiB) per worker.

``--gunicorn`` first makes the same first uses over HTTP to one gthread worker of this
checkout under the app's gunicorn settings, then again with zxcvbn's word lists loaded in the
master before the fork, then with the whole app built there too (preload_app), and reads
both processes' RSS, PSS and USS each time.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

import requests  # noqa: E402
from common import (  # noqa: E402
    SPOT,
    app_env,
    bench_app,
    create_schema,
    fresh_database,
    gunicorn,
    offset_m,
    seed_neighbourhood,
    worker_pids,
)
from wrk_load import seed_alerts  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, logging, re, sys
def memory():
    with open("/proc/self/status") as status:
        return round(int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024, 1)
seed = json.loads(sys.argv[1])
from grannsamverkan import create_app
app = create_app()
logging.disable(logging.INFO)
figures = {"create_app": memory()}
client = app.test_client()
headers = {"Authorization": "Bearer " + seed["token"]}
statuses = {client.get("/api/v1/alerts", headers=headers).status_code
            for _ in range(seed["requests"])}
assert statuses == {200}, statuses
figures["alerts"] = memory()
# A tip in the member's drawn area: Sweden's border, then the distance to the area.
tip = {"category": "burglary", "description": "Någon bröt upp ett fönster på baksidan.",
       "location": {"lat": seed["tip"][0], "lon": seed["tip"][1]}}
answer = client.post("/api/v1/tips", json=tip, headers=headers)
assert answer.status_code == 201, answer.get_data(as_text=True)
figures["tip"] = memory()
console = app.test_client()
console.set_cookie(*seed["cookie"])
for path in seed["pages"]:
    answer = console.get(path)
    assert answer.status_code == 200, (path, answer.status_code)
figures["console"] = memory()
from grannsamverkan.errors import Invalid
from grannsamverkan.services.passwords import check_password_strength
try:
    check_password_strength("sommar2026", email="anna@example.se", name="Anna")
except Invalid:
    pass
figures["password"] = memory()
with open("/proc/self/smaps_rollup") as rollup:
    kib = {k: int(v) for k, v in re.findall(r"^(\w+):\s+(\d+) kB", rollup.read(), re.M)}
figures["pss"] = round(kib["Pss"] / 1024, 1)
figures["uss"] = round((kib["Private_Clean"] + kib["Private_Dirty"]) / 1024, 1)
figures["numpy"] = "numpy" in sys.modules
print(json.dumps(figures))
"""


def measure(code: Path, env: dict[str, str], seed: dict[str, Any]) -> dict[str, float]:
    """One fresh process on ``code``'s package; its RSS figures, MiB."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(seed)],
        env={**env, "PYTHONPATH": str(code)},
        cwd=code,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
    return figures


def police_cookie(app: Any, area_id: int) -> tuple[str, str]:
    """Give the area a drawn boundary (400 m around SPOT); a console session cookie of a
    police officer of its municipality. Runs inside an app context; commits."""
    from grannsamverkan.extensions import db
    from grannsamverkan.models import Area, User
    from grannsamverkan.services import accounts

    south, west = offset_m(SPOT, -400, -400)
    north, east = offset_m(SPOT, 400, 400)
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    db.session.get(Area, area_id).boundary = {"type": "Polygon", "coordinates": [ring]}
    police = User(
        email="polis@bench.example.se",
        password_hash=accounts.hash_password("bench-password-police"),
        name="Områdespolis Bench",
        role="police",
        municipality_codes=["0884"],
    )
    db.session.add(police)
    db.session.flush()
    row = accounts.open_session(police)
    db.session.commit()
    value = app.session_interface.get_signing_serializer(app).dumps({"sid": row.id})
    return app.config["SESSION_COOKIE_NAME"], value


# ``--gunicorn``: the same first uses over HTTP to one gthread worker, with the app's own
# gunicorn settings ("as deployed"); then with zxcvbn's word lists imported in the master
# before the worker forks, gc.freeze() keeping the collector off them ("zxcvbn in master");
# then with the whole app built in the master as well (preload_app, "preloaded").
MASTER_CONFIG = """
import gc
from grannsamverkan.gunicorn_config import *  # noqa: F403 - the app's own settings
preload_app = {preload}
def when_ready(server):
    import zxcvbn  # noqa: F401
    gc.collect()
    gc.freeze()
"""


def memory_of(pid: int) -> dict[str, float]:
    """RSS, PSS and USS of a process (smaps_rollup), MiB."""
    text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    kib = {key: int(value) for key, value in re.findall(r"^(\w+):\s+(\d+) kB", text, re.M)}
    private = kib["Private_Clean"] + kib["Private_Dirty"]
    return {
        k: round(v / 1024, 1)
        for k, v in (("rss", kib["Rss"]), ("pss", kib["Pss"]), ("uss", private))
    }


def first_uses_over_http(base: str, seed: dict[str, Any]) -> None:
    """What bench/memory.py's child does, through gunicorn (an account registered)."""
    api = requests.Session()
    api.headers["Authorization"] = "Bearer " + seed["token"]
    for _ in range(seed["requests"]):
        api.get(f"{base}/api/v1/alerts").raise_for_status()
    lat, lon = seed["tip"]
    tip = {
        "category": "burglary",
        "description": "Någon bröt upp ett fönster på baksidan.",
        "location": {"lat": lat, "lon": lon},
    }
    answer = api.post(f"{base}/api/v1/tips", json=tip)
    assert answer.status_code == 201, answer.text
    console = requests.Session()
    console.cookies.set(*seed["cookie"])
    for path in seed["pages"]:
        console.get(base + path).raise_for_status()
    account = {"email": f"anna-{uuid.uuid4().hex[:8]}@example.se", "password": "sommar2026"}
    answer = requests.post(
        f"{base}/api/v1/auth/register", json={**account, "name": "Anna"}, timeout=30
    )
    assert answer.status_code in (201, 422), answer.text  # checked by zxcvbn either way


def under_gunicorn(env: dict[str, str], seed: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Worker and master memory after the first uses, as deployed and with more shared."""
    configs = {"as deployed": "python:grannsamverkan.gunicorn_config"}
    for name, preload in (("zxcvbn in master", False), ("preloaded", True)):
        path = folder / f"gunicorn_{preload}.py"
        path.write_text(MASTER_CONFIG.format(preload=preload))
        configs[name] = str(path)
    figures: dict[str, Any] = {}
    for name, config in configs.items():
        extra = ["-c", config]
        with gunicorn(env, workers=1, worker_class="gthread", threads=4, extra=extra) as (
            base,
            master,
        ):
            (worker,) = worker_pids(master.pid)
            first_uses_over_http(base, seed)
            figures[name] = {"worker": memory_of(worker), "master": memory_of(master.pid)}
        print(name, figures[name], flush=True)
    return figures


def run(args: argparse.Namespace) -> dict[str, Any]:
    codes = {"this": REPO, **({"ab": args.ab.resolve()} if args.ab else {})}
    results: dict[str, Any] = {name: [] for name in codes}
    with fresh_database("postgresql") as url:
        env = app_env(url, GSV_DISPATCHER="off", PYTHONWARNINGS="ignore")
        create_schema(env, url)
        app = bench_app(url)
        with app.app_context():
            hood = seed_neighbourhood(members=args.members, reporters=0)
            seed_alerts(hood.member_ids, args.alerts)
            seed = {
                "token": hood.member_tokens[0],
                "requests": args.requests,
                "tip": offset_m(SPOT, 100, 50),
                "cookie": police_cookie(app, hood.area_id),
                "pages": ["/today", f"/areas/{hood.area_id}"],
            }
            from grannsamverkan.extensions import db

            db.engine.dispose()
        if args.gunicorn:
            with tempfile.TemporaryDirectory() as folder:
                results["gunicorn"] = under_gunicorn(env, seed, Path(folder))
        for _ in range(args.rounds):
            for name, code in codes.items():
                figures = measure(code, env, seed)
                results[name].append(figures)
                print(name, figures, flush=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ab", type=Path, help="a checkout of other code to alternate with")
    parser.add_argument("--members", type=int, default=20)
    parser.add_argument("--alerts", type=int, default=200)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--gunicorn",
        action="store_true",
        help="also measure one gunicorn worker of this checkout, as deployed and with zxcvbn "
        "loaded in the master",
    )
    parser.add_argument("--json", type=Path, help="where to write the results")
    args = parser.parse_args(argv)
    results = run(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
