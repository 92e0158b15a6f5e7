"""gunicorn as deployed (its config file), serving this backend's test database."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_server_push import REPO, served_at

# gunicorn's start-up line, with the port it bound (asked for port 0: served_at).
LISTENING_AT = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")


@pytest.fixture
def gunicorn(
    backend: str, database_urls: dict[str, str], tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    """(base URL, metrics folder) of gunicorn with two workers on this backend's database."""
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSV_")}
    env.update(
        GSV_DATABASE_URL=database_urls[backend],
        GSV_SECRET_KEY="gunicorn-test-secret",
        GSV_DISPATCHER="off",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        PYTHONWARNINGS="ignore::DeprecationWarning",
    )
    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:grannsamverkan.gunicorn_config",
         "--workers", "2", "--threads", "2", "--bind", "127.0.0.1:0",
         "grannsamverkan:create_app()"],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        yield served_at(process, tmp_path / "gunicorn.log", LISTENING_AT, timeout_s=60), metrics_dir
    finally:
        process.terminate()
        process.wait(30)
        log.close()
