"""bench/memory.py and bench/sweden_border.py at a tiny size: each runs as its documented
command (the real runs: BENCHMARKS.md)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.bench.test_latency_http_smoke import bench
from tests.conftest import BACKENDS


@pytest.mark.skipif("postgresql" not in BACKENDS, reason="the benchmark runs on PostgreSQL")
def test_memory_smoke(tmp_path: Path) -> None:
    out = tmp_path / "memory.json"
    bench(
        "memory.py", "--rounds", "1", "--members", "2", "--alerts", "3", "--requests", "2",
        "--json", str(out),
    )  # fmt: skip
    (figures,) = json.loads(out.read_text())["this"]
    steps = ["create_app", "alerts", "tip", "console", "password"]
    assert all(0 < figures[step] < 1024 for step in steps), figures
    # The first tip in a drawn area loads neither numpy nor timezonefinder (issue 14).
    assert figures["numpy"] is False
    assert figures["tip"] - figures["alerts"] < 5


def test_the_committed_border_matches_timezonefinder() -> None:
    pytest.importorskip("timezonefinder")
    printed = bench("sweden_border.py", "--check-only", "--samples", "2000")
    assert "answered otherwise than timezonefinder" in printed
