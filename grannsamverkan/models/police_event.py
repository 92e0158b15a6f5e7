"""Events from the Swedish police's public feed (polisen.se/api/events), per municipality."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from grannsamverkan.extensions import Model
from grannsamverkan.models.types import UTCDateTime, utcnow


class PoliceEvent(Model):
    """One event as the police published it. The feed's ``gps`` is the municipality's centre,
    not the place of the event, so it is not stored: nothing can show it as a point."""

    __tablename__ = "police_events"

    # The police's own id: what de-duplicates repeated imports.
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    municipality_code: Mapped[str] = mapped_column(String(4))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    name: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    url: Mapped[str | None] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(100))
    location_name: Mapped[str] = mapped_column(String(100))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_police_events_municipality_time", "municipality_code", "occurred_at"),
    )
