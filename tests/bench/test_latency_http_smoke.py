"""bench/tip_latency.py and bench/http_throughput.py at a tiny size: each runs as its one
documented command, prints its table and writes JSON with the figures the bars are judged on.

The real runs (minutes) are not part of the suite; see BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BACKENDS

REPO = Path(__file__).resolve().parents[2]


def bench(script: str, *args: str) -> str:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("GSV_") or k == "GSV_TEST_POSTGRES"
    }
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / script), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,  # a shared 2-core machine: the HTTP one took 108 s at load 13
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.mark.parametrize("backend", [b for b in ("postgresql", "sqlite") if b in BACKENDS])
def test_tip_latency_smoke(tmp_path: Path, backend: str) -> None:
    out = tmp_path / "tip_latency.json"

    printed = bench(
        "tip_latency.py", "--backend", backend, "--tips", "3", "--warmup", "1",
        "--members", "3", "--workers", "1", "--gap", "0", "--json", str(out),
    )  # fmt: skip

    assert "tip -> first push answered" in printed
    result = json.loads(out.read_text())
    assert result["stats_ms"]["tip_delivered"]["n"] == 3
    assert result["stats_ms"]["floor_delivered"]["n"] == 3
    # Delivered is arrival plus the sink's 70 ms; the floor includes the same 70 ms.
    for key in ("tip", "floor"):
        assert result["stats_ms"][f"{key}_delivered"]["p50"] >= 70
        assert (
            result["stats_ms"][f"{key}_arrival"]["p50"]
            < result["stats_ms"][f"{key}_delivered"]["p50"]
        )
    assert {"p50_ok", "p99_ok", "p50_ratio_to_floor"} <= set(result["bar"])
    assert result["machine"]["nproc"] >= 1


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="the HTTP benchmark runs on PostgreSQL")
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_http_throughput_smoke(tmp_path: Path) -> None:
    out = tmp_path / "http.json"

    printed = bench(
        "http_throughput.py", "--duration", "2", "--connections", "2", "--wrk-threads", "1",
        "--workers", "1", "--threads", "2", "--members", "2", "--reporters", "5",
        "--alerts", "3", "--json", str(out),
    )  # fmt: skip

    assert "RSS per worker" in printed
    result = json.loads(out.read_text())
    cases = {(c["worker_class"], c["case"]) for c in result["cases"]}
    assert cases == {
        (w, c) for w in ("sync", "gthread") for c in ("hello", "post_tips", "get_alerts")
    }
    # Two seconds per case: at load 14 a one-second run of POST /tips once answered nothing.
    assert all(c["requests"] > 0 for c in result["cases"])
    assert result["bar"]["errors"] == 0
    for memory in result["memory"]:
        assert all(0 < rss < 1024 for rss in memory["rss_mb_at_rest"])
