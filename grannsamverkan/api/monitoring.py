"""``GET /metrics`` in the Prometheus text format, and the request counts, latencies and log
line of every request (docs/deployment.md "Metrics").

Who may scrape is configuration: the client's address must be in GSV_METRICS_NETWORKS
(loopback by default) and, when GSV_METRICS_TOKEN is set, the request must carry it as a
bearer token. Anyone else gets the same 404 as for any unknown path.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Iterator
from datetime import datetime

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.metrics import RATE_LIMITED, REQUEST_SECONDS, REQUESTS
from grannsamverkan.models import Delivery
from grannsamverkan.models.types import utcnow

blp = Blueprint("monitoring", __name__)
KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"))
log = logging.getLogger("grannsamverkan.requests")


def _route() -> str:
    """The matched route's template (``/api/v1/tips/<id:tip_id>``), never the path itself:
    bounded label values, and no ids or search words in metrics or logs."""
    rule = request.url_rule
    return rule.rule if rule is not None else "unmatched"


def _start_timer() -> None:
    g.gsv_started = time.perf_counter()


def _count_request(response: Response) -> Response:
    started = g.get("gsv_started")
    if started is None:  # a response made before any before_request ran
        return response
    seconds = time.perf_counter() - started
    route, status = _route(), response.status_code
    # Any word is a method to HTTP: unknown ones share a label, or a client could grow the
    # metrics without bound.
    method = request.method if request.method in KNOWN_METHODS else "other"
    REQUESTS.labels(route=route, method=method, status=str(status)).inc()
    REQUEST_SECONDS.labels(route=route, method=method).observe(seconds)
    if status == 429:
        RATE_LIMITED.labels(route=route).inc()
    log.info(
        "request",
        extra={"route": route, "method": method, "status": status, "ms": round(seconds * 1e3, 1)},
    )
    return response


def init_app(app: Flask) -> None:
    """Time and count every request (registered before the other request hooks)."""
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_count_request)
    app.register_blueprint(blp)


# --- the scrape ------------------------------------------------------------------------------


def _may_scrape() -> bool:
    config = current_app.config
    try:
        client = ipaddress.ip_address(request.remote_addr or "")
    except ValueError:
        return False
    networks = [n.strip() for n in (config["GSV_METRICS_NETWORKS"] or "").split(",") if n.strip()]
    if not any(client in ipaddress.ip_network(n, strict=False) for n in networks):
        return False
    token = config.get("GSV_METRICS_TOKEN")
    if not token:
        return True
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return hmac.compare_digest(given.encode(), str(token).encode())


@blp.get("/metrics")
def metrics() -> Response:
    """The Prometheus exposition: every process's counters, and the outbox as it is now."""
    if not _may_scrape():
        abort(404)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        counted = CollectorRegistry()
        multiprocess.MultiProcessCollector(counted)
    else:
        counted = REGISTRY
    outbox = CollectorRegistry(auto_describe=False)
    outbox.register(OutboxCollector(utcnow()))
    body = generate_latest(counted) + generate_latest(outbox)
    return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)


class OutboxCollector(Collector):
    """The outbox read from the database at scrape time, so every process reports the same
    truth: rows pending per channel, how many are due now, and how long the oldest due row
    has waited (the sign of a backlog or of no dispatcher running)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def collect(self) -> Iterator[GaugeMetricFamily]:
        pending = GaugeMetricFamily(
            "gsv_outbox_pending", "Delivery rows not yet sent or given up.", labels=["channel"]
        )
        due = GaugeMetricFamily(
            "gsv_outbox_due", "Pending rows due now and held by no dispatcher.", labels=["channel"]
        )
        age = GaugeMetricFamily(
            "gsv_outbox_oldest_due_age_seconds",
            "Seconds the oldest due row has been waiting (0 when none is due).",
            labels=["channel"],
        )
        for channel, pending_rows, due_rows, oldest in self._rows():
            pending.add_metric([channel], pending_rows)
            due.add_metric([channel], due_rows)
            age.add_metric([channel], self._seconds_since(oldest))
        yield from (pending, due, age)

    def _rows(self) -> list[tuple[str, int, int, datetime | None]]:
        is_due = (Delivery.next_attempt_at <= self.now) & or_(
            Delivery.claimed_until.is_(None), Delivery.claimed_until < self.now
        )
        counted: dict[str, tuple[int, int, datetime | None]] = {
            channel: (0, 0, None) for channel in ("push", "email")
        }
        rows = db.session.execute(
            select(
                Delivery.channel,
                func.count(),
                func.count().filter(is_due),
                func.min(Delivery.next_attempt_at).filter(is_due),
            )
            .where(Delivery.state == "pending")
            .group_by(Delivery.channel)
        ).all()
        db.session.commit()
        for channel, pending_rows, due_rows, oldest in rows:
            counted[channel] = (pending_rows, due_rows, oldest)
        return [(channel, *values) for channel, values in counted.items()]

    def _seconds_since(self, oldest: datetime | None) -> float:
        if oldest is None:
            return 0.0
        if oldest.tzinfo is None:  # SQLite's aggregate bypasses the column type
            oldest = oldest.replace(tzinfo=self.now.tzinfo)
        return max(0.0, (self.now - oldest).total_seconds())
