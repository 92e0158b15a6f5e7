"""bench/read_burst.py at a tiny size: it runs as its one documented command, prints its
table and writes JSON with the figures the bars are judged on (the real run: BENCHMARKS.md)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.bench.test_latency_http_smoke import bench
from tests.conftest import BACKENDS


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="the benchmark runs on PostgreSQL")
@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")
def test_read_burst_smoke(tmp_path: Path) -> None:
    out = tmp_path / "read_burst.json"

    printed = bench(
        "read_burst.py", "--duration", "1", "--connections", "2", "--wrk-threads", "1",
        "--workers", "1", "--members", "3", "--alerts", "5", "--rate", "20",
        "--open-duration", "1", "--in-process-requests", "3", "--json", str(out),
    )  # fmt: skip

    assert "open loop GET /alerts" in printed
    result = json.loads(out.read_text())
    assert [c["case"] for c in result["cases"]] == ["hello", "alerts", "alerts_304", "broadcast"]
    for case in result["cases"]:
        assert case["requests"] > 0, case
        assert case["non_2xx"] == 0, case  # a 304 is not an error to wrk; a 4xx/5xx would be
    # Every open-loop request was answered 200 (inbox of 5 alerts and the warning).
    assert result["open_loop"]["statuses"] == {"200": result["open_loop"]["counted"]}
    assert {"share_ok", "p99_ok", "rss_ok"} <= set(result["bar"])
    assert result["bar"]["share_of_hello"]["hello"] == 1
    # The in-process figures (3 requests per case here, 300 in the real run: 11 s of this
    # test's CPU when it used the default) are there for each case, and each case answered.
    assert {case: figures["status"] for case, figures in result["in_process"].items()} == {
        "hello": 200,
        "alerts": 200,
        "alerts_304": 304,
        "broadcast": 200,
    }
    assert all(figures["cpu_ms"] > 0 for figures in result["in_process"].values())
