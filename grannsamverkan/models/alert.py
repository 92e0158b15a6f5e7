"""Alerts, what people see in their inbox and on their phones, and who received each."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.models.types import UTCDateTime, point, utcnow
from grannsamverkan.texts import category_label, notice_body, notice_title

if TYPE_CHECKING:
    from grannsamverkan.models.tip import Tip

# "resolved": the tip behind it was closed; "withdrawn": rejected or a false alarm (one
# follow-up push told the phones that got it, services/tip_outcomes.py).
ALERT_STATUSES = ("active", "updated", "cancelled", "resolved", "withdrawn")
# "tip" and "broadcast" alert members; a "notice" tells one person something about a tip or
# an area that concerns them (police, contact persons, the reporter: services/notices.py).
ALERT_KINDS = ("tip", "broadcast", "notice")


class Alert(Model):
    """What recipients see in their inbox and on their phones: never a raw point."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "tip" | "broadcast" | "police_event"
    tip_id: Mapped[int | None] = mapped_column(
        ForeignKey("tips.id", ondelete="CASCADE"), unique=True
    )
    # Set for kind "broadcast": the police broadcast this alert carries (one alert each).
    broadcast_id: Mapped[int | None] = mapped_column(
        ForeignKey("broadcasts.id", ondelete="CASCADE"), unique=True
    )
    # A notice's tip (police, contact persons and the reporter are told about it): not
    # tip_id, which is the tip's one member alert and gives its readers a view of the tip.
    about_tip_id: Mapped[int | None] = mapped_column(
        ForeignKey("tips.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str | None] = mapped_column(String(32))
    # A notice's title is its code (texts.NOTICE_TEXTS), its body the detail the text names
    # (an area's name, a rejection's reason): both rendered in the reader's language.
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
    # Where to read more: a police event's page on polisen.se.
    url: Mapped[str | None] = mapped_column(String(500))

    tip: Mapped[Tip | None] = relationship(back_populates="alert", foreign_keys=[tip_id])

    @property
    def location(self) -> dict[str, float] | None:
        return point(self.lat, self.lon)

    def has_expired(self, now: datetime) -> bool:
        """Past its end: no longer sent (push, e-mail) nor shown in an inbox."""
        return self.expires_at is not None and self.expires_at <= now

    def title_in(self, locale: str) -> str:
        return alert_title(self, locale)

    def body_in(self, locale: str, *, push: bool = False) -> str:
        return alert_body(self, locale, push=push)


class AlertText(Protocol):
    """The columns an alert's shown texts are made of: an Alert, or a row of them (the inbox
    reads plain rows)."""

    kind: str
    title: str
    category: str | None
    body: str


def alert_title(alert: AlertText, locale: str) -> str:
    """The title shown in the inbox and on phones: a tip alert is titled with its category
    in the reader's language; a broadcast with the police's own title."""
    return title_of(alert.kind, alert.title, alert.category, locale)


def title_of(kind: str, title: str, category: str | None, locale: str) -> str:
    """alert_title of an alert's columns (the inbox reads rows, not objects)."""
    if kind == "notice":
        return notice_title(title, locale, category)
    if kind == "tip" and category:
        return category_label(category, locale)
    return title


def alert_body(alert: AlertText, locale: str, *, push: bool = False) -> str:
    """The body shown in the inbox; ``push``: what a push may carry (through Google), which
    for a notice leaves out a moderator's free text."""
    if push and alert.kind == "notice":
        return notice_body(alert.title, locale, alert.category, alert.body, push=True)
    return body_of(alert.kind, alert.title, alert.category, alert.body, locale)


def body_of(kind: str, title: str, category: str | None, body: str, locale: str) -> str:
    """alert_body of an alert's columns, as the inbox shows it (it reads rows, not
    objects)."""
    if kind == "notice":
        return notice_body(title, locale, category, body)
    return body


class AlertRecipient(Model):
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
