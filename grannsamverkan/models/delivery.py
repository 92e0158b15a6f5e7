"""The outbox: one row per push of an alert to a device, or per e-mail to an address, and
what became of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.logs import current_request_id
from grannsamverkan.models.alert import Alert
from grannsamverkan.models.open311 import TipForward
from grannsamverkan.models.types import UTCDateTime, utcnow
from grannsamverkan.models.user import ALERT_CHANNELS, Device

DELIVERY_STATES = ("pending", "sent", "failed", "unregistered")
# "push" to a device (alert_id and device_id set), "email" to an address (email_* set),
# "sms" to a phone number (alert_id, user_id and sms_to set; the text is made when sent), or
# "open311": a tip to its municipality's case system (tip_forward_id set).
CHANNELS = (*ALERT_CHANNELS, "open311")


class Delivery(Model):
    """The outbox: one push of one alert, for one purpose, to one device; or one e-mail
    (a password reset, which belongs to no alert) to one address."""

    __tablename__ = "deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(8), default="push", server_default="push")
    # None for an e-mail that is about no alert (a password reset).
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
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
    # An e-mail's address and content; the content is cleared once the row is done with, so
    # a reset link does not outlive its sending in the database.
    email_to: Mapped[str | None] = mapped_column(String(320))
    email_subject: Mapped[str | None] = mapped_column(String(200))
    email_body: Mapped[str | None] = mapped_column(Text)
    # An SMS: the person and their number (E.164) when it was queued. The text is rendered
    # when sent from (alert, purpose, locale), so a follow-up copies these and a new purpose.
    # SET NULL with the number cleared by delete_account: erasure leaves only the count.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    sms_to: Mapped[str | None] = mapped_column(String(16))
    tip_forward_id: Mapped[int | None] = mapped_column(
        ForeignKey("tip_forwards.id", ondelete="CASCADE")
    )
    # The X-Request-Id of the request that wrote the row (none for a chore's): the
    # dispatcher's log lines about the row carry it, so a tip is followed to every push.
    request_id: Mapped[str | None] = mapped_column(String(64), default=current_request_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    alert: Mapped[Alert | None] = relationship()
    device: Mapped[Device | None] = relationship()
    tip_forward: Mapped[TipForward | None] = relationship()

    __table_args__ = (
        # A device never gets the same (alert, purpose) twice.
        UniqueConstraint("alert_id", "device_id", "purpose"),
        # A person never gets the same (alert, purpose) twice by one channel (SMS rows).
        UniqueConstraint("alert_id", "user_id", "channel", "purpose", name="uq_deliveries_person"),
        Index("ix_deliveries_state_next", "state", "next_attempt_at"),
        Index("ix_deliveries_alert_state", "alert_id", "state"),
        # Erasing a person finds their SMS rows (and the foreign key's SET NULL does).
        Index("ix_deliveries_user", "user_id"),
    )
