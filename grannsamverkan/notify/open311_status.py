"""Reading back what municipalities did with forwarded tips (GeoReport v2 GET requests).

A dispatcher chore (and ``flask open311 poll``): once per GSV_OPEN311_POLL_S, one dispatcher
asks each municipality about the requests it has not closed, swapping tokens for
``service_request_id`` first where the POST answered only a token. A closed request is
what the reporter sees as "åtgärdad" (the tip's ``forwarding``, docs/api.md).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

import requests
from flask import current_app
from sqlalchemy import func, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.models import TipForward
from grannsamverkan.models.scheduled_run import claim_run
from grannsamverkan.notify.open311 import Open311Client, make_client

log = logging.getLogger(__name__)

JOB_NAME = "open311-status"
# At most this many requests are asked about per pass; the oldest checked first.
READ_BACK_BATCH = 50


@dataclass(frozen=True)
class Asked:
    """One forward to ask about, read in a short transaction before any request is made."""

    forward_id: int
    municipality_code: str
    token: str | None
    service_request_id: str | None


@dataclass(frozen=True)
class Learned:
    service_request_id: str | None
    status: str | None
    notes: str | None


def read_back_due(now: datetime) -> bool:
    """Forwarding is configured, and this dispatcher won this interval's read-back."""
    config = current_app.config
    if not config.get("GSV_OPEN311"):
        return False
    every = timedelta(seconds=float(config["GSV_OPEN311_POLL_S"]))
    return claim_run(JOB_NAME, every=every, now=now)


def read_back_now(now: datetime) -> int:
    return read_back_statuses(make_client(current_app.config), now=now)


def poll_open311_statuses(now: datetime) -> int:
    """Read statuses back if due (the dispatcher runs the two parts apart: notify/chores.py)."""
    return read_back_now(now) if read_back_due(now) else 0


def read_back_statuses(client: Open311Client, *, now: datetime) -> int:
    """Ask about submitted requests not yet closed; returns how many answered."""
    asked = _open_requests(set(client.endpoints))
    db.session.commit()  # no transaction is held while the municipalities answer
    learned: dict[int, Learned] = {}
    for one in asked:
        try:
            learned[one.forward_id] = _ask(client, one)
        except (requests.RequestException, ValueError) as error:
            log.warning("Open311 status of forward %s unreadable: %r", one.forward_id, error)
    for forward_id, news in learned.items():
        _store(forward_id, news, now=now)
    db.session.commit()
    return len(learned)


def _open_requests(codes: set[str]) -> list[Asked]:
    rows = db.session.execute(
        select(
            TipForward.id,
            TipForward.municipality_code,
            TipForward.token,
            TipForward.service_request_id,
        )
        .where(
            TipForward.state == "submitted",
            TipForward.municipality_code.in_(codes),
            or_(
                TipForward.municipality_status.is_(None), TipForward.municipality_status != "closed"
            ),
        )
        .order_by(func.coalesce(TipForward.status_checked_at, TipForward.created_at), TipForward.id)
        .limit(READ_BACK_BATCH)
    ).all()
    return [Asked(*row) for row in rows]


def _ask(client: Open311Client, one: Asked) -> Learned:
    request_id = one.service_request_id
    if request_id is None and one.token is not None:
        swapped = client.read(one.municipality_code, f"tokens/{quote(one.token, safe='')}.json")
        found = (swapped or {}).get("service_request_id")
        request_id = None if found is None else str(found)
    if request_id is None:
        return Learned(None, None, None)  # the municipality has not made a request of it yet
    answer = client.read(one.municipality_code, f"requests/{quote(request_id, safe='')}.json") or {}
    status = answer.get("status")
    notes = answer.get("status_notes")
    return Learned(
        request_id,
        status if status in ("open", "closed") else None,
        str(notes)[:1000] if notes else None,
    )


def _store(forward_id: int, news: Learned, *, now: datetime) -> None:
    forward = db.session.get(TipForward, forward_id)
    if forward is None:
        return
    forward.status_checked_at = now
    if news.service_request_id is not None:
        forward.service_request_id = news.service_request_id
    if news.status is not None:
        if news.status == "closed" and forward.municipality_status != "closed":
            forward.closed_at = now
        forward.municipality_status = news.status
    if news.notes is not None:
        forward.status_notes = news.notes
