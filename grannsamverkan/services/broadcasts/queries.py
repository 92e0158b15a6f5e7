"""Reading broadcasts: the caller's list, the public warnings, counts and names for views,
and the row lock that serialises changes to one broadcast."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from grannsamverkan.extensions import db
from grannsamverkan.models import Area, Broadcast, BroadcastMunicipality, User
from grannsamverkan.services import alerts, permissions


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
    scope = permissions.broadcast_scope(user)
    if scope is not None:
        query = query.where(scope)
    if not include_expired:
        query = query.where(_not_expired(at))
    if kind is not None:
        query = query.where(Broadcast.kind == kind)
    return query.order_by(Broadcast.created_at.desc(), Broadcast.id.desc())


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
