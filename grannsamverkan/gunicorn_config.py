"""gunicorn settings for this app (docs/deployment.md "gunicorn"):

    gunicorn -c python:grannsamverkan.gunicorn_config "grannsamverkan:create_app()"

Each setting can be overridden on the command line or in GUNICORN_CMD_ARGS. Imports nothing
from the application: gunicorn reads it in the master before any app is built.
"""

from __future__ import annotations

import os
from typing import Any

# A few processes with a few threads each: requests mostly wait on PostgreSQL (a tip's
# fan-out insert, the radius search), so threads overlap that wait; processes use the cores.
bind = os.environ.get("GSV_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "gthread"
threads = int(os.environ.get("GSV_THREADS", "4"))
# The slowest legitimate request (an area with a 10,000-position boundary, a CSV export of
# a municipality's year) takes a few seconds; 30 s only ends a stuck worker.
timeout = 30
# SIGTERM: requests in flight get this long to finish before the worker is killed.
graceful_timeout = 30
# Behind a reverse proxy that keeps connections open to the app.
keepalive = 5
# Restart a worker now and then (memory fragmentation); the jitter keeps them apart.
max_requests = 5000
max_requests_jitter = 500
# The app logs one JSON line per request itself (grannsamverkan.requests); gunicorn's own
# access log would repeat it as text, with the full path (ids, search words).
accesslog = None
errorlog = "-"


# Set in a request's WSGI environ by a view that loaded a large library only it needs (the
# statistics chart's matplotlib, ~44 MiB: BENCHMARKS.md, "API worker memory"): the worker is
# replaced once it has answered, as max_requests does, so no worker keeps the library.
RESTART_AFTER_REQUEST = "grannsamverkan.restart_worker"


def post_request(worker: Any, req: Any, environ: dict[str, Any], resp: Any) -> None:
    if environ.get(RESTART_AFTER_REQUEST) and worker.alive:
        worker.log.info("Restarting worker: a request loaded %s.", environ[RESTART_AFTER_REQUEST])
        worker.alive = False


def child_exit(server: Any, worker: Any) -> None:
    """A worker's metric files stay (its counts still count); its live gauges go."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
