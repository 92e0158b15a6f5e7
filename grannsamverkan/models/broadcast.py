"""Police broadcasts (fraud warnings, notices, training events) and RSVPs to events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.models.alert import Alert
from grannsamverkan.models.types import UTCDateTime, point, utcnow
from grannsamverkan.models.user import User

BROADCAST_KINDS = ("fraud_warning", "notice", "training_event")
BROADCAST_SEVERITIES = ("minor", "moderate", "severe")
BROADCAST_STATUSES = ("active", "updated", "cancelled")
EVENT_TOPICS = ("heart_starter", "fraud_awareness", "safety_walk", "other")
RSVP_STATUSES = ("confirmed", "waitlisted")


class Broadcast(Model):
    """One message from the police to municipalities, areas or a circle; its alert carries it
    to the recipients' inboxes and phones."""

    __tablename__ = "broadcasts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # SET NULL: the broadcast outlives the officer's account.
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    severity: Mapped[str | None] = mapped_column(String(16))
    # The target as the police gave it.
    target_municipality_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    target_area_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    circle_lat: Mapped[float | None] = mapped_column(Float)
    circle_lon: Mapped[float | None] = mapped_column(Float)
    circle_radius_m: Mapped[int | None] = mapped_column(Integer)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="active")
    # 0 when sent, +1 per update and on cancel (CAP identifiers, iCalendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    # Every version so far, oldest first: [{"sequence": 0, "sent": "2026-11-26T18:00:00+00:00"}]
    # (CAP Update/Cancel messages reference the earlier ones).
    versions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Training events only.
    event_topic: Mapped[str | None] = mapped_column(String(32))
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    place: Mapped[str | None] = mapped_column(String(300))
    # A public venue, not anyone's home; still coarsened for members and the public.
    event_lat: Mapped[float | None] = mapped_column(Float)
    event_lon: Mapped[float | None] = mapped_column(Float)
    capacity: Mapped[int | None] = mapped_column(Integer)
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    author: Mapped[User | None] = relationship()
    alert: Mapped[Alert | None] = relationship(uselist=False, viewonly=True)
    municipalities: Mapped[list[BroadcastMunicipality]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        # The reminder sweep: events starting soon that have had no reminder yet.
        Index("ix_broadcasts_kind_starts", "kind", "starts_at"),
    )

    @property
    def is_event(self) -> bool:
        return self.kind == "training_event"

    @property
    def municipality_codes(self) -> list[str]:
        """The municipalities the broadcast reaches into (its police scope)."""
        return sorted(m.municipality_code for m in self.municipalities)

    @property
    def circle(self) -> dict[str, Any] | None:
        if self.circle_lat is None or self.circle_lon is None or self.circle_radius_m is None:
            return None
        return {"lat": self.circle_lat, "lon": self.circle_lon, "radius_m": self.circle_radius_m}

    @property
    def event_location(self) -> dict[str, float] | None:
        return point(self.event_lat, self.event_lon)


class BroadcastMunicipality(Model):
    """A municipality a broadcast reaches into: its police may see it, its feed lists it.

    Named municipalities, the municipalities of named areas and those of the areas a circle
    reached; a row per code so that scope filters are indexed SQL, not JSON scans.
    """

    __tablename__ = "broadcast_municipalities"

    broadcast_id: Mapped[int] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), primary_key=True
    )
    municipality_code: Mapped[str] = mapped_column(String(4), primary_key=True, index=True)


class Rsvp(Model):
    """A member's place at a training event, or on its waiting list."""

    __tablename__ = "rsvps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcasts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("broadcast_id", "user_id"),
        # Counting places and taking the first from the waiting list (oldest first).
        Index("ix_rsvps_broadcast_status_created", "broadcast_id", "status", "created_at"),
    )
