"""A request's push rows handed straight to its process's dispatcher thread: written already
leased to it (services/push_hand_off.py), started once the request commits, with no claim.

The claim a dispatcher makes after a wake-up (``UPDATE … RETURNING``, its commit, the
alert's SELECT) stood between a tip's commit and its first push (bench/tip_latency.py). A
request that writes push rows in a process whose dispatcher runs there (``GSV_DISPATCHER=
thread``) writes the first batch of them leased to that dispatcher, under the same name and
for the same time as its claim would, and hands it the rows and the alert after its commit.
With a transport that has its own loop (aiohttp) the request's thread puts the multicast on
that loop at once (the message is built and sent there, not in the request); otherwise the
dispatcher starts it. Either way the dispatcher records the outcome, as for a claimed batch.

Nothing else changes: a leased row is sent by the dispatcher that holds the lease. If the
process dies first, the lease runs out and any dispatcher claims the row, as after a claim;
a dispatcher told to stop records what is sending and releases the rest at once.
"""

from __future__ import annotations

import os
import secrets
import socket
import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from grannsamverkan.extensions import db
from grannsamverkan.models import Alert
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.in_flight import Sending, Submitter
from grannsamverkan.notify.multicasts import push_groups
from grannsamverkan.notify.outbox_rows import Claimed
from grannsamverkan.notify.sender import TokenResult

# session.info: the hand-off offered to a request (read by services/push_hand_off.py, which
# names the same key) and the batches its transaction wrote for it.
HAND_OFF = "push_hand_off"
BATCHES = "push_hand_off_batches"

_ALERT_COLUMNS = tuple(column.key for column in Alert.__table__.columns)


@dataclass(frozen=True)
class HandedBatch:
    """Leased rows not yet started, and their alert (detached: no session is read)."""

    claimed: list[Claimed]
    alerts: dict[int, Alert]


def start_pushes(pool: Submitter, stop: threading.Event, batch: HandedBatch) -> Sending:
    """Hand a batch's multicasts to ``pool``: the pushes are on their way when it returns
    (on the transport's loop) or sent (inline)."""
    now = utcnow()
    results: dict[int, TokenResult] = {}
    groups = push_groups(batch.claimed, batch.alerts, now, results)
    return Sending(batch.claimed, results, pool.send(stop, groups, batch.alerts, now))


class HandOff:
    """This process's dispatcher thread as a request sees it (services.push_hand_off's
    ``PushHandOff``), and the batches handed to it, in order, until it takes them."""

    def __init__(self, *, lease_s: float, limit: int) -> None:
        self.limit = limit
        self._lease = timedelta(seconds=lease_s)
        self._items: deque[Sending | HandedBatch] = deque()
        self._named: tuple[int, str] = (0, "")
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The name the dispatcher thread holds leases under: one per process (a forked
        process makes its own, as its dispatcher is another)."""
        with self._lock:  # request threads and the dispatcher's ask at once
            if self._named[0] != os.getpid():
                self._named = (os.getpid(), f"{socket.gethostname()}:{secrets.token_hex(4)}")
            return self._named[1]

    def lease(self, now: datetime) -> dict[str, Any]:
        return {"claimed_by": self.name, "claimed_until": now + self._lease}

    def take(
        self, alert: Alert, rows: list[dict[str, Any]], tokens: dict[int | None, str | None]
    ) -> None:
        """Keep the rows written leased until the transaction ends (``committed``)."""
        claimed = [
            Claimed(
                row["id"], alert.id, tokens.get(row["device_id"]), row["locale"], row["silent"],
                row["purpose"], row["attempts"], request_id=row.get("request_id"),
            )
            for row in rows
        ]  # fmt: skip
        # A copy outside the session: the commit expires the request's own.
        detached = Alert(**{key: getattr(alert, key) for key in _ALERT_COLUMNS})
        db.session.info.setdefault(BATCHES, []).append(HandedBatch(claimed, {alert.id: detached}))

    def put(self, items: list[Sending | HandedBatch]) -> None:
        self._items.extend(items)

    def take_all(self) -> list[Sending | HandedBatch]:
        """The batches handed over since the last call (any thread may put meanwhile)."""
        taken: list[Sending | HandedBatch] = []
        while True:
            try:
                taken.append(self._items.popleft())
            except IndexError:
                return taken


def committed_batches(session: Session) -> list[HandedBatch]:
    """The batches a transaction that just committed wrote leased (none after a rollback:
    ``forget_batches``)."""
    return session.info.pop(BATCHES, None) or []


def forget_batches(session: Session) -> None:
    session.info.pop(BATCHES, None)
