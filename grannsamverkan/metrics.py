"""The Prometheus metrics every process counts (docs/deployment.md "Metrics").

Counters and histograms live here, beside nothing of the application, so that every layer
may count. Under gunicorn and RQ workers each process writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode, chosen by that variable
being set before the first import of prometheus_client) and a scrape of any process adds
them up; without it a process serves its own values. Gauges that describe the database (the
outbox) are not counted here: the scrape computes them (api/monitoring.py).

Counts of what a transaction wrote are added only once it commits (``count_on_commit``), so
a rolled-back tip is not counted; the metrics then agree with the database.
"""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import Counter, Histogram, disable_created_metrics
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

# The *_created series (when each label set was first seen) double the output for nothing
# the dashboards use.
disable_created_metrics()

REQUESTS = Counter(
    "gsv_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "gsv_http_request_duration_seconds",
    "Time from the request's arrival at the app to its answer, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
TIPS = Counter("gsv_tips_total", "Tips stored, by category.", ["category"])
ALERTS = Counter(
    "gsv_alerts_total",
    "Alerts written to the outbox, by kind (tip, broadcast) and category.",
    ["kind", "category"],
)
DELIVERIES = Counter(
    "gsv_deliveries_total",
    "Outcomes of delivery attempts recorded, by channel (push, email; sms to come), outcome "
    "(sent, unregistered, retry, failed) and reason (the error's class, or none).",
    ["channel", "outcome", "reason"],
)
SEND_SECONDS = Histogram(
    "gsv_send_duration_seconds",
    "Time of one send to the provider: an FCM multicast of up to 500 tokens, or one SMTP "
    "batch; by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
RATE_LIMITED = Counter(
    "gsv_rate_limited_total",
    "Requests refused by a rate limit (429), by route template.",
    ["route"],
)

_PENDING = "gsv_metrics_pending"
# An error text begins with its class ("UnregisteredError (NOT_FOUND): ...") or a fixed
# word ("expired", "no device"): the label keeps that much, so its values stay few.
_REASON = re.compile(r"[A-Za-z][A-Za-z_ ]{0,39}")


def reason_of(error: str | None) -> str:
    """A short, bounded label for an outcome's error text: its leading words."""
    if not error:
        return "none"
    match = _REASON.match(error)
    return match.group(0).strip().replace(" ", "_").lower() if match else "other"


def count_on_commit(
    session: Session | scoped_session[Any], counter: Counter, **labels: str
) -> None:
    """Add one to ``counter`` with ``labels`` when ``session`` commits (never if it rolls
    back)."""
    session.info.setdefault(_PENDING, []).append((counter, labels))


@event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for counter, labels in session.info.pop(_PENDING, ()):
        counter.labels(**labels).inc()


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING, None)
