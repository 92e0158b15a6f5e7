"""Alerts: writing one with its recipients and outbox rows (reading the inbox:
services/inbox.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    func,
    select,
)

from grannsamverkan.extensions import db
from grannsamverkan.logs import current_request_id
from grannsamverkan.metrics import ALERTS, count_on_commit
from grannsamverkan.models import (
    Alert,
    AlertRecipient,
    Area,
    Broadcast,
    Delivery,
    Device,
    Membership,
    Tip,
    User,
)
from grannsamverkan.models.types import id_among, utcnow
from grannsamverkan.services import sms_budget
from grannsamverkan.services.bulk_insert import insert_rows
from grannsamverkan.services.local_time import quiet_hours_end
from grannsamverkan.services.push_hand_off import insert_push_rows

# Phones not seen for this long are probably gone; radius alerts skip them (FCM guidance).
STALE_DEVICE_AGE = timedelta(days=30)
# Police broadcasts of these kinds go by SMS too (urgent tip alerts are the other case).
SMS_BROADCAST_KINDS = frozenset({"fraud_warning"})
# Recipient lists are written and looked up in slices, to stay far below the bound
# parameters a statement may carry (SQLite 32,766; PostgreSQL 65,535).
CHUNK = 5000

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AlertTarget:
    """One person an alert goes to, and how."""

    user_id: int
    silent: bool
    skip_stale_devices: bool = False


def write_alert(alert: Alert, targets: Iterable[AlertTarget], *, purpose: str = "alert") -> int:
    """Store the alert, an inbox row per person and a delivery row per device (the outbox),
    all in the caller's transaction. Returns the number of people."""
    db.session.add(alert)
    db.session.flush()
    targets = list(targets)
    now = utcnow()
    for start in range(0, len(targets), CHUNK):
        insert_rows(
            AlertRecipient,
            [
                {"alert_id": alert.id, "user_id": t.user_id, "silent": t.silent, "created_at": now}
                for t in targets[start : start + CHUNK]
            ],
        )
    deliveries = write_deliveries(alert, targets, purpose=purpose)
    category = alert.category or "none"
    count_on_commit(db.session, ALERTS, kind=alert.kind, category=category)
    log.info(
        "alert written",
        extra={"alert_id": alert.id, "kind": alert.kind, "category": category,
               "recipients": len(targets), "deliveries": deliveries},
    )  # fmt: skip
    return len(targets)


def write_deliveries(alert: Alert, targets: Sequence[AlertTarget], *, purpose: str) -> int:
    """One pending delivery row per registered device of each target, one e-mail row per
    target who chose e-mail, and an SMS row for each target who chose SMS when the alert is
    one that goes by SMS (_sms_rows)."""
    now = utcnow()
    written = 0
    texted = sms_is_sent_for(alert)
    # Once, not by the column's default once per row (a request-context look-up each).
    request_id = {"request_id": current_request_id()}
    for start in range(0, len(targets), CHUNK):
        chunk = targets[start : start + CHUNK]
        reachable = _reachable(chunk)
        # Each kind in a statement of its own: the rows of one insert share their columns.
        for rows in (
            _delivery_rows(alert, chunk, reachable, purpose=purpose, now=now),
            _email_rows(alert, reachable, purpose=purpose, now=now),
            _sms_rows(alert, chunk, purpose=purpose, now=now) if texted else [],
        ):
            if not rows:
                continue
            rows = [{**row, **request_id} for row in rows]
            if rows[0]["channel"] == "push" and start == 0:  # the first batch: handed off
                insert_push_rows(alert, rows, {p.device_id: p.token for p in reachable})
            else:
                insert_rows(Delivery, rows)
            db.session.info["deliveries_written"] = True
            written += len(rows)
    return written


class _Reachable(NamedTuple):
    """A target's phone (or none: ``device_id`` None) and e-mail choice, as one row."""

    user_id: int
    locale: str
    email: str | None
    channels: list[str] | None
    device_id: int | None
    token: str | None
    platform: str | None
    last_seen_at: datetime | None


def _reachable(targets: Sequence[AlertTarget]) -> list[_Reachable]:
    """Each target's phones and e-mail choice in one query (a row per phone, one for a
    target without): the phones and the e-mail rows were two round trips before the commit
    that lets the first push go (bench/tip_latency.py)."""
    rows = db.session.execute(
        select(
            User.id,
            User.locale,
            User.email,
            User.channels,
            Device.id,
            Device.token,
            Device.platform,
            Device.last_seen_at,
        )
        .outerjoin(Device, Device.user_id == User.id)
        .where(id_among(User.id, [t.user_id for t in targets]))
    ).all()
    return [_Reachable(*row) for row in rows]


