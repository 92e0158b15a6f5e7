"""Places at training events: RSVPs, the waiting list, and moving people up from it.

Callers have checked that the broadcast is an event the person was invited to.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from grannsamverkan.errors import Conflict, NotFound
from grannsamverkan.extensions import db
from grannsamverkan.models import Broadcast, Rsvp, User
from grannsamverkan.models.types import utcnow
from grannsamverkan.services import alerts
from grannsamverkan.services.broadcasts.pushes import targets_among
from grannsamverkan.services.broadcasts.queries import lock_broadcast
from grannsamverkan.services.broadcasts.reminders import remind_late_attendees

BASE36_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"


def rsvp_counts(broadcast: Broadcast) -> dict[str, int]:
    """Confirmed and waitlisted counts: numbers only, never names."""
    counts = {"confirmed": 0, "waitlisted": 0}
    for status, count in db.session.execute(
        select(Rsvp.status, func.count(Rsvp.id))
        .where(Rsvp.broadcast_id == broadcast.id)
        .group_by(Rsvp.status)
    ):
        counts[status] = count
    return counts


def attendees(broadcast: Broadcast) -> list[tuple[Rsvp, User]]:
    """Everyone who answered, in the order they answered (the waiting list's order): for the
    police of the event only (broadcast_permissions.polices_broadcast)."""
    return [
        (row, user)
        for row, user in db.session.execute(
            select(Rsvp, User)
            .join(User, User.id == Rsvp.user_id)
            .where(Rsvp.broadcast_id == broadcast.id)
            .order_by(Rsvp.created_at, Rsvp.id)
        )
    ]


def rsvp_of(user: User, broadcast: Broadcast) -> Rsvp | None:
    """The person's answer to the event, if any."""
    return db.session.scalar(
        select(Rsvp).where(Rsvp.broadcast_id == broadcast.id, Rsvp.user_id == user.id)
    )


def rsvp(*, user: User, broadcast: Broadcast) -> Rsvp:
    """Take a place at a training event, or a place on its waiting list when it is full."""
    broadcast = lock_broadcast(broadcast)
    if broadcast.status == "cancelled":
        raise Conflict("This event is cancelled.")
    if broadcast.starts_at is not None and broadcast.starts_at <= utcnow():
        raise Conflict("This event has already started.")
    if rsvp_of(user, broadcast) is not None:
        raise Conflict("You have already answered this invitation.")
    confirmed = rsvp_counts(broadcast)["confirmed"]
    row = Rsvp(
        broadcast_id=broadcast.id,
        user_id=user.id,
        status="confirmed" if confirmed < (broadcast.capacity or 0) else "waitlisted",
        created_at=utcnow(),
    )
    db.session.add(row)
    db.session.flush()
    if row.status == "confirmed":
        remind_late_attendees(broadcast, [user.id], now=row.created_at)
    return row


def cancel_rsvp(*, user: User, broadcast: Broadcast) -> Rsvp | None:
    """Give up a place (or a place in the queue); the first on the waiting list moves up and
    is told. Returns the promoted RSVP, if any."""
    broadcast = lock_broadcast(broadcast)
    row = rsvp_of(user, broadcast)
    if row is None:
        raise NotFound("You have no place at this event.")
    db.session.delete(row)
    db.session.flush()
    if broadcast.status == "cancelled":
        return None
    promoted = promote_waitlisted(broadcast, at=utcnow())
    db.session.flush()
    return promoted[0] if promoted else None


def release_places(user: User) -> None:
    """Give up every RSVP of someone leaving (account deletion), moving others up."""
    for row in list(db.session.scalars(select(Rsvp).where(Rsvp.user_id == user.id))):
        broadcast = db.session.get(Broadcast, row.broadcast_id)
        if broadcast is not None:
            cancel_rsvp(user=user, broadcast=broadcast)


def promote_waitlisted(broadcast: Broadcast, *, at: datetime) -> list[Rsvp]:
    """Confirm the oldest on the waiting list while places are free, and tell each of them."""
    free = (broadcast.capacity or 0) - rsvp_counts(broadcast)["confirmed"]
    if free <= 0:
        return []
    promoted = list(
        db.session.scalars(
            select(Rsvp)
            .where(Rsvp.broadcast_id == broadcast.id, Rsvp.status == "waitlisted")
            .order_by(Rsvp.created_at, Rsvp.id)
            .limit(free)
        )
    )
    for row in promoted:
        row.status = "confirmed"
    db.session.flush()
    alert = broadcast.alert
    if alert is None or not promoted:
        return promoted
    targets = {t.user_id: t for t in targets_among(broadcast, [r.user_id for r in promoted], at=at)}
    for row in promoted:
        # The RSVP id makes the outbox key unique should the same person move up again
        # (after cancelling and queueing anew): base 36 keeps it within 16 characters.
        purpose = f"promotion-{_base36(row.id)}"
        alerts.write_deliveries(alert, [targets[row.user_id]], purpose=purpose)
    remind_late_attendees(broadcast, [row.user_id for row in promoted], now=at)
    return promoted


def _base36(number: int) -> str:
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = BASE36_DIGITS[rest] + text
        if number == 0:
            return text
