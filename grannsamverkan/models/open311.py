"""Tips forwarded to a municipality's own case system over Open311 GeoReport v2, and what
the municipality has done with them since."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from grannsamverkan.extensions import Model
from grannsamverkan.models.tip import Tip
from grannsamverkan.models.types import UTCDateTime, utcnow

# "queued": waits in the outbox (retries included); "submitted": the municipality's server
# took it (a token or a service_request_id came back); "failed": refused for good, or out of
# tries; it may be forwarded again.
FORWARD_STATES = ("queued", "submitted", "failed")
# GeoReport v2's statuses of a service request.
MUNICIPALITY_STATUSES = ("open", "closed")


class TipForward(Model):
    """One tip sent (or on its way) to its municipality's Open311 endpoint."""

    __tablename__ = "tip_forwards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tip_id: Mapped[int] = mapped_column(ForeignKey("tips.id", ondelete="CASCADE"), unique=True)
    municipality_code: Mapped[str] = mapped_column(String(4))
    service_code: Mapped[str] = mapped_column(String(100))
    # Exactly the fields that leave the system (no API key): coarse point and masked text,
    # unless the reporter agreed to share more (Tip.share_details_with_municipality).
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    shares_details: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="queued")
    # GeoReport v2 answers a POST with a service_request_id, or a token to swap for one later.
    token: Mapped[str | None] = mapped_column(String(200))
    service_request_id: Mapped[str | None] = mapped_column(String(200))
    municipality_status: Mapped[str | None] = mapped_column(String(16))
    status_notes: Mapped[str | None] = mapped_column(String(1000))
    status_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    tip: Mapped[Tip] = relationship(back_populates="forward")

    # The status read-back looks for submitted requests the municipality has not closed.
    __table_args__ = (Index("ix_tip_forwards_state_status", "state", "municipality_status"),)

    @property
    def resolved(self) -> bool:
        """The municipality closed the request: the reporter reads "åtgärdad"."""
        return self.municipality_status == "closed"
