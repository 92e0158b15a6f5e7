"""What the dispatcher tells about the rows it recorded: the delivery counters
(gsv_deliveries_total) and one log line per request, alert, channel and outcome, carrying
the request id the rows were written under (logs.py), so that ``POST /tips`` is followed to
its pushes. Counts and ids only: no token, address or text reaches the log."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

from grannsamverkan.logs import acting_for
from grannsamverkan.metrics import DELIVERIES, reason_of

log = logging.getLogger("grannsamverkan.deliveries")


def outcome_of(values: dict[str, Any]) -> str:
    """The recorded outcome: the row's new state, or "retry" when it stays pending."""
    return str(values.get("state", "retry"))


def report_recorded(recorded: Iterable[tuple[Any, str, str | None]]) -> None:
    """Count and log ``(claimed row, outcome, error)`` triples once they are committed."""
    groups: Counter[tuple[str | None, int | None, str, str, str]] = Counter()
    for row, outcome, error in recorded:
        reason = reason_of(error) if outcome != "sent" else "none"
        groups[(row.request_id, row.alert_id, row.channel, outcome, reason)] += 1
    # Counted per group, not per row: a labels() look-up was 2.4 % of a push worker's CPU.
    counts: Counter[tuple[str, str, str]] = Counter()
    for (_, _, channel, outcome, reason), count in groups.items():
        counts[(channel, outcome, reason)] += count
    for (channel, outcome, reason), count in counts.items():
        DELIVERIES.labels(channel=channel, outcome=outcome, reason=reason).inc(count)
    for (request_id, alert_id, channel, outcome, reason), count in sorted(
        groups.items(), key=lambda item: tuple(str(part) for part in item[0])
    ):
        with acting_for(request_id):
            log.info(
                "deliveries recorded",
                extra={
                    "alert_id": alert_id,
                    "channel": channel,
                    "outcome": outcome,
                    "reason": reason,
                    "count": count,
                },
            )
