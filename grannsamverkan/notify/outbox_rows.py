"""The outbox's rows as a dispatcher handles them: what it claimed of a row, how long a
failed row waits before its next try, and when the next pending row is due."""

from __future__ import annotations

import functools
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Update, func, or_, select, update

from grannsamverkan.extensions import db
from grannsamverkan.models import Delivery, Device
from grannsamverkan.models.types import utcnow
from grannsamverkan.notify.sender import Outcome, TokenResult


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter, bounded in tries."""

    base_s: float = 2.0
    cap_s: float = 600.0
    max_attempts: int = 10

    def delay(self, attempts: int, retry_after_s: float | None) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** max(0, attempts - 1))
        delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not secrets
        return max(delay, retry_after_s or 0.0)

    def delays_for_one_batch(self) -> Callable[[int, float | None], float | None]:
        """Seconds from a failed try to the next (None: no tries left), drawn once per (tries,
        Retry-After) for one batch's rows: rows that failed alike (an FCM outage, a
        QUOTA_EXCEEDED multicast) wait alike and are recorded with one UPDATE, not one each;
        the jitter still spreads batches and dispatchers."""

        @functools.cache
        def delay_after(tries: int, retry_after_s: float | None) -> float | None:
            return self.delay(tries, retry_after_s) if tries < self.max_attempts else None

        return delay_after


@dataclass(frozen=True)
class Claimed:
    delivery_id: int
    alert_id: int | None
    token: str | None
    locale: str
    silent: bool
    purpose: str
    attempts: int
    channel: str = "push"
    email_to: str | None = None
    email_subject: str | None = None
    email_body: str | None = None
    sms_to: str | None = None
    tip_forward_id: int | None = None
    request_id: str | None = None


def lease_due_rows(dispatcher: str, now: datetime, *, until: datetime, limit: int) -> Update:
    """One statement that leases up to ``limit`` due rows to ``dispatcher`` until ``until``
    and returns what sending them needs (the fields of Claimed, in order): ``FOR UPDATE SKIP
    LOCKED`` on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already holds the write lock."""
    due = (
        select(Delivery.id)
        .where(
            Delivery.state == "pending",
            Delivery.next_attempt_at <= now,
            or_(Delivery.claimed_until.is_(None), Delivery.claimed_until < now),
        )
        # One alert's rows together, so they share multicast requests.
        .order_by(Delivery.alert_id, Delivery.id)
        .limit(limit)
    )
    if db.engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    token = select(Device.token).where(Device.id == Delivery.device_id).scalar_subquery()
    return (
        update(Delivery)
        .where(Delivery.id.in_(due))
        .values(claimed_by=dispatcher, claimed_until=until)
        .returning(
            Delivery.id,
            Delivery.alert_id,
            token,
            Delivery.locale,
            Delivery.silent,
            Delivery.purpose,
            Delivery.attempts,
            Delivery.channel,
            Delivery.email_to,
            Delivery.email_subject,
            Delivery.email_body,
            Delivery.sms_to,
            Delivery.tip_forward_id,
            Delivery.request_id,
        )
        .execution_options(synchronize_session=False)
    )


def next_due_in(now: datetime | None = None) -> float | None:
    """Seconds until the next pending row is due (0 if one is due now), None if none wait."""
    now = now or utcnow()
    earliest = db.session.scalar(
        select(func.min(func.coalesce(Delivery.claimed_until, Delivery.next_attempt_at))).where(
            Delivery.state == "pending"
        )
    )
    db.session.commit()
    if earliest is None:
        return None
    if earliest.tzinfo is None:  # SQLite's aggregate bypasses the column type
        earliest = earliest.replace(tzinfo=now.tzinfo)
    return max(0.0, (earliest - now).total_seconds())


def outcome_values(
    row: Claimed,
    result: TokenResult,
    now: datetime,
    delay_after: Callable[[int, float | None], float | None],
) -> dict[str, Any]:
    """The columns a sent (or failed, or retried) row gets: its next state, or its next try
    ``delay_after(tries, Retry-After)`` seconds from now (RetryPolicy.delays_for_one_batch)."""
    attempts = row.attempts + 1
    values: dict[str, Any] = {
        "attempts": attempts,
        "claimed_by": None,
        "claimed_until": None,
        "updated_at": now,
        "last_error": (result.error or "")[:500] or None,
    }
    if result.outcome is Outcome.SENT:
        values["state"] = "sent"
    elif result.outcome is Outcome.UNREGISTERED:
        values["state"] = "unregistered"
    elif (
        result.outcome is Outcome.RETRY
        and (wait_s := delay_after(attempts, result.retry_after_s)) is not None
    ):
        values["next_attempt_at"] = now + timedelta(seconds=wait_s)
    else:
        values["state"] = "failed"
    if row.channel == "email" and "state" in values:
        # Done with: the content (a reset link is a credential) is not kept.
        values["email_body"] = None
    return values
