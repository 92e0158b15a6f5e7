"""bench/console_pages.py at a tiny size: it runs as its documented command, finds the
console's pages, times them and weighs them in Chromium, and writes the JSON the bars are
judged on. The real run (10,000 tips, 5,000 households) is not part of the suite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_console_pages_smoke(tmp_path: Path) -> None:
    out = tmp_path / "console_pages.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
    done = subprocess.run(
        [
            sys.executable, str(REPO / "bench" / "console_pages.py"), "--tips", "30",
            "--households", "12", "--per-area", "6", "--runs", "2", "--warmup", "1",
            "--json", str(out),
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr

    assert "weight KB" in done.stdout
    result = json.loads(out.read_text())
    pages = {page["page"]: page for page in result["pages"]}
    assert {"today.index", "stats.index", "settings.edit"} <= set(pages)
    for page in pages.values():
        assert page["render_ms"]["n"] == 2
        assert 0 < page["render_ms"]["p50"] <= page["render_ms"]["max"]
        # HTML, the stylesheet and htmx at least; no page reaches a tile server here.
        assert page["weight"]["total"] > 10_000
        assert page["weight"]["by_type"]["document"] > 0
        assert page["weight"]["by_type"]["stylesheet"] > 0
        assert page["weight"]["tiles_skipped"] == 0
    assert result["samples"]["area"] is not None
    assert set(result["bar"]) == {"p95_ms", "weight_bytes", "slow_pages", "heavy_pages"}