def _delivery_rows(
    alert: Alert,
    targets: Sequence[AlertTarget],
    reachable: Sequence[_Reachable],
    *,
    purpose: str,
    now: datetime,
) -> list[dict[str, Any]]:
    by_user = {t.user_id: t for t in targets}
    rows: list[dict[str, Any]] = []
    for person in reachable:
        if person.device_id is None:
            continue
        target = by_user[person.user_id]
        seen = person.last_seen_at  # set on every phone's row
        if target.skip_stale_devices and seen is not None and seen < now - STALE_DEVICE_AGE:
            continue
        rows.append(
            {
                "channel": "push",
                "alert_id": alert.id,
                "device_id": person.device_id,
                "purpose": purpose,
                "platform": person.platform,
                "locale": person.locale,
                "silent": target.silent,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def sms_is_sent_for(alert: Alert) -> bool:
    """SMS costs money and wakes people: only for urgent tip alerts (a burglary in progress)
    and police warnings."""
    if alert.kind == "tip":
        return bool(alert.urgent)
    if alert.kind == "broadcast" and alert.broadcast_id is not None:
        kind = db.session.scalar(select(Broadcast.kind).where(Broadcast.id == alert.broadcast_id))
        return kind in SMS_BROADCAST_KINDS
    return False


def _sms_rows(
    alert: Alert, targets: Sequence[AlertTarget], *, purpose: str, now: datetime
) -> list[dict[str, Any]]:
    """An SMS row for each target who chose SMS and has a number, within the monthly budget
    of their municipality; those beyond it are counted as skipped (services/sms_budget.py).

    A first alert goes to everyone who chose SMS; anything later about it (an update, a
    cancel, a follow-up) only to those who were texted the first. People with no other way
    to be reached (no push) come first when the budget runs short. A text held back by
    quiet hours (a silent target) waits until they end."""
    by_user = {t.user_id: t for t in targets}
    people = db.session.execute(
        select(User.id, User.phone, User.locale, User.channels, User.quiet_start, User.quiet_end)
        .where(id_among(User.id, list(by_user)), User.phone.is_not(None))
        .order_by(User.id)
    ).all()
    people = [p for p in people if "sms" in (p.channels or [])]
    if people and base_purpose(purpose) != "alert":
        texted = _texted_first(alert)
        people = [p for p in people if p.id in texted]
    if not people:
        return []
    people.sort(key=lambda p: ("push" in (p.channels or []), p.id))
    rows: list[dict[str, Any]] = []
    for code, group in _by_municipality(alert, people).items():
        granted = sms_budget.take(code, len(group), at=now)
        for person in group[:granted]:
            target = by_user[person.id]
            due = now
            if target.silent and person.quiet_end is not None:
                due = quiet_hours_end(person.quiet_end, now)
            rows.append(
                {
                    "channel": "sms",
                    "alert_id": alert.id,
                    "user_id": person.id,
                    "sms_to": person.phone,
                    "purpose": purpose,
                    "platform": "sms",
                    "locale": person.locale,
                    "silent": target.silent,
                    "state": "pending",
                    "attempts": 0,
                    "next_attempt_at": due,
                    "created_at": now,
                    "updated_at": now,
                }
            )
    return rows


def base_purpose(purpose: str) -> str:
    """ "update-2" is an "update": suffixes only keep the outbox key unique."""
    return purpose.split("-", 1)[0]


def _texted_first(alert: Alert) -> set[int]:
    """The people the alert itself reached by SMS (not failed: a bad number stays bad)."""
    return set(
        db.session.scalars(
            select(Delivery.user_id).where(
                Delivery.alert_id == alert.id,
                Delivery.channel == "sms",
                Delivery.purpose == "alert",
                Delivery.state.in_(("pending", "sent")),
                Delivery.user_id.is_not(None),
            )
        )
    )


def _by_municipality(alert: Alert, people: list[Any]) -> dict[str, list[Any]]:
    """Whose budget each text comes from: a tip's municipality; for a broadcast, that of
    each person's area (the lowest code if several)."""
    if alert.kind == "tip":
        code = db.session.scalar(
            select(Area.municipality_code)
            .join(Tip, Tip.area_id == Area.id)
            .join(Alert, Alert.tip_id == Tip.id)
            .where(Alert.id == alert.id)
        )
        return {code: people} if code else {}
    reached = db.session.execute(
        select(Membership.user_id, func.min(Area.municipality_code))
        .join(Area, Area.id == Membership.area_id)
        .where(Membership.user_id.in_([p.id for p in people]), Membership.status == "active")
        .group_by(Membership.user_id)
    ).all()
    code_of = dict(reached)
    groups: dict[str, list[Any]] = {}
    for person in people:
        code = code_of.get(person.id)
        if code is not None:
            groups.setdefault(code, []).append(person)
    return groups


def _email_rows(
    alert: Alert, reachable: Sequence[_Reachable], *, purpose: str, now: datetime
) -> list[dict[str, Any]]:
    """One e-mail row per target who chose e-mail (channels). Routing chose the targets
    (categories, radius); quiet hours do not matter: an e-mail never rings. The row names
    only the address, alert, purpose and language: the dispatcher renders the content when it
    sends, so a copy of the row (a follow-up about the same alert) is rendered alike."""
    chose_email = {p.user_id: p for p in reachable if p.email and "email" in (p.channels or [])}
    return [
        {
            "channel": "email",
            "alert_id": alert.id,
            "device_id": None,
            "purpose": purpose,
            "platform": "email",
            "locale": person.locale,
            "silent": False,
            "email_to": person.email,
            "state": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
            "updated_at": now,
        }
        for person in chose_email.values()
    ]


def recipient_count(alert: Alert) -> int:
    """People the alert went to (inbox rows), not devices."""
    count = db.session.scalar(
        select(func.count(AlertRecipient.id)).where(AlertRecipient.alert_id == alert.id)
    )
    return count or 0


def has_received(user: User, alert_is: ColumnElement[bool]) -> bool:
    """Has ``user`` an inbox row for the alert that ``alert_is`` picks (e.g. by its tip)?"""
    return (
        db.session.scalar(
            select(AlertRecipient.id)
            .join(Alert, Alert.id == AlertRecipient.alert_id)
            .where(alert_is, AlertRecipient.user_id == user.id)
        )
        is not None
    )
