"""Reading broadcasts: the caller's list, the public warnings, counts and names for views,
and the row lock that serialises changes to one broadcast."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload

from grannsamverkan.extensions import db
from grannsamverkan.models import (
    Alert,
    AlertRecipient,
    Area,
    Broadcast,
    BroadcastMunicipality,
    Rsvp,
    User,
)
from grannsamverkan.services import alerts, permission_scopes


def _effective_expiry() -> Any:
    # An event without its own expiry is over when it ends.
    return func.coalesce(Broadcast.expires_at, Broadcast.ends_at)


def _not_expired(at: datetime) -> Any:
    expiry = _effective_expiry()
    return or_(expiry.is_(None), expiry > at)


def visible_broadcasts_query(
    user: User, *, at: datetime, include_expired: bool = False, kind: str | None = None
) -> Select[Any]:
    """GET /broadcasts: those that target the caller; police also their own and their
    municipalities'; admins all. Newest first."""
    query = select(Broadcast)
    scope = permission_scopes.broadcast_scope(user)
    if scope is not None:
        query = query.where(scope)
    if not include_expired:
        query = query.where(_not_expired(at))
    if kind is not None:
        query = query.where(Broadcast.kind == kind)
    # A page's alerts and municipalities in two statements, not two per broadcast.
    return query.options(
        selectinload(Broadcast.alert), selectinload(Broadcast.municipalities)
    ).order_by(Broadcast.created_at.desc(), Broadcast.id.desc())


@dataclass(frozen=True)
class ViewCounts:
    """What the views of a page of broadcasts count, fetched for the whole page at once."""

    rsvps: dict[int, dict[str, int]]  # broadcast id -> {"confirmed": n, "waitlisted": n}
    my_rsvps: dict[int, str]  # broadcast id -> the caller's RSVP status
    recipients: dict[int, int]  # broadcast id -> people its alert reached

    def rsvp_counts(self, broadcast_id: int) -> dict[str, int]:
        return {"confirmed": 0, "waitlisted": 0, **self.rsvps.get(broadcast_id, {})}


def view_counts(user: User, found: Sequence[Broadcast]) -> ViewCounts:
    """RSVP counts, the caller's own RSVPs and recipient counts of these broadcasts: three
    statements however many there are (none for an empty page)."""
    ids = [b.id for b in found]
    if not ids:
        return ViewCounts({}, {}, {})
    rsvps: dict[int, dict[str, int]] = {}
    for broadcast_id, status, count in db.session.execute(
        select(Rsvp.broadcast_id, Rsvp.status, func.count(Rsvp.id))
        .where(Rsvp.broadcast_id.in_(ids))
        .group_by(Rsvp.broadcast_id, Rsvp.status)
    ):
        rsvps.setdefault(broadcast_id, {})[status] = count
    mine = db.session.execute(
        select(Rsvp.broadcast_id, Rsvp.status).where(
            Rsvp.broadcast_id.in_(ids), Rsvp.user_id == user.id
        )
    )
    # Alert.broadcast_id is nullable (a tip's alert has none); the IN above excludes NULL.
    recipients = db.session.execute(
        select(Alert.broadcast_id, func.count(AlertRecipient.id))
        .join(AlertRecipient, AlertRecipient.alert_id == Alert.id)
        .where(Alert.broadcast_id.in_(ids))
        .group_by(Alert.broadcast_id)
    )
    return ViewCounts(
        rsvps, {b: s for b, s in mine}, {b: n for b, n in recipients if b is not None}
    )


def active_warnings(*, at: datetime, municipality_code: str | None = None) -> list[Broadcast]:
    """The public warnings feed: fraud warnings not cancelled and not expired."""
    query = select(Broadcast).where(
        Broadcast.kind == "fraud_warning",
        Broadcast.status != "cancelled",
        _not_expired(at),
    )
    if municipality_code is not None:
        query = query.where(
            Broadcast.id.in_(
                select(BroadcastMunicipality.broadcast_id).where(
                    BroadcastMunicipality.municipality_code == municipality_code
                )
            )
        )
    return list(
        db.session.scalars(query.order_by(Broadcast.updated_at.desc(), Broadcast.id.desc()))
    )


def recipient_count(broadcast: Broadcast) -> int:
    """People the broadcast reached (inbox rows of its alert)."""
    return alerts.recipient_count(broadcast.alert) if broadcast.alert else 0


def previous_versions(broadcast: Broadcast) -> list[tuple[int, datetime]]:
    """(sequence, sent) of every version before the current one, for CAP references."""
    return [
        (v["sequence"], datetime.fromisoformat(v["sent"]))
        for v in broadcast.versions or []
        if v["sequence"] < broadcast.sequence
    ]


def target_area_names(broadcast: Broadcast) -> list[str]:
    """The names of the areas the broadcast was addressed to, for the public documents."""
    if not broadcast.target_area_ids:
        return []
    return list(
        db.session.scalars(
            select(Area.name).where(Area.id.in_(broadcast.target_area_ids)).order_by(Area.name)
        )
    )


def lock_broadcast(broadcast: Broadcast) -> Broadcast:
    """Serialise changes and RSVPs to one broadcast: the row lock on PostgreSQL (reloading
    the row), and on SQLite the write lock every transaction already takes (BEGIN
    IMMEDIATE)."""
    return db.session.scalars(
        select(Broadcast)
        .where(Broadcast.id == broadcast.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
