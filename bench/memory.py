"""Issue 14: resident memory of a fresh app process, without gunicorn or load.

    .venv/bin/python bench/memory.py                      # ~30 s: this checkout, 3 rounds
    git archive main | tar -x -C /tmp/gsv-main
    .venv/bin/python bench/memory.py --ab /tmp/gsv-main   # the same, alternating with main's code

A fresh PostgreSQL database (schema from ``flask db upgrade``), ``--members`` (20) members
with ``--alerts`` (200) alerts each. Each round starts one process per code version (the
code at ``--ab`` is put first on PYTHONPATH) and reads its VmRSS: after ``create_app()``,
after ``--requests`` (300) GET /api/v1/alerts through the test client, after one point
checked against Sweden's border (what a tip or a home does first), and after one password
strength check (what a registration does first). Bar (issue 14): < 150 MB per worker.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from common import (  # noqa: E402
    app_env,
    bench_app,
    create_schema,
    fresh_database,
    seed_neighbourhood,
)
from wrk_load import seed_alerts  # noqa: E402

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, logging, re, sys
def rss():
    with open("/proc/self/status") as status:
        return round(int(re.search(r"VmRSS:\s+(\d+)", status.read()).group(1)) / 1024, 1)
from grannsamverkan import create_app
app = create_app()
logging.disable(logging.INFO)
figures = {"create_app": rss()}
client = app.test_client()
headers = {"Authorization": "Bearer " + sys.argv[1]}
statuses = {client.get("/api/v1/alerts", headers=headers).status_code
            for _ in range(int(sys.argv[2]))}
assert statuses == {200}, statuses
figures["alerts"] = rss()
from grannsamverkan.geo.sweden import in_sweden
assert in_sweden(57.66, 15.0)
figures["sweden"] = rss()
from grannsamverkan.errors import Invalid
from grannsamverkan.services.passwords import check_password_strength
try:
    check_password_strength("sommar2026", email="anna@example.se", name="Anna")
except Invalid:
    pass
figures["password"] = rss()
print(json.dumps(figures))
"""


def measure(code: Path, env: dict[str, str], token: str, requests: int) -> dict[str, float]:
    """One fresh process on ``code``'s package; its RSS figures, MiB."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, token, str(requests)],
        env={**env, "PYTHONPATH": str(code)},
        cwd=code,
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout.splitlines()[-1])
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
            from grannsamverkan.extensions import db

            db.engine.dispose()
        for _ in range(args.rounds):
            for name, code in codes.items():
                figures = measure(code, env, hood.member_tokens[0], args.requests)
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
    parser.add_argument("--json", type=Path, help="where to write the results")
    args = parser.parse_args(argv)
    results = run(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
