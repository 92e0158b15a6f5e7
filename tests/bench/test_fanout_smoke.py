"""bench/fanout.py at a tiny size: RQ push workers send a tip and a broadcast to the sink."""

from __future__ import annotations

import json

from bench import fanout


def test_fanout_benchmark_smoke(tmp_path):
    out = tmp_path / "fanout.json"

    result = fanout.main(
        [
            "--tip-recipients", "200", "--broadcast-recipients", "1200", "--workers", "2",
            "--tip-runs", "1", "--delay-ms", "20", "--json", str(out), "--quiet",
        ]
    )  # fmt: skip

    assert result["ok"], json.dumps(result["runs"], indent=1)
    assert json.loads(out.read_text())["summary"] == result["summary"]
    by_kind = {run["kind"]: run for run in result["runs"]}
    assert by_kind["tip"]["messages"] == 200
    assert by_kind["broadcast"]["messages"] == 1200
    for run in result["runs"]:
        assert run["finished"]
        assert run["states"] == {"sent": run["messages"]}
        assert run["sink_count"] == run["messages"]  # every message arrived, none twice
    # 1,200 rows are three full claims: the first job asks for a helper, so both work.
    assert all(cpu > 0.05 for cpu in by_kind["broadcast"]["worker_cpu_s"])
