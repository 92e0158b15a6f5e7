"""Tips from members, the alerts they cause, who received them, and the delivery outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import db
from grannsamverkan.models.area import Area
from grannsamverkan.models.types import UTCDateTime, point, utcnow
from grannsamverkan.models.user import Device, User

TIP_CATEGORIES = (
    "burglary",
    "attempted_burglary",
    "suspicious_person",
    "suspicious_vehicle",
    "suspicious_activity",
    "vandalism",
    "traffic",
    "narcotics",
    "unsafe_place",
)
# "pending" waits for a contact person in moderated areas; the rest are police's statuses.
TIP_STATUSES = ("pending", "open", "investigating", "closed", "rejected")
POLICE_TIP_STATUSES = ("open", "investigating", "closed", "rejected")
ALERT_STATUSES = ("active", "updated", "cancelled")
DELIVERY_STATES = ("pending", "sent", "failed", "unregistered")


class Tip(db.Model):
    __tablename__ = "tips"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"))
    # SET NULL: a deleted account leaves its tips behind, anonymised.
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    # The raw point: police and the area's contact persons only. Members get it coarsened.
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    address: Mapped[str | None] = mapped_column(String(300))
    observed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    vehicle_registration: Mapped[str | None] = mapped_column(String(20))
    vehicle_description: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="open")
    police_note: Mapped[str | None] = mapped_column(Text)
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    moderated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why a moderator rejected the tip: shown to its reporter.
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("tips.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    area: Mapped[Area] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    moderated_by: Mapped[User | None] = relationship(foreign_keys=[moderated_by_id])
    alert: Mapped[Alert | None] = relationship(back_populates="tip", uselist=False)

    __table_args__ = (
        Index("ix_tips_area_created", "area_id", "created_at"),
        # Duplicate hints look for the same category close in time, then in space.
        Index("ix_tips_category_created", "category", "created_at"),
    )

    @property
    def location(self) -> dict[str, float]:
        return {"lat": self.lat, "lon": self.lon}

    @property
    def vehicle(self) -> dict[str, Any] | None:
        if not self.vehicle_registration and not self.vehicle_description:
            return None
        return {"registration": self.vehicle_registration, "description": self.vehicle_description}


class Alert(db.Model):
    """What recipients see in their inbox and on their phones: never a raw point."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "tip" | "broadcast"
    tip_id: Mapped[int | None] = mapped_column(
        ForeignKey("tips.id", ondelete="CASCADE"), unique=True
    )
    # Set for kind "broadcast": the police broadcast this alert carries (one alert each).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), unique=True
    )
    category: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    # Already coarsened when written (grid cell centre).
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    tip: Mapped[Tip | None] = relationship(back_populates="alert")

    @property
    def location(self) -> dict[str, float] | None:
        return point(self.lat, self.lon)


class AlertRecipient(db.Model):
    """One person's copy of an alert: their inbox row."""

    __tablename__ = "alert_recipients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Delivered without sound (quiet hours, non-urgent).
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    alert: Mapped[Alert] = relationship()

    __table_args__ = (
        UniqueConstraint("alert_id", "user_id"),
        Index("ix_alert_recipients_user_alert", "user_id", "alert_id"),
    )


class Delivery(db.Model):
    """The outbox: one push of one alert, for one purpose, to one device."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    # SET NULL: a pruned device keeps its delivery record for the counts.
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"))
    # "alert" | "update" | "cancel" | "promotion" | "reminder", optionally with a "-suffix"
    # ("update-2") where one device may get several pushes of that kind about one alert.
    purpose: Mapped[str] = mapped_column(String(16), default="alert")
    platform: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(2), default="sv")
    silent: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A dispatcher's lease on the row; another may take it once the lease has run out.
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    alert: Mapped[Alert] = relationship()
    device: Mapped[Device | None] = relationship()

    __table_args__ = (
        # A device never gets the same (alert, purpose) twice.
        UniqueConstraint("alert_id", "device_id", "purpose"),
        Index("ix_deliveries_state_next", "state", "next_attempt_at"),
        Index("ix_deliveries_alert_state", "alert_id", "state"),
    )


class IdempotencyKey(db.Model):
    """The first response to a POST sent with an Idempotency-Key, replayed on retries."""

    __tablename__ = "idempotency_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    scope: Mapped[str] = mapped_column(String(64))  # e.g. "POST /tips"
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    __table_args__ = (UniqueConstraint("user_id", "scope", "key"),)
