"""A gunicorn worker that drew the statistics chart (matplotlib, ~44 MiB it would keep) is
replaced once it has answered, so every worker stays under the memory bar (issue 14)."""

from __future__ import annotations

import time

import requests

from tests.conftest import PASSWORD


def _boots(log: str) -> int:
    return log.count("Booting worker with pid")


def test_a_worker_that_drew_the_chart_is_replaced_after_answering(gunicorn, make_user, tmp_path):
    base, _metrics = gunicorn
    log_file = tmp_path / "gunicorn.log"
    police = make_user(role="police", municipality_codes=["0884"])
    signed_in = requests.post(
        f"{base}/api/v1/auth/login", json={"email": police.email, "password": PASSWORD}, timeout=10
    )
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    assert _boots(log_file.read_text()) == 2  # --workers 2

    chart = requests.get(f"{base}/api/v1/stats/tips.png", headers=headers, timeout=30)
    assert chart.status_code == 200
    assert chart.content.startswith(b"\x89PNG")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and _boots(log_file.read_text()) < 3:
        time.sleep(0.1)
    log = log_file.read_text()
    assert "Restarting worker: a request loaded matplotlib." in log
    assert _boots(log) == 3, log
    # Other requests are served as before, and replace no worker.
    for _ in range(5):
        assert requests.get(f"{base}/api/v1/alerts", headers=headers, timeout=10).ok
    assert log_file.read_text().count("Restarting worker") == 1
